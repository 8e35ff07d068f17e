/**
 * `next-cognito-session/testing`: test your pages, route handlers and server actions
 * without a user pool. A test issuer signs Cognito-shaped tokens with its own key and serves
 * the matching JWKS on 127.0.0.1; point the app at it with `testEnv()`, then sign requests
 * in with `sessionCookies()` / `testRequest()` or run code as a user with `runAs()`.
 * Everything goes through the app's real verification: no check is switched off. Node only.
 *
 * @example
 * const pool = await startTestIssuer();
 * Object.assign(process.env, testEnv(pool)); // before auth.ts is imported
 * const { auth } = await import("../auth");
 * await runAs(auth, pool, { groups: ["admins"] }, () => AdminPage()); // renders as an admin
 * const response = await GET(await testRequest(auth, pool, "/api/orders", { machine: ["orders/read"] }));
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { CognitoSession } from "../next/create.ts";
import type { CustomAttributes, Session } from "../session/session.ts";
import type { Json, TestIssuer } from "./issuer.ts";
import type { TestIdentityPool } from "./identity-pool.ts";

export {
  cognitoKid,
  generateTestKey,
  type Json,
  type JwksMode,
  type Overrides,
  startTestIssuer,
  type TestIssuer,
  type TestIssuerOptions,
  type TestKey,
} from "./issuer.ts";
export {
  handlerOf,
  type IdentityAnswer,
  type IdentityOperation,
  type IdentityPoolMode,
  type IssuedCredentials,
  parseIdentityRequest,
  type ReceivedIdentityRequest,
  startTestIdentityPool,
  type TestIdentityPool,
  type TestIdentityPoolOptions,
  type TrustedUserPool,
} from "./identity-pool.ts";
import { coreOf } from "../internal.ts";

/** Who a test request is signed in as. Every field has a default. */
export interface TestUser {
  /** Default: a random UUID. */
  sub?: string;
  /** Default: `sub`. */
  username?: string;
  /** Default: `<sub>@example.com`. */
  email?: string;
  /** `cognito:groups`. Default none. */
  groups?: string[];
  /** Scopes of the access token. Default `openid email profile`. */
  scopes?: string[];
  /** More ID token claims: standard attributes (`given_name`, …) and `custom:*` ones. */
  attributes?: Record<string, Json>;
}

/** A machine-to-machine client: a Bearer access token with these scopes and no user. */
export interface TestMachine {
  machine: string[];
}

/** The app's own environment, pointed at `issuer`: set it before the app's `auth.ts` is loaded. */
export function testEnv(issuer: TestIssuer, appUrl = "http://localhost:3000"): Record<string, string> {
  return {
    COGNITO_USER_POOL_ID: issuer.userPoolId,
    COGNITO_CLIENT_ID: issuer.clientId,
    COGNITO_ISSUER: issuer.issuer,
    COGNITO_JWKS_URI: issuer.jwksUri,
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    APP_URL: appUrl,
  };
}

/** The identity-pool part of an app's environment, pointed at `pool` (see `startTestIdentityPool`). */
export function identityEnv(pool: TestIdentityPool): Record<string, string> {
  return { COGNITO_IDENTITY_POOL_ID: pool.identityPoolId, COGNITO_IDENTITY_ENDPOINT: pool.endpoint };
}

/** Access and ID tokens for `user`, signed by `issuer`. */
export function mintUserTokens(issuer: TestIssuer, user: TestUser = {}): { accessToken: string; idToken: string } {
  const sub = user.sub ?? randomUUID();
  const username = user.username ?? sub;
  const groups = user.groups && user.groups.length > 0 ? { "cognito:groups": user.groups } : {};
  const accessToken = issuer.accessToken({ sub, username, scope: (user.scopes ?? ["openid", "email", "profile"]).join(" "), ...groups });
  const idToken = issuer.idToken({
    sub,
    "cognito:username": username,
    email: user.email ?? `${sub}@example.com`,
    ...groups,
    ...user.attributes,
  });
  return { accessToken, idToken };
}

/**
 * The session cookies `auth` itself would set for `user` after signing in, as a `Cookie`
 * header value, with the tokens behind them.
 */
export async function sessionCookies(
  auth: CognitoSession<CustomAttributes>,
  issuer: TestIssuer,
  user: TestUser = {},
): Promise<{ cookie: string; accessToken: string; idToken: string }> {
  const tokens = mintUserTokens(issuer, user);
  const changes = await coreOf(auth).storage.write(new Map(), {
    ...tokens,
    refreshToken: undefined,
    endsAt: Math.floor(Date.now() / 1000) + auth.config.sessionMaxAge,
  });
  const cookie = changes.set.map(({ name, value }) => `${name}=${value}`).join("; ");
  return { cookie, ...tokens };
}

/**
 * A request to `url` (a path on the app, or absolute) signed in as `who`: a user's session
 * cookies, a machine client's `Authorization: Bearer` token, or nothing for `null`.
 */
export async function testRequest(
  auth: CognitoSession<CustomAttributes>,
  issuer: TestIssuer,
  url: string | URL,
  who: TestUser | TestMachine | null = {},
  init: RequestInit = {},
): Promise<Request> {
  const headers = new Headers(init.headers);
  if (who !== null && "machine" in who) headers.set("authorization", `Bearer ${issuer.machineToken(who.machine.join(" "))}`);
  else if (who !== null) {
    const { cookie } = await sessionCookies(auth, issuer, who);
    headers.set("cookie", [headers.get("cookie"), cookie].filter(Boolean).join("; "));
  }
  return new Request(new URL(url, auth.config.appUrl), { ...init, headers });
}

/**
 * Run `fn` as `who` (see {@link testRequest}): inside it `getServerSession()`,
 * `requireSession()`, `currentSession()` and `requireScope()` all see that session,
 * verified by `auth` exactly as in production. Throws if `auth` does not accept `issuer`'s
 * tokens, so a misconfigured test cannot pass as "signed out".
 */
export async function runAs<Custom extends CustomAttributes, R>(
  auth: CognitoSession<Custom>,
  issuer: TestIssuer,
  who: TestUser | TestMachine | null,
  fn: (session: Session<Custom> | null) => R,
  path = "/",
): Promise<Awaited<R>> {
  const request = await testRequest(auth, issuer, path, who);
  return auth.runWithSession(request, (session) => {
    if (who !== null && session === null) {
      throw new Error("the app does not accept the test issuer's tokens: configure it with testEnv(issuer)");
    }
    return fn(session);
  });
}
