import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cognito, envFor, startCognitoLocal } from "../scripts/cognito-local.mjs";
import { type CognitoSessionOptions, createCognitoSession, InvalidSignatureError } from "../src/index.ts";
import { APP_URL, SECRET, TestBrowser } from "./helpers/app.ts";
import { CountingProxy, type Fault } from "./helpers/counting-proxy.ts";
import { signedInCookies } from "./helpers/password-session.ts";
import { freePort } from "./helpers/ports.ts";
import { coreOf } from "../src/internal.ts";

// Access tokens live 2 s here, so sessions lapse during the test.
let idp: Awaited<ReturnType<typeof startCognitoLocal>>;
let proxy: CountingProxy;
let closedPort: number;

beforeAll(async () => {
  idp = await startCognitoLocal({ port: await freePort(), appUrl: APP_URL, accessTokenTtl: 2 });
  proxy = await CountingProxy.start(idp.info.domain);
  closedPort = await freePort();
});
afterAll(async () => {
  await proxy?.stop();
  await idp?.stop();
});

type App = ReturnType<typeof createCognitoSession>;
type Via = "token endpoint" | "Cognito API" | "closed port";

function app(via: Via, options: CognitoSessionOptions = {}): App {
  const base = via === "closed port" ? `http://127.0.0.1:${closedPort}` : proxy.url;
  return createCognitoSession({
    protect: { "/dashboard/:path*": {} },
    timeoutMs: 300,
    ...options,
    env: {
      ...envFor(idp.info, APP_URL),
      COGNITO_DOMAIN: via === "Cognito API" ? undefined : base,
      COGNITO_ENDPOINT: `${base}/`,
      SESSION_SECRET: SECRET,
    },
  });
}

/**
 * A signed-in browser whose access token is due for a refresh: "valid" still verifies
 * (inside the clock tolerance, past the refresh margin), "expired" no longer does.
 */
async function lapsed(via: Via, state: "valid" | "expired"): Promise<{ app: App; browser: TestBrowser }> {
  const application = app(via, { clockTolerance: state === "valid" ? 60 : 0 });
  const browser = new TestBrowser(application);
  for (const [name, value] of await signedInCookies(application, idp.info.endpoint, "alice@example.com")) {
    browser.cookies.set(name, value);
  }
  browser.routes.set(
    "/api/me",
    application.withAuth({}, () => Response.json({ ok: true })),
  );
  const { exp } = decodeJwt(browser.cookies.get(coreOf(application).cookieNames.access)!);
  await new Promise((r) => setTimeout(r, Math.max(0, exp! * 1000 - Date.now() + 50)));
  return { app: application, browser };
}

const cleared = (response: Response) =>
  response.headers
    .getSetCookie()
    .filter((l) => /max-age=0/i.test(l))
    .map((l) => l.split("=")[0]);

/** Failures that keep the cookies, by how they are produced. */
const transient: Array<{ name: string; via: Via; fault?: Fault }> = [
  { name: "Cognito answers 500", via: "token endpoint", fault: { status: 500, error: "server_error" } },
  { name: "Cognito API answers 500", via: "Cognito API", fault: { status: 500, error: "InternalErrorException" } },
  { name: "Cognito does not answer in time", via: "token endpoint", fault: "hang" },
  { name: "Cognito API does not answer in time", via: "Cognito API", fault: "hang" },
  { name: "nothing listens (connection refused)", via: "closed port" },
  { name: "Cognito throttles", via: "Cognito API", fault: { status: 400, error: "TooManyRequestsException" } },
  { name: "the client is refused (a config fault, not the user's)", via: "token endpoint", fault: { status: 400, error: "unauthorized_client" } },
  { name: "the new tokens fail verification", via: "token endpoint", fault: "tamper" },
];

describe.each(transient)("when $name", ({ via, fault }) => {
  it("serves a still-valid session normally and keeps the cookies", async () => {
    const { app, browser } = await lapsed(via, "valid");
    const before = new Map(browser.cookies);
    proxy.fault = fault;
    try {
      const me = await browser.fetch("/api/me");
      expect(me.status).toBe(200);
      expect(me.headers.getSetCookie()).toEqual([]);
      const page = await browser.fetch("/dashboard");
      expect(page.headers.get("x-middleware-next")).toBe("1");
      expect(page.headers.getSetCookie()).toEqual([]);
    } finally {
      proxy.fault = undefined;
    }
    expect(browser.cookies).toEqual(before);
    // One call for the three refresh attempts (middleware and handler of /api/me, then
    // /dashboard): a failure is answered from memory for a second.
    expect(coreOf(app).refresher.calls).toBe(1);
  });

  it("signs an expired session out of this request only: 401 or sign-in, refresh cookie kept, next request recovers", async () => {
    const { app, browser } = await lapsed(via, "expired");
    const before = new Map(browser.cookies);
    proxy.fault = fault;
    try {
      const me = await browser.fetch("/api/me");
      expect(me.status).toBe(401);
      expect(me.headers.getSetCookie()).toEqual([]);
      const page = await browser.fetch("/dashboard");
      expect(page.status).toBe(307);
      expect(new URL(page.headers.get("location")!).pathname).toBe("/auth/sign-in");
      expect(page.headers.getSetCookie()).toEqual([]);
    } finally {
      proxy.fault = undefined;
    }
    expect(browser.cookies).toEqual(before);
    if (via === "closed port") return; // this app can never reach Cognito
    // Cognito is back: after the refresher's one-second pause, the kept refresh token works
    // and nobody has to sign in again.
    await new Promise((r) => setTimeout(r, coreOf(app).refresher.retryMs + 50));
    const calls = coreOf(app).refresher.calls;
    expect((await browser.fetch("/api/me")).status).toBe(200);
    expect(coreOf(app).refresher.calls).toBe(calls + 1);
    expect(browser.cookies.get(coreOf(app).cookieNames.access)).not.toBe(before.get(coreOf(app).cookieNames.access));
  });
});

describe.each([
  { name: "the token endpoint answers invalid_grant", via: "token endpoint" as Via, fault: { status: 400, error: "invalid_grant" } },
  { name: "the API answers NotAuthorizedException", via: "Cognito API" as Via, fault: { status: 400, error: "NotAuthorizedException" } },
  { name: "a rotating client sees a reused token", via: "Cognito API" as Via, fault: { status: 400, error: "RefreshTokenReuseException" } },
])("when $name", ({ via, fault }) => {
  it.each(["valid", "expired"] as const)("clears every session cookie of a %s session", async (state) => {
    const { app, browser } = await lapsed(via, state);
    const names = [...browser.cookies.keys()];
    proxy.fault = fault;
    try {
      const me = await browser.fetch("/api/me");
      expect(me.status).toBe(401);
      expect(cleared(me).sort()).toEqual(names.sort());
      expect(me.headers.get("cache-control")).toBe("private, no-store");
      expect(browser.cookies.size).toBe(0);
    } finally {
      proxy.fault = undefined;
    }
    expect(coreOf(app).refresher.calls).toBe(1);
  });
});

it("never hands out refreshed tokens that fail verification", async () => {
  const { app, browser } = await lapsed("token endpoint", "expired");
  const tokens = await coreOf(app).storage.read(new Map([...browser.cookies].map(([n, v]) => [n, [v]])));
  proxy.fault = "tamper";
  try {
    await expect(coreOf(app).refresher.refresh(tokens!)).rejects.toBeInstanceOf(InvalidSignatureError);
  } finally {
    proxy.fault = undefined;
  }
});

describe("a refresh token Cognito has revoked", () => {
  it.each(["token endpoint", "Cognito API"] as const)("ends the session through the %s", async (via) => {
    const { app, browser } = await lapsed(via, "expired");
    const tokens = await coreOf(app).storage.read(new Map([...browser.cookies].map(([n, v]) => [n, [v]])));
    await cognito(idp.info.endpoint, "RevokeToken", { ClientId: app.config.clientId, Token: tokens!.refreshToken });
    const page = await browser.fetch("/dashboard");
    expect(page.status).toBe(307);
    expect(cleared(page).length).toBeGreaterThanOrEqual(2);
    expect(page.headers.get("cache-control")).toBe("private, no-store");
    expect(browser.cookies.size).toBe(0);
  });
});
