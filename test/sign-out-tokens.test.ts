// What a sign-out ends beyond the browser's cookies: the access tokens of the session
// (`revoke`) or of the user (`global`), refused here as cookie and as Bearer, on this
// instance and on the others, including tokens a stolen refresh token yields while
// Cognito is still answering the sign-out.
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import type { CognitoSession, CognitoSessionOptions } from "../src/index.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { APP_URL, createTestApp, TestBrowser } from "./helpers/app.ts";
import { type FakeAnswer, useFakeCognito } from "./helpers/fake-cognito.ts";
import { coreOf } from "../src/internal.ts";

const fake = useFakeCognito();
afterEach(() => vi.useRealTimers());

type App = CognitoSession<any>;

/** An app on the fake Cognito whose `/api/me` answers the session's `sub` (cookie or Bearer). */
function appWith(options: CognitoSessionOptions = {}): App {
  return fake.app(options);
}

function browserOf(app: App, cookies?: Map<string, string>): TestBrowser<App> {
  const browser = new TestBrowser(app);
  browser.routes.set(
    "/api/me",
    app.withAuth({}, (_req, { session }) => Response.json({ sub: session.user?.sub })),
  );
  for (const [name, value] of cookies ?? []) browser.cookies.set(name, value);
  return browser;
}

/** A browser signed in on `app` with a fresh token set of the fake (see `FakeCognito.tokenSet`). */
async function signedIn(app: App, options: Parameters<typeof fake.tokenSet>[0] = {}) {
  const { browser: plain, tokens } = await fake.signedIn(app, options);
  return { browser: browserOf(app, plain.cookies), tokens };
}

function postSignOut(browser: TestBrowser<App>, level?: string) {
  const body = level === undefined ? undefined : `level=${level}`;
  return browser.fetch("/auth/sign-out", {
    method: "POST",
    headers: {
      origin: APP_URL,
      "sec-fetch-site": "same-origin",
      ...(body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded", "content-length": String(body.length) }),
    },
    ...(body === undefined ? {} : { body }),
  });
}

/** The status `app` answers `/api/me` with for `token` as `Authorization: Bearer`. */
const asBearer = (app: App, token: string) =>
  browserOf(app)
    .fetch("/api/me", { headers: { accept: "application/json", authorization: `Bearer ${token}` } })
    .then((r) => r.status);

/** The status `app` answers `/api/me` with for a copy of `cookies`. */
const asCookies = (app: App, cookies: Map<string, string>) =>
  browserOf(app, new Map(cookies))
    .fetch("/api/me", { headers: { accept: "application/json" } })
    .then((r) => r.status);

/** A refresh-token grant at the fake's token endpoint, as anyone holding the refresh token can make it. */
async function redeem(refreshToken: string): Promise<string> {
  const response = await fetch(`${fake.url}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: fake.clientId }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

/** A Cognito API action that answers only once the test releases it; `arrived` settles when the call is in. */
function held(action: string) {
  let release!: () => void;
  let arrived!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const inFlight = new Promise<void>((resolve) => (arrived = resolve));
  fake.onApi = async (name): Promise<FakeAnswer> => {
    if (name === action) {
      arrived();
      await released;
    }
    return { status: 200, body: {} };
  };
  return { inFlight, release };
}

/** Freeze the clock (Date only: timers and sockets run as usual) at a known point of a second. */
function clockAt(msIntoSecond: number): number {
  const start = Math.floor(Date.now() / 1000) * 1000 + msIntoSecond;
  vi.useFakeTimers({ toFake: ["Date"], now: start });
  return start;
}

describe("revoke ends the session's access tokens here, cookie and Bearer", () => {
  it("refuses the access token as Bearer and a copy of the cookies after the sign-out, and every token of that sign-in", async () => {
    fake.onApi = () => ({ status: 200, body: {} });
    const app = appWith();
    const { browser, tokens } = await signedIn(app, { originJti: "sign-in-1" });
    const stolen = new Map(browser.cookies);
    const sameSignIn = (await fake.tokenSet({ originJti: "sign-in-1" })).access_token;
    const otherSignIn = (await fake.tokenSet({ originJti: "sign-in-2" })).access_token;
    expect(await asBearer(app, tokens.access_token)).toBe(200);
    expect(await asCookies(app, stolen)).toBe(200);

    const out = await postSignOut(browser);
    expect(out.status).toBe(303);
    expect(out.headers.get("x-sign-out-incomplete")).toBeNull();
    expect(fake.calls.map((c) => c.action)).toEqual(["RevokeToken"]);
    expect(await asBearer(app, tokens.access_token)).toBe(401);
    expect(await asCookies(app, stolen)).toBe(401);
    // Another access token of the same sign-in (an earlier or later refresh): refused too.
    expect(await asBearer(app, sameSignIn)).toBe(401);
    // The same user signed in elsewhere: revoke is not global.
    expect(await asBearer(app, otherSignIn)).toBe(200);
  });

  it("without origin_jti (as cognito-local issues them) refuses the access token the session held, by its jti, and only it", async () => {
    fake.onApi = () => ({ status: 200, body: {} });
    const app = appWith();
    const { browser, tokens } = await signedIn(app, { originJti: null });
    const stolen = new Map(browser.cookies);
    // Issued to the same session by an earlier refresh: nothing in it ties it to this session.
    const earlier = (await fake.tokenSet({ originJti: null })).access_token;
    await postSignOut(browser);
    expect(await asBearer(app, tokens.access_token)).toBe(401);
    expect(await asCookies(app, stolen)).toBe(401);
    expect(await asBearer(app, earlier)).toBe(200);
  });

  it("is refused by the other instances sharing the store", async () => {
    fake.onApi = () => ({ status: 200, body: {} });
    const store = new MemoryStore();
    const [a, b] = [appWith({ store, sessions: "cookie" }), appWith({ store, sessions: "cookie" })];
    const { browser, tokens } = await signedIn(a);
    expect(await asBearer(b, tokens.access_token)).toBe(200);
    await postSignOut(browser);
    expect(await asBearer(b, tokens.access_token)).toBe(401);
    // An instance started after the sign-out loads it from the store.
    expect(await asBearer(appWith({ store, sessions: "cookie" }), tokens.access_token)).toBe(401);
  });

  it("with server-side sessions refuses the access token as Bearer too", async () => {
    fake.onApi = () => ({ status: 200, body: {} });
    const app = appWith({ store: new MemoryStore(), sessions: "server" });
    const { browser, tokens } = await signedIn(app);
    expect(await asBearer(app, tokens.access_token)).toBe(200);
    await postSignOut(browser);
    expect(await asBearer(app, tokens.access_token)).toBe(401);
  });

  it("local leaves the access token valid: it ends this browser's cookies only", async () => {
    const app = appWith({ signOut: { level: "local" } });
    const { browser, tokens } = await signedIn(app);
    await postSignOut(browser);
    expect(await asBearer(app, tokens.access_token)).toBe(200);
  });

  it("refuses a token the stolen refresh token yields while RevokeToken is in flight, for that token's whole lifetime", async () => {
    const start = clockAt(100);
    const { inFlight, release } = held("RevokeToken");
    const lifetime = 60;
    fake.onToken = async function () {
      return { status: 200, body: await this.tokenSet({ originJti: "sign-in-1", accessLifetime: lifetime }) };
    };
    const app = appWith();
    const { browser, tokens } = await signedIn(app, { originJti: "sign-in-1", accessLifetime: lifetime });
    const out = postSignOut(browser);
    await inFlight;
    // Cognito takes its time; meanwhile the thief redeems the refresh token.
    vi.setSystemTime(start + 20_000);
    const minted = await redeem(tokens.refresh_token);
    release();
    expect((await out).status).toBe(303);
    expect(await asBearer(app, minted)).toBe(401);
    // Still refused near the end of its own lifetime, past that of the token the session held.
    vi.setSystemTime(start + (20 + lifetime - 2) * 1000);
    expect(await asBearer(app, minted)).toBe(401);
  });
});

describe("global sign-out against a refresh racing GlobalSignOut", () => {
  it("refuses a token another device's stolen refresh token yields while GlobalSignOut is in flight, issued after the first not-before", async () => {
    const start = clockAt(100);
    const { inFlight, release } = held("GlobalSignOut");
    const sub = "22222222-3333-4444-5555-666666666666";
    // The thief's refresh token belongs to another sign-in of the user (another device).
    fake.onToken = async function () {
      return { status: 200, body: await this.tokenSet({ sub, originJti: "other-device" }) };
    };
    const store = new MemoryStore();
    const [a, b] = [appWith({ store, sessions: "cookie", signOut: { level: "global" } }), appWith({ store, sessions: "cookie" })];
    const { browser } = await signedIn(a, { sub, originJti: "this-device" });
    const out = postSignOut(browser);
    await inFlight;
    // The call crosses into the next second, the one the first not-before names.
    vi.setSystemTime(start + 1_500);
    const minted = await redeem("stolen-refresh-token-of-the-other-device");
    const { iat } = JSON.parse(Buffer.from(minted.split(".")[1]!, "base64url").toString()) as { iat: number };
    expect(iat).toBe(Math.floor(start / 1000) + 1);
    release();
    const response = await out;
    expect(response.headers.get("x-sign-out-incomplete")).toBeNull();
    expect(await asBearer(a, minted)).toBe(401);
    expect(await asBearer(b, minted)).toBe(401);
    // For the whole hour the token is valid.
    vi.setSystemTime(start + 3_590_000);
    expect(await asBearer(a, minted)).toBe(401);
    // A sign-in after Cognito answered is a session again.
    vi.setSystemTime(start + 3_000);
    expect(await asBearer(a, (await fake.tokenSet({ sub })).access_token)).toBe(200);
  });
});

describe("global sign-out against the app's own refresh racing GlobalSignOut", () => {
  it("refuses the session another device's refresh brought back while GlobalSignOut was in flight", async () => {
    const start = clockAt(100);
    const { inFlight, release } = held("GlobalSignOut");
    const sub = "33333333-4444-5555-6666-777777777777";
    // The other device's refresh reaches Cognito before the sign-out and is answered after it began.
    let answerRefresh!: () => void;
    let refreshIn!: () => void;
    const refreshAnswered = new Promise<void>((resolve) => (answerRefresh = resolve));
    const refreshArrived = new Promise<void>((resolve) => (refreshIn = resolve));
    fake.onToken = async function () {
      refreshIn();
      await refreshAnswered;
      return { status: 200, body: await this.tokenSet({ sub, originJti: "other-device" }) };
    };
    const app = appWith({ signOut: { level: "global" } });
    const { browser } = await signedIn(app, { sub, originJti: "this-device" });
    const { browser: other } = await signedIn(app, { sub, originJti: "other-device", accessLifetime: -60 });
    const refreshing = other.fetch("/api/me", { headers: { accept: "application/json" } });
    await refreshArrived;
    const out = postSignOut(browser);
    await inFlight;
    vi.setSystemTime(start + 1_500);
    answerRefresh();
    expect((await refreshing).status).toBe(200);
    release();
    await out;
    expect((await other.fetch("/api/me", { headers: { accept: "application/json" } })).status).toBe(401);
  });
});

describe("revoke against the embedded Cognito (no origin_jti in its tokens)", () => {
  it("refuses the session's access token as Bearer after the sign-out", async () => {
    const app = createTestApp();
    const browser = new TestBrowser(app);
    browser.routes.set(
      "/api/me",
      app.withAuth({}, (_req, { session }) => Response.json({ sub: session.user?.sub })),
    );
    await browser.signIn("bob@example.com", inject("cognito").password);
    const accessToken = browser.cookies.get(coreOf(app).cookieNames.access)!;
    const claims = JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString());
    expect(claims).toHaveProperty("jti");
    expect(claims).not.toHaveProperty("origin_jti");
    const bearer = { accept: "application/json", authorization: `Bearer ${accessToken}` };
    expect((await new TestBrowser(app).fetch("/dashboard", { headers: bearer })).status).toBe(200);
    const out = await postSignOut(browser as TestBrowser<App>);
    expect(out.headers.get("x-sign-out-incomplete")).toBeNull();
    expect((await new TestBrowser(app).fetch("/dashboard", { headers: bearer })).status).toBe(401);
  });
});
