import { describe, expect, inject, it } from "vitest";
import { cognito } from "../scripts/cognito-local.mjs";
import { type CognitoSessionOptions, ConfigError, createCognitoSession } from "../src/index.ts";
import { APP_URL, createTestApp, SECRET, TestBrowser } from "./helpers/app.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";
import { freePort } from "./helpers/ports.ts";
import { coreOf } from "../src/internal.ts";

type App = ReturnType<typeof createTestApp>;

/** POST the sign-out as the app's own page would, optionally with a `level` form field. */
function postSignOut(browser: TestBrowser, level?: string, headers: Record<string, string> = {}) {
  const body = level === undefined ? undefined : new URLSearchParams({ level }).toString();
  return browser.fetch("/auth/sign-out", {
    method: "POST",
    headers: {
      origin: APP_URL,
      "sec-fetch-site": "same-origin",
      ...(body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded", "content-length": String(body.length) }),
      ...headers,
    },
    ...(body === undefined ? {} : { body }),
  });
}

/** The refresh token behind the browser's session, recovered through the app's own unseal. */
async function refreshTokenOf(app: App, browser: TestBrowser): Promise<string> {
  const tokens = await coreOf(app).storage.read(new Map([...browser.cookies].map(([k, v]) => [k, [v]])));
  return tokens!.refreshToken!;
}

/** Whether the embedded Cognito still redeems `refreshToken`. */
async function stillRefreshes(refreshToken: string): Promise<boolean> {
  const { endpoint, clientId } = inject("cognito");
  return cognito(endpoint, "InitiateAuth", {
    AuthFlow: "REFRESH_TOKEN_AUTH",
    ClientId: clientId,
    AuthParameters: { REFRESH_TOKEN: refreshToken },
  }).then(
    () => true,
    (error: Error) => {
      expect(error.message).toMatch(/NotAuthorized/);
      return false;
    },
  );
}

async function signedIn(options: CognitoSessionOptions = {}) {
  const app = createTestApp(options);
  const browser = new TestBrowser(app);
  browser.routes.set(
    "/api/me",
    app.withAuth({}, (_req, { session }) => Response.json({ sub: session.user?.sub })),
  );
  await browser.signIn("bob@example.com");
  return { app, browser, refreshToken: await refreshTokenOf(app, browser) };
}

function expectCleared(response: Response, browser: TestBrowser) {
  expect(response.status).toBe(303);
  expect(response.headers.get("clear-site-data")).toBe('"cookies"');
  expect(response.headers.get("cache-control")).toBe("private, no-store");
  const deleted = response.headers.getSetCookie().filter((l) => /Max-Age=0/.test(l));
  expect(deleted.map((l) => l.split("=")[0]).sort()).toEqual(expect.arrayContaining(["__Host-ncs.at", "__Host-ncs.s"]));
  // A `__Host-` deletion only works with the same attributes as the cookie.
  for (const line of deleted) expect(line).toMatch(/; Path=\/.*; Secure/);
  expect(browser.cookies.size).toBe(0);
}

describe("sign-out levels against the embedded Cognito", () => {
  it("revoke (the default) clears the cookies and kills the refresh token", async () => {
    const { app, browser, refreshToken } = await signedIn();
    expect(await stillRefreshes(refreshToken)).toBe(true);
    const response = await postSignOut(browser);
    expectCleared(response, browser);
    expect(response.headers.get("location")).toBe(`${APP_URL}/`);
    expect(response.headers.get("x-sign-out-incomplete")).toBeNull();
    expect(await stillRefreshes(refreshToken)).toBe(false);
    // Nor through the token endpoint the library refreshes with.
    await expect(coreOf(app).oauth!.refresh(refreshToken)).rejects.toMatchObject({ code: "ERR_COGNITO_REJECTED" });
    expect((await browser.fetch("/api/me")).status).toBe(401);
  });

  it("local only clears the cookies: the refresh token stays valid at Cognito", async () => {
    const { browser, refreshToken } = await signedIn({ signOut: { level: "local" } });
    expectCleared(await postSignOut(browser), browser);
    expect(await stillRefreshes(refreshToken)).toBe(true);
  });

  it("a form field picks another allowed level per request", async () => {
    const { browser, refreshToken } = await signedIn();
    expectCleared(await postSignOut(browser, "local"), browser);
    expect(await stillRefreshes(refreshToken)).toBe(true);
  });

  it("refuses a level the config does not offer, leaving the session intact", async () => {
    const { browser, refreshToken } = await signedIn();
    for (const level of ["global", "everything"]) {
      const response = await postSignOut(browser, level);
      expect(response.status).toBe(400);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect((await browser.fetch("/api/me")).status).toBe(200);
    expect(await stillRefreshes(refreshToken)).toBe(true);
  });

  it("global, which the embedded Cognito lacks, still signs out locally, revokes, and reports the failure", async () => {
    const { browser, refreshToken } = await signedIn({ signOut: { levels: ["global"] } });
    const response = await postSignOut(browser, "global");
    expectCleared(response, browser);
    expect(response.headers.get("x-sign-out-incomplete")).toBe("global");
    expect(await stillRefreshes(refreshToken)).toBe(false);
  });

  it("clears pending sign-in transactions too", async () => {
    const { browser } = await signedIn();
    await browser.fetch("/auth/sign-in?returnTo=/x");
    expect([...browser.cookies.keys()].some((n) => n.startsWith("__Host-ncs.tx."))).toBe(true);
    expectCleared(await postSignOut(browser), browser);
  });
});

describe("sign-out refuses cross-site requests", () => {
  it.each([
    ["a foreign Origin", { origin: "https://evil.example", "sec-fetch-site": "cross-site" }],
    ["a foreign Origin alone", { origin: "https://evil.example", "sec-fetch-site": "" }],
    ["Origin: null", { origin: "null", "sec-fetch-site": "" }],
    ["Sec-Fetch-Site: cross-site alone", { origin: "", "sec-fetch-site": "cross-site" }],
    ["a sibling subdomain (same-site)", { origin: "http://sub.localhost:3000", "sec-fetch-site": "same-site" }],
  ])("with %s: 403, nothing cleared, nothing revoked", async (_, headers) => {
    const { browser, refreshToken } = await signedIn();
    const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== ""));
    const response = await browser.fetch("/auth/sign-out", { method: "POST", headers: clean });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get("clear-site-data")).toBeNull();
    expect((await browser.fetch("/api/me")).status).toBe(200);
    expect(await stillRefreshes(refreshToken)).toBe(true);
  });

  it("answers GET with 405 and leaves the session alone", async () => {
    const { browser } = await signedIn();
    const response = await browser.fetch("/auth/sign-out");
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await browser.fetch("/api/me")).status).toBe(200);
  });
});

describe("sign-out when Cognito fails", () => {
  it("clears the cookies and reports the revoke when Cognito cannot be reached", async () => {
    const closed = await freePort();
    const { browser } = await signedIn({ endpoint: `http://127.0.0.1:${closed}/`, timeoutMs: 2000 });
    const response = await postSignOut(browser);
    expectCleared(response, browser);
    expect(response.headers.get("x-sign-out-incomplete")).toBe("revoke");
  });
});

describe("sign-out against a Cognito that has every endpoint (local fake)", () => {
  const fake = useFakeCognito();

  async function fakeSession(options: CognitoSessionOptions = {}, accessLifetime = 3600) {
    const app = fake.app(options);
    return { app, ...(await fake.signedIn(app, { accessLifetime })) };
  }

  it("global calls GlobalSignOut with the session's access token, and needs no revoke after it", async () => {
    fake.onApi = () => ({ status: 200, body: {} });
    const { browser, tokens } = await fakeSession({ signOut: { level: "global" } });
    const response = await postSignOut(browser);
    expectCleared(response, browser);
    expect(response.headers.get("x-sign-out-incomplete")).toBeNull();
    expect(fake.calls.map((c) => c.action)).toEqual(["GlobalSignOut"]);
    expect(fake.calls[0]!.body).toEqual({ AccessToken: tokens.access_token });
  });

  it("global refreshes a lapsed access token first, since GlobalSignOut needs a live one", async () => {
    fake.onApi = () => ({ status: 200, body: {} });
    const fresh = await fake.tokenSet();
    fake.onToken = () => ({ status: 200, body: fresh });
    const { browser, tokens } = await fakeSession({ signOut: { level: "global" } }, -60);
    const response = await postSignOut(browser);
    expectCleared(response, browser);
    expect(response.headers.get("x-sign-out-incomplete")).toBeNull();
    const [refresh, global] = fake.calls;
    expect(refresh!.path).toBe("/oauth2/token");
    expect(refresh!.body).toMatchObject({ grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(global!.body).toEqual({ AccessToken: fresh.access_token });
  });

  it("revoke sends the refresh token (and the client secret, when there is one) to RevokeToken", async () => {
    fake.onApi = () => ({ status: 200, body: {} });
    const { browser, tokens } = await fakeSession({ clientSecret: "the-client-secret" });
    const response = await postSignOut(browser);
    expectCleared(response, browser);
    expect(fake.calls.map((c) => [c.action, c.body])).toEqual([
      ["RevokeToken", { ClientId: fake.clientId, Token: tokens.refresh_token, ClientSecret: "the-client-secret" }],
    ]);
  });

  it("clears the cookies and reports both steps when Cognito refuses them", async () => {
    fake.onApi = (action) => ({ status: 400, body: { __type: action === "RevokeToken" ? "UnauthorizedException" : "NotAuthorizedException" } });
    const { browser } = await fakeSession({ signOut: { level: "global" } });
    const response = await postSignOut(browser);
    expectCleared(response, browser);
    expect(response.headers.get("x-sign-out-incomplete")).toBe("global, revoke");
    expect(fake.calls.map((c) => c.action)).toEqual(["GlobalSignOut", "RevokeToken"]);
  });

  it("local calls Cognito not at all", async () => {
    const { browser } = await fakeSession({ signOut: { level: "local" } });
    expectCleared(await postSignOut(browser), browser);
    expect(fake.calls).toEqual([]);
  });

  it("ends the hosted-UI session through /logout with client_id and logout_uri when configured", async () => {
    fake.onApi = () => ({ status: 200, body: {} });
    const { browser } = await fakeSession({ signOut: { hostedUi: true, redirectTo: "/goodbye" } });
    const response = await postSignOut(browser);
    expectCleared(response, browser);
    const location = new URL(response.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(`${fake.url}/logout`);
    expect(location.searchParams.get("client_id")).toBe(fake.clientId);
    expect(location.searchParams.get("logout_uri")).toBe(`${APP_URL}/goodbye`);
  });

  it("lands on signOut.redirectTo without the hosted UI", async () => {
    const { browser } = await fakeSession({ signOut: { level: "local", redirectTo: "/goodbye" } });
    expect((await postSignOut(browser)).headers.get("location")).toBe(`${APP_URL}/goodbye`);
  });
});

describe("sign-out configuration", () => {
  const env = { COGNITO_USER_POOL_ID: "local_Abc1", COGNITO_CLIENT_ID: "client1", APP_URL, SESSION_SECRET: SECRET };
  it.each<[string, CognitoSessionOptions["signOut"]]>([
    ["signOut.level", { level: "nuke" as never }],
    ["signOut.levels", { levels: ["local", "nuke" as never] }],
    ["signOut.hostedUi", { hostedUi: true }],
    ["signOut.redirectTo", { redirectTo: "https://evil.example/" }],
    ["signOut.redirectTo", { redirectTo: "//evil.example" }],
  ])("names %s when it is wrong", (setting, signOut) => {
    expect(() => createCognitoSession({ env, signOut })).toThrow(ConfigError);
    expect(() => createCognitoSession({ env, signOut })).toThrow(new RegExp(`^${setting.replace(".", "\\.")}:`));
  });

  it("defaults to revoke, offering local and revoke", () => {
    expect(createCognitoSession({ env }).config.signOut).toEqual({
      level: "revoke",
      levels: ["local", "revoke"],
      hostedUi: false,
      redirectTo: "/",
    });
  });
});
