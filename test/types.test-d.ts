// Type tests: checked by `npm run typecheck` (tsc covers test/), never run. Each
// `@ts-expect-error` fails the type check if the line below it starts to compile.
import { expectTypeOf } from "vitest";
import { createCognitoSession, getAccessToken, type Session } from "next-cognito-session";

type Custom = { "custom:tenant"?: string; "custom:seats": number };
declare const auth: ReturnType<typeof createCognitoSession<Custom>>;

export async function claimsAreTyped() {
  const session = await auth.getServerSession();
  expectTypeOf(session).toEqualTypeOf<Session<Custom> | null>();
  if (!session?.user) return;
  const { user } = session;
  expectTypeOf(user["custom:tenant"]).toEqualTypeOf<string | undefined>();
  expectTypeOf(user["custom:seats"]).toEqualTypeOf<number>();
  expectTypeOf(user.sub).toEqualTypeOf<string>();
  expectTypeOf(user.email).toEqualTypeOf<string | undefined>();
  expectTypeOf(user.given_name).toEqualTypeOf<string | undefined>();
  expectTypeOf(user.groups).toEqualTypeOf<readonly string[]>();
  expectTypeOf(session.scopes).toEqualTypeOf<readonly string[]>();
  expectTypeOf(session.expiresAt).toEqualTypeOf<Date>();
  expectTypeOf(getAccessToken(session)).toEqualTypeOf<string>();

  // @ts-expect-error an attribute the pool does not define
  void user["custom:tenantt"];
  // @ts-expect-error a misspelt standard attribute
  void user.emial;
  // @ts-expect-error tokens are not fields of the session
  void session.accessToken;
  // @ts-expect-error the session is read-only
  session.scopes = ["admin"];
  // @ts-expect-error the user is read-only
  user.sub = "someone-else";
}

export async function everyApiCarriesTheGeneric(request: Request) {
  await auth.runWithSession(request, (session) => {
    expectTypeOf(session).toEqualTypeOf<Session<Custom> | null>();
    expectTypeOf(auth.currentSession()).toEqualTypeOf<Session<Custom> | null>();
    expectTypeOf(auth.requireScope("orders/read")).toEqualTypeOf<Session<Custom>>();
  });
  expectTypeOf(await auth.runWithSession(() => 42)).toEqualTypeOf<number>();
  expectTypeOf(await auth.requireSession({ groups: ["admins"] })).toEqualTypeOf<Session<Custom>>();
  auth.withAuth({ scopes: ["orders/read"] }, (_request, { session }) => {
    expectTypeOf(session).toEqualTypeOf<Session<Custom>>();
    // @ts-expect-error withAuth's session is never null
    void session.user.sub;
    return Response.json(session.user?.["custom:tenant"] ?? null);
  });
  // @ts-expect-error match is all or any
  auth.withAuth({ match: "some" }, () => new Response());
}

export function theFactoryRefusesNonCustomKeys() {
  // @ts-expect-error pool attributes must be named custom:*
  createCognitoSession<{ tenant: string }>();
  // @ts-expect-error custom attributes are strings, numbers or booleans
  createCognitoSession<{ "custom:when": Date }>();
  createCognitoSession<{ "custom:tenant": string }>({});
  createCognitoSession({});
}

export async function thePagesRouterIsTyped(req: import("next").NextApiRequest, res: import("next").NextApiResponse) {
  expectTypeOf(await auth.getServerSession(req, res)).toEqualTypeOf<Session<Custom> | null>();
  // Node's own request and response fit as they are (getServerSideProps' context.req / context.res).
  const node = {} as { req: import("node:http").IncomingMessage; res: import("node:http").ServerResponse };
  expectTypeOf(await auth.getServerSession(node.req, node.res)).toEqualTypeOf<Session<Custom> | null>();
  const api = auth.withAuth({ groups: ["admins"] }, (_req: import("next").NextApiRequest, response: import("next").NextApiResponse, { session }) => {
    expectTypeOf(session).toEqualTypeOf<Session<Custom>>();
    response.status(200).json({ tenant: session.user?.["custom:tenant"] ?? null });
  });
  expectTypeOf(api).parameters.toEqualTypeOf<[import("next").NextApiRequest, import("next").NextApiResponse]>();
  // A route handler stays a route handler: its context is not a response.
  const route = auth.withAuth({}, (_request, { session }) => Response.json(session.scopes));
  expectTypeOf(route).returns.toEqualTypeOf<Promise<Response>>();
  // @ts-expect-error a pages/api handler gets no response to return
  auth.getServerSession(req);
}

export async function theClientViewHasNoToken() {
  const view = await auth.getClientSession();
  expectTypeOf(view).toEqualTypeOf<import("next-cognito-session/client").ClientSession<Custom> | null>();
  if (!view) return;
  expectTypeOf(view.expiresAt).toEqualTypeOf<number>();
  // @ts-expect-error no token of any kind on the view
  void view.accessToken;
  // @ts-expect-error nor the session's server-side fields
  void view.clientId;
}

export async function accountFlowsAreTyped() {
  // Sign-up and attribute updates take the pool's own attributes, custom ones by the generic.
  await auth.signUp({ username: "ada", password: "p", attributes: { email: "ada@example.com", "custom:tenant": "acme", "custom:seats": "3" } });
  await auth.updateAttributes({ attributes: { name: "Ada" } });
  // @ts-expect-error a custom attribute the pool does not define
  await auth.signUp({ username: "ada", password: "p", attributes: { "custom:role": "admin" } });
  // @ts-expect-error a user never sets a *_verified attribute
  await auth.updateAttributes({ attributes: { email_verified: "true" } });

  const result = await auth.respondToChallenge({ code: "123456" });
  if (result.status === "challenge") {
    expectTypeOf(result.challenge.name).toEqualTypeOf<
      "SMS_MFA" | "EMAIL_OTP" | "SOFTWARE_TOKEN_MFA" | "SELECT_MFA_TYPE" | "MFA_SETUP" | "NEW_PASSWORD_REQUIRED"
    >();
  } else if (result.status === "failed") {
    expectTypeOf(result.next).toEqualTypeOf<"forgot-password" | "confirm-sign-up" | undefined>();
  } else {
    expectTypeOf(result.returnTo).toEqualTypeOf<string>();
  }
  const setup = await auth.setUpTotp();
  if (setup.status === "totp-setup") expectTypeOf(setup.otpauthUri).toEqualTypeOf<string>();
  const confirmed = await auth.confirmSignUp({ username: "ada", code: "123456" });
  expectTypeOf(confirmed.status).toEqualTypeOf<"signed-in" | "challenge" | "confirmed" | "failed">();
}
