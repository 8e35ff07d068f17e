import { decodeJwt } from "jose";
import { NextRequest, NextResponse } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envFor, startCognitoLocal } from "../scripts/cognito-local.mjs";
import { parseCookieHeader } from "../src/persistence/jar.ts";
import type { CookieChanges } from "../src/persistence/changes.ts";
import { type CognitoSessionOptions, createCognitoSession, type MiddlewareHandler } from "../src/index.ts";
import { resolveSession } from "../src/session/resolve.ts";
import { APP_URL, SECRET, TestBrowser } from "./helpers/app.ts";
import { CountingProxy } from "./helpers/counting-proxy.ts";
import { cookieHeader, signedInCookies } from "./helpers/password-session.ts";
import { freePort } from "./helpers/ports.ts";
import { coreOf } from "../src/internal.ts";

// Access tokens live 2 s here, so sessions lapse during the test.
let idp: Awaited<ReturnType<typeof startCognitoLocal>>;
let proxy: CountingProxy;

beforeAll(async () => {
  idp = await startCognitoLocal({ port: await freePort(), appUrl: APP_URL, accessTokenTtl: 2 });
  proxy = await CountingProxy.start(idp.info.domain);
});
afterAll(async () => {
  await proxy?.stop();
  await idp?.stop();
});

type App = ReturnType<typeof createCognitoSession>;

/** An app that reaches Cognito through the counting proxy; `api` drops the domain so refresh goes through the JSON API. */
function appVia(options: CognitoSessionOptions & { api?: boolean } = {}): App {
  const { api, ...rest } = options;
  return createCognitoSession({
    protect: { "/dashboard/:path*": {}, "/admin/:path*": { groups: ["admins"] } },
    dev: { allowMissingNonce: true },
    clockTolerance: 0,
    ...rest,
    env: {
      ...envFor(idp.info, APP_URL),
      COGNITO_DOMAIN: api ? undefined : proxy.url,
      COGNITO_ENDPOINT: `${proxy.url}/`,
      SESSION_SECRET: SECRET,
    },
  });
}

const me = (app: App) => app.withAuth({}, (_req, { session }) => Response.json({ email: session.user?.email, expiresAt: session.expiresAt }));

/** Resolves once the access token in `cookies` has expired (no clock tolerance in these apps). */
async function expire(app: App, cookies: Map<string, string>): Promise<void> {
  const { exp } = decodeJwt(cookies.get(coreOf(app).cookieNames.access)!);
  await new Promise((r) => setTimeout(r, Math.max(0, exp! * 1000 - Date.now() + 50)));
}

function browserWith(app: App, cookies: Map<string, string>): TestBrowser {
  const browser = new TestBrowser(app);
  for (const [name, value] of cookies) browser.cookies.set(name, value);
  browser.routes.set("/api/me", me(app));
  return browser;
}

function newCookies(response: Response): Map<string, string> {
  const set = new Map<string, string>();
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const eq = pair!.indexOf("=");
    if (!/max-age=0/i.test(line)) set.set(pair!.slice(0, eq), pair!.slice(eq + 1));
  }
  return set;
}

describe.each([
  { path: "token endpoint", options: {}, rotate: false, call: "refresh_grant" },
  { path: "token endpoint, rotating refresh tokens", options: {}, rotate: true, call: "refresh_grant" },
  { path: "Cognito API (InitiateAuth)", options: { api: true }, rotate: false, call: "InitiateAuth" },
  {
    path: "Cognito API (GetTokensFromRefreshToken), rotating",
    options: { api: true, refresh: { rotation: true } },
    rotate: true,
    call: "GetTokensFromRefreshToken",
  },
])("refresh through the $path", ({ options, rotate, call }) => {
  it("20 concurrent requests with one expired session make one call to Cognito, and all 20 succeed", async () => {
    const app = appVia(options);
    const cookies = await signedInCookies(app, idp.info.endpoint, "alice@example.com");
    await expire(app, cookies);
    proxy.calls.length = 0;
    proxy.rotate = rotate;
    try {
      const responses = await Promise.all(Array.from({ length: 20 }, () => browserWith(app, cookies).fetch("/api/me")));
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
      for (const response of responses) expect((await response.json()).email).toBe("alice@example.com");
      expect(proxy.refreshes).toBe(1);
      expect(proxy.calls.map((c) => c.action ?? c.kind)).toEqual([call]);
      expect(coreOf(app).refresher.calls).toBe(1);

      // Every response hands out the same new tokens, not to be cached by anyone.
      const issued = responses.map(newCookies);
      const access = new Set(issued.map((c) => c.get(coreOf(app).cookieNames.access)));
      expect(access.size).toBe(1);
      expect([...access][0]).not.toBe(cookies.get(coreOf(app).cookieNames.access));
      for (const response of responses) expect(response.headers.get("cache-control")).toBe("private, no-store");

      // A new refresh token replaces the old one when Cognito sends one; otherwise the old one stays.
      const stored = await coreOf(app).storage.read(new Map([...issued[0]!].map(([n, v]) => [n, [v]])));
      const before = await coreOf(app).storage.read(new Map([...cookies].map(([n, v]) => [n, [v]])));
      if (rotate) {
        expect(stored!.refreshToken).toMatch(/^rotated\./);
        expect(stored!.refreshToken).not.toBe(before!.refreshToken);
      } else {
        expect(stored!.refreshToken).toBe(before!.refreshToken);
      }
      // The cookies keep the session's end, set at sign-in, however often it is refreshed.
      expect(stored!.endsAt).toBe(before!.endsAt);
    } finally {
      proxy.rotate = false;
    }
  });
});

describe("refresh in the middleware", () => {
  it("hands the new cookies to the rest of the request, so a server-side read there needs no refresh of its own", async () => {
    const app = appVia();
    const cookies = await signedInCookies(app, idp.info.endpoint, "alice@example.com");
    await expire(app, cookies);
    proxy.calls.length = 0;

    const response = await app.middleware(new NextRequest(`${APP_URL}/dashboard`, { headers: { accept: "text/html", cookie: cookieHeader(cookies) } }));
    expect(response.headers.get("x-middleware-next")).toBe("1");
    expect(proxy.refreshes).toBe(1);
    const forwarded = response.headers.get("x-middleware-request-cookie");
    expect(forwarded).not.toBeNull();
    const issued = newCookies(response);
    for (const [name, value] of issued) expect(forwarded).toContain(`${name}=${value}`);
    expect(forwarded).not.toContain(cookies.get(coreOf(app).cookieNames.access));

    // What getServerSession does in a server component of the same request: read only.
    const read = await resolveSession(coreOf(app), parseCookieHeader(forwarded), { refresh: false });
    expect(read.session?.user?.email).toBe("alice@example.com");
    expect(read.changes.set).toEqual([]);
    expect(proxy.refreshes).toBe(1);

    // The request's original cookies would have given the server component nothing.
    const stale = await resolveSession(coreOf(app), parseCookieHeader(cookieHeader(cookies)), { refresh: false });
    expect(stale.session).toBeNull();
  });

  it("reuses a refresh for a request that set off with the old cookies just after, so a rotating client is asked once", async () => {
    const app = appVia();
    const cookies = await signedInCookies(app, idp.info.endpoint, "alice@example.com");
    await expire(app, cookies);
    proxy.calls.length = 0;
    proxy.rotate = true; // the old refresh token is refused once spent
    try {
      const first = await browserWith(app, cookies).fetch("/api/me");
      const late = await browserWith(app, cookies).fetch("/api/me");
      expect([first.status, late.status]).toEqual([200, 200]);
      expect(proxy.refreshes).toBe(1);
      expect(newCookies(late).get(coreOf(app).cookieNames.access)).toBe(newCookies(first).get(coreOf(app).cookieNames.access));
    } finally {
      proxy.rotate = false;
    }
  });

  it("uses the new token's own exp, not the endpoint's expires_in, and refreshes again when that lapses", async () => {
    const app = appVia();
    const browser = browserWith(app, await signedInCookies(app, idp.info.endpoint, "alice@example.com"));
    await expire(app, browser.cookies);
    proxy.calls.length = 0;
    const first = await (await browser.fetch("/api/me")).json();
    const { exp } = decodeJwt(browser.cookies.get(coreOf(app).cookieNames.access)!);
    // cognito-local answers expires_in 3600 for tokens that live 2 s.
    expect(new Date(first.expiresAt).getTime()).toBe(exp! * 1000);
    expect(proxy.refreshes).toBe(1);
    await expire(app, browser.cookies);
    expect((await browser.fetch("/api/me")).status).toBe(200);
    expect(proxy.refreshes).toBe(2);
  });

  it("keeps the refreshed cookies on a 403 it answers in the same request", async () => {
    const app = appVia();
    const cookies = await signedInCookies(app, idp.info.endpoint, "bob@example.com");
    await expire(app, cookies);
    const response = await browserWith(app, cookies).fetch("/admin");
    expect(response.status).toBe(403);
    expect(newCookies(response).get(coreOf(app).cookieNames.access)).toBeDefined();
    expect(response.headers.get("cache-control")).toBe("private, no-store");
  });

  it("lets a route handler refresh on its own, without the middleware, and persist the result", async () => {
    const app = appVia();
    const cookies = await signedInCookies(app, idp.info.endpoint, "alice@example.com");
    await expire(app, cookies);
    proxy.calls.length = 0;
    const response = await me(app)(new Request(`${APP_URL}/api/me`, { headers: { cookie: cookieHeader(cookies) } }), {});
    expect(response.status).toBe(200);
    expect(proxy.refreshes).toBe(1);
    expect(newCookies(response).get(coreOf(app).cookieNames.access)).toBeDefined();
    expect(response.headers.get("cache-control")).toBe("private, no-store");
  });

  it("lets a server action refresh and persist through next/headers, and writes nothing when nothing is due", async () => {
    const { refreshAndPersist } = await import("../src/next/next-cookies.ts");
    const app = appVia();
    const cookies = await signedInCookies(app, idp.info.endpoint, "alice@example.com");
    const writes: CookieChanges[] = [];
    const write = async (changes: CookieChanges) => void writes.push(changes);
    const jarOf = (c: Map<string, string>) => parseCookieHeader(cookieHeader(c));

    expect((await refreshAndPersist(coreOf(app), jarOf(cookies), write))?.user?.email).toBe("alice@example.com");
    expect(writes).toEqual([]);

    await expire(app, cookies);
    proxy.calls.length = 0;
    const session = await refreshAndPersist(coreOf(app), jarOf(cookies), write);
    expect(session?.user?.email).toBe("alice@example.com");
    expect(proxy.refreshes).toBe(1);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.set.map((c) => c.name)).toContain(coreOf(app).cookieNames.access);
  });

  it("sends the client secret as HTTP Basic to the token endpoint, and as SECRET_HASH / ClientSecret to the API", async () => {
    const { cognito } = await import("../scripts/cognito-local.mjs");
    const { UserPoolClient } = await cognito(idp.info.endpoint, "CreateUserPoolClient", {
      UserPoolId: idp.info.userPoolId,
      ClientName: "with-secret",
      GenerateSecret: true,
      ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      AllowedOAuthFlows: ["code"],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ["openid", "email", "profile"],
      TokenValidityUnits: { AccessToken: "seconds", IdToken: "seconds" },
      AccessTokenValidity: 2,
      IdTokenValidity: 2,
    });
    const secret: string = UserPoolClient.ClientSecret;
    proxy.clientSecrets.set(UserPoolClient.ClientId, secret);
    try {
      for (const variant of [{}, { api: true }, { api: true, refresh: { rotation: true } }] as const) {
        const app = appVia({ ...variant, clientId: UserPoolClient.ClientId, clientSecret: secret });
        const cookies = await signedInCookies(app, idp.info.endpoint, "alice@example.com");
        await expire(app, cookies);
        proxy.calls.length = 0;
        expect((await browserWith(app, cookies).fetch("/api/me")).status).toBe(200);
        const [seen] = proxy.calls;
        if (!("api" in variant)) {
          expect(seen!.authorization).toBe(`Basic ${btoa(`${UserPoolClient.ClientId}:${secret}`)}`);
          expect(seen!.body.client_secret).toBeUndefined();
        } else if (!("refresh" in variant)) {
          const { createHmac } = await import("node:crypto");
          // The pool's username (here the sub), not the email the person signed in with.
          const username = decodeJwt(cookies.get(coreOf(app).cookieNames.access)!).username;
          expect(username).not.toBe("alice@example.com");
          const expected = createHmac("sha256", secret).update(`${username}${UserPoolClient.ClientId}`).digest("base64");
          expect((seen!.body.AuthParameters as Record<string, string>).SECRET_HASH).toBe(expected);
        } else {
          expect(seen!.body.ClientSecret).toBe(secret);
        }
      }
    } finally {
      proxy.clientSecrets.clear();
    }
  });
});

describe("composing the app's own middleware with auth.middleware(handler)", () => {
  /** Run `handler` behind the middleware with an expired session; returns the response and what the handler saw. */
  async function compose(handler: MiddlewareHandler, path = "/page") {
    const app = appVia();
    const cookies = await signedInCookies(app, idp.info.endpoint, "alice@example.com");
    await expire(app, cookies);
    const request = new NextRequest(`${APP_URL}${path}`, {
      headers: { accept: "text/html", cookie: `${cookieHeader(cookies)}; prefs={"theme":"dark"}`, "x-ncs-path": "/forged" },
    });
    const response = await app.middleware(handler)(request);
    return { app, cookies, response, issued: newCookies(response) };
  }

  const expectRefreshed = ({ app, cookies, response, issued }: Awaited<ReturnType<typeof compose>>) => {
    const access = issued.get(coreOf(app).cookieNames.access);
    expect(access).toBeDefined();
    expect(access).not.toBe(cookies.get(coreOf(app).cookieNames.access));
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    return access!;
  };

  it("puts the refreshed cookies on a redirect the handler returns", async () => {
    const result = await compose(() => NextResponse.redirect(new URL("/elsewhere", APP_URL)));
    expect(result.response.status).toBe(307);
    expectRefreshed(result);
  });

  it("puts them on a Response.redirect(), whose headers cannot be changed, by answering with a copy", async () => {
    const result = await compose(() => Response.redirect(new URL("/elsewhere", APP_URL), 302));
    expect(result.response.status).toBe(302);
    expect(result.response.headers.get("location")).toBe(`${APP_URL}/elsewhere`);
    expectRefreshed(result);
  });

  it.each([
    ["a rewrite", () => NextResponse.rewrite(new URL("/internal", APP_URL))],
    ["next()", () => NextResponse.next()],
    ["nothing", () => undefined],
  ])("hands the refreshed cookies on to the page when the handler returns %s", async (_, handler) => {
    const result = await compose(handler);
    const access = expectRefreshed(result);
    const forwarded = result.response.headers.get("x-middleware-request-cookie");
    expect(forwarded).toContain(`${coreOf(result.app).cookieNames.access}=${access}`);
    // The app's other cookies go on verbatim, and a forged internal header does not.
    expect(forwarded).toContain('prefs={"theme":"dark"}');
    expect(result.response.headers.get("x-middleware-request-x-ncs-path")).toBe("/page");
  });

  it("shows the handler the session and the refreshed request, and keeps request headers it passes on", async () => {
    let seen: { email?: string; cookie?: string; forged: string | null } | undefined;
    const result = await compose((request, { session }) => {
      seen = { email: session?.user?.email, cookie: request.cookies.get("__Host-ncs.at")?.value, forged: request.headers.get("x-ncs-path") };
      const headers = new Headers(request.headers);
      headers.set("x-tenant", "acme");
      return NextResponse.next({ request: { headers } });
    });
    const access = expectRefreshed(result);
    expect(seen).toEqual({ email: "alice@example.com", cookie: access, forged: "/page" });
    expect(result.response.headers.get("x-middleware-request-x-tenant")).toBe("acme");
    expect(result.response.headers.get("x-middleware-request-cookie")).toContain(access);
  });

  it("runs the handler only for requests the protect rules let through", async () => {
    const app = appVia();
    let called = false;
    const response = await app.middleware(() => {
      called = true;
      return NextResponse.next();
    })(new NextRequest(`${APP_URL}/dashboard`, { headers: { accept: "text/html" } }));
    expect(response.status).toBe(307);
    expect(called).toBe(false);
  });
});
