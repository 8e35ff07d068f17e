// The `events` and `logger` options: each event where it happens, with what it carries;
// handlers that throw, reject or never settle leave the request alone; settings checked at
// start-up. Against the fake Cognito, whose answers are scripted per test.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SessionEventMap, SessionEventName } from "../src/config/events.ts";
import { defaultLogger, type LogLevel } from "../src/config/logger.ts";
import { passwordSignIn } from "../src/flows/password.ts";
import { type CognitoSessionOptions, ConfigError, createCognitoSession } from "../src/index.ts";
import { coreOf } from "../src/internal.ts";
import { APP_URL, SECRET, TestBrowser } from "./helpers/app.ts";
import { type FakeAnswer, useFakeCognito } from "./helpers/fake-cognito.ts";
import { freePort } from "./helpers/ports.ts";

const fake = useFakeCognito();
afterEach(() => vi.useRealTimers());

const NAMES: SessionEventName[] = ["signIn", "signOut", "refresh", "refreshFailed", "sessionEnded", "tokenRejected"];
const now = () => Math.floor(Date.now() / 1000);

type Heard = { [K in SessionEventName]: { name: K; event: SessionEventMap[K] } }[SessionEventName];

/** Handlers of every event and a logger of every level, recording what they are given. */
function capture() {
  const heard: Heard[] = [];
  const lines: Array<{ level: LogLevel; message: string; fields: Record<string, unknown> }> = [];
  const events = Object.fromEntries(NAMES.map((name) => [name, (event: unknown) => void heard.push({ name, event } as Heard)]));
  const logger = Object.fromEntries(
    (["debug", "info", "warn", "error"] as const).map((level) => [
      level,
      (message: string, fields: Record<string, unknown>) => void lines.push({ level, message, fields }),
    ]),
  );
  const of = <K extends SessionEventName>(name: K) => heard.filter((h) => h.name === name).map((h) => h.event as SessionEventMap[K]);
  return { heard, lines, of, options: { events, logger } as CognitoSessionOptions };
}

function appWith(options: CognitoSessionOptions = {}) {
  const app = fake.app({ protect: { "/dashboard/:path*": {} }, timeoutMs: 300, ...options });
  return app;
}

function browserOf(app: ReturnType<typeof appWith>) {
  const browser = new TestBrowser(app);
  browser.routes.set(
    "/api/me",
    app.withAuth({}, (_req, { session }) => Response.json({ sub: session.user?.sub })),
  );
  return browser;
}

/** A browser holding a session whose access token is due for a refresh (valid, within the margin). */
async function dueSession(app: ReturnType<typeof appWith>, sub = "u-due") {
  const accessToken = await fake.sign({
    sub,
    token_use: "access",
    client_id: fake.clientId,
    username: "alice",
    scope: "openid",
    iat: now() - 3_000,
    exp: now() + 30,
  });
  const changes = await coreOf(app).storage.write(new Map(), {
    accessToken,
    idToken: undefined,
    refreshToken: `opaque-${crypto.randomUUID()}`,
    endsAt: now() + 3_600,
  });
  const browser = browserOf(app);
  for (const { name, value } of changes.set) browser.cookies.set(name, value);
  return browser;
}

const page = (browser: TestBrowser<any>) => browser.fetch("/dashboard");

describe("signIn", () => {
  it("reports a hosted-UI sign-in with its method and user, once the cookies are made", async () => {
    const seen = capture();
    const browser = browserOf(appWith({ ...seen.options, dev: { allowMissingNonce: true } }));
    const start = await browser.fetch("/auth/sign-in?returnTo=/dashboard");
    const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
    expect(seen.heard).toEqual([]);
    const callback = await browser.fetch(`/auth/callback?code=c&state=${state}`);
    expect(callback.status).toBe(302);
    expect(seen.of("signIn")).toEqual([{ method: "hosted-ui", sub: "11111111-2222-3333-4444-555555555555", username: "alice" }]);
    expect(seen.lines).toContainEqual(
      expect.objectContaining({ level: "info", message: "signed in", fields: expect.objectContaining({ event: "signIn", method: "hosted-ui" }) }),
    );
  });

  it("reports a password sign-in, and nothing for a refused one", async () => {
    const seen = capture();
    const app = appWith(seen.options);
    const issued = await fake.tokenSet({ sub: "u-pw" });
    fake.onApi = (_action, call) =>
      call.body.AuthParameters?.PASSWORD === "right"
        ? { status: 200, body: { AuthenticationResult: { AccessToken: issued.access_token, IdToken: issued.id_token, RefreshToken: issued.refresh_token } } }
        : { status: 400, body: { __type: "NotAuthorizedException", message: "Incorrect username or password." } };
    await passwordSignIn(coreOf(app), new Map(), { username: "alice", password: "wrong" });
    expect(seen.of("signIn")).toEqual([]);
    await passwordSignIn(coreOf(app), new Map(), { username: "alice", password: "right" });
    expect(seen.of("signIn")).toEqual([{ method: "password", sub: "u-pw", username: "alice" }]);
  });
});

describe("refresh and refreshFailed", () => {
  it("reports one refresh per call to Cognito, however many requests shared it", async () => {
    const seen = capture();
    const app = appWith(seen.options);
    const browser = await dueSession(app);
    const responses = await Promise.all([page(browser), page(browser), page(browser)]);
    for (const response of responses) expect(response.headers.get("x-middleware-next")).toBe("1");
    expect(fake.count("/oauth2/token")).toBe(1);
    const [refresh, ...more] = seen.of("refresh");
    expect(more).toEqual([]);
    expect(refresh).toEqual({ sub: "11111111-2222-3333-4444-555555555555", durationMs: expect.any(Number) });
    expect(refresh!.durationMs).toBeGreaterThanOrEqual(0);
    expect(seen.of("refreshFailed")).toEqual([]);
  });

  const failures: Array<{ name: string; answer: FakeAnswer | "tamper"; failure: string; code: string; cognitoError?: string; ends: boolean }> = [
    {
      name: "invalid_grant",
      answer: { status: 400, body: { error: "invalid_grant" } },
      failure: "refused",
      code: "ERR_COGNITO_REJECTED",
      cognitoError: "invalid_grant",
      ends: true,
    },
    { name: "a 500", answer: { status: 500, body: { error: "server_error" } }, failure: "unavailable", code: "ERR_COGNITO_UNAVAILABLE", ends: false },
    {
      name: "unauthorized_client",
      answer: { status: 400, body: { error: "unauthorized_client" } },
      failure: "rejected",
      code: "ERR_COGNITO_REJECTED",
      cognitoError: "unauthorized_client",
      ends: false,
    },
    { name: "tokens that do not verify", answer: "tamper", failure: "invalid", code: "ERR_TOKEN_SIGNATURE", ends: false },
  ];

  it.each(failures)(
    "classes $name as $failure, logged as a warning; sessionEnded only when it ends the session",
    async ({ answer, failure, code, cognitoError, ends }) => {
      const seen = capture();
      const app = appWith(seen.options);
      const browser = await dueSession(app);
      fake.onToken = async function () {
        if (answer !== "tamper") return answer;
        const body = await this.tokenSet();
        return { status: 200, body: { ...body, access_token: `${body.access_token.slice(0, -6)}AAAAAA` } };
      };
      await page(browser);
      expect(seen.of("refreshFailed")).toEqual([{ failure, code, cognitoError, durationMs: expect.any(Number) }]);
      expect(seen.lines).toContainEqual(
        expect.objectContaining({ level: "warn", message: "a session refresh failed", fields: expect.objectContaining({ failure, code }) }),
      );
      expect(seen.of("sessionEnded")).toEqual(ends ? [{ reason: "refresh-refused" }] : []);
      expect(seen.of("refresh")).toEqual([]);
    },
  );
});

describe("tokenRejected and sessionEnded", () => {
  it("reports a tampered access cookie by its code and slot, and the cookies it clears", async () => {
    const seen = capture();
    const app = appWith(seen.options);
    const { browser } = await fake.signedIn(app);
    const at = coreOf(app).cookieNames.access;
    browser.cookies.set(at, `${browser.cookies.get(at)!.slice(0, -6)}AAAAAA`);
    await page(browser);
    expect(seen.of("tokenRejected")).toEqual([{ code: "ERR_TOKEN_SIGNATURE", slot: "access", source: "cookie" }]);
    expect(seen.of("sessionEnded")).toEqual([{ reason: "invalid" }]);
  });

  it("reports an ID token of another user in the slot it sits in", async () => {
    const seen = capture();
    const app = appWith(seen.options);
    const mine = await fake.tokenSet({ sub: "u-1" });
    const theirs = await fake.tokenSet({ sub: "u-2" });
    const changes = await coreOf(app).storage.write(new Map(), {
      accessToken: mine.access_token,
      idToken: theirs.id_token,
      refreshToken: "opaque-1",
      endsAt: now() + 3_600,
    });
    const browser = browserOf(app);
    for (const { name, value } of changes.set) browser.cookies.set(name, value);
    await page(browser);
    expect(seen.of("tokenRejected")).toEqual([{ code: "ERR_TOKEN_CLAIM", slot: "id", source: "cookie" }]);
    expect(seen.of("sessionEnded")).toEqual([{ reason: "invalid" }]);
  });

  it("reports cookies that are not a session at all (no token to reject) as an invalid session ended", async () => {
    const seen = capture();
    const app = appWith(seen.options);
    const browser = browserOf(app);
    browser.cookies.set(coreOf(app).cookieNames.access, "not-a-token");
    await page(browser);
    expect(seen.of("sessionEnded")).toEqual([{ reason: "invalid" }]);
    expect(seen.of("tokenRejected")).toEqual([{ code: "ERR_TOKEN_MALFORMED", slot: "access", source: "cookie" }]);
  });

  it("reports a signed-out session's cookies, sent again, as refused by ERR_SESSION_ENDED and signed out", async () => {
    fake.onApi = () => ({ status: 200, body: {} });
    const seen = capture();
    const app = appWith(seen.options);
    const { browser } = await fake.signedIn(app);
    const stolen = new Map(browser.cookies);
    expect((await page(browser)).headers.get("x-middleware-next")).toBe("1");
    const out = await browser.fetch("/auth/sign-out", { method: "POST", headers: { origin: APP_URL, "sec-fetch-site": "same-origin" } });
    expect(out.status).toBe(303);
    expect(seen.of("signOut")).toEqual([{ level: "revoke", incomplete: [], sub: "11111111-2222-3333-4444-555555555555" }]);
    const thief = browserOf(app);
    for (const [name, value] of stolen) thief.cookies.set(name, value);
    await page(thief);
    expect(seen.of("tokenRejected")).toEqual([{ code: "ERR_SESSION_ENDED", slot: "access", source: "cookie" }]);
    expect(seen.of("sessionEnded")).toEqual([{ reason: "signed-out" }]);
  });

  it("reports an expired or forged Bearer token, and no session ended (there were no cookies)", async () => {
    const seen = capture();
    const app = appWith(seen.options);
    const expired = await fake.sign({ sub: "u-1", token_use: "access", client_id: fake.clientId, iat: now() - 7_200, exp: now() - 3_600 });
    const valid = (await fake.tokenSet()).access_token;
    // Straight to the route handler: behind the middleware, each of the two reads would report it.
    const handler = app.withAuth({}, () => Response.json({}));
    for (const token of [expired, `${valid.slice(0, -6)}AAAAAA`]) {
      const response = await handler(new Request(`${APP_URL}/api/me`, { headers: { authorization: `Bearer ${token}` } }) as never, {} as never);
      expect(response.status).toBe(401);
    }
    expect(seen.of("tokenRejected")).toEqual([
      { code: "ERR_TOKEN_EXPIRED", slot: "access", source: "bearer" },
      { code: "ERR_TOKEN_SIGNATURE", slot: "access", source: "bearer" },
    ]);
    expect(seen.of("sessionEnded")).toEqual([]);
  });

  it("reports no refusal for a lapsed access cookie with a refresh token: it is refreshed, not refused", async () => {
    const seen = capture();
    const app = appWith(seen.options);
    const accessToken = await fake.sign({ sub: "u-1", token_use: "access", client_id: fake.clientId, iat: now() - 7_200, exp: now() - 3_600 });
    const changes = await coreOf(app).storage.write(new Map(), { accessToken, idToken: undefined, refreshToken: "opaque-lapsed", endsAt: now() + 3_600 });
    const browser = browserOf(app);
    for (const { name, value } of changes.set) browser.cookies.set(name, value);
    expect((await page(browser)).headers.get("x-middleware-next")).toBe("1");
    expect(seen.of("refresh")).toHaveLength(1);
    expect(seen.of("tokenRejected")).toEqual([]);
  });

  it("reports no refusal when the keys cannot be fetched: an outage is not the token's fault", async () => {
    const seen = capture();
    const down = `http://127.0.0.1:${await freePort()}`;
    const app = createCognitoSession({
      ...seen.options,
      protect: { "/dashboard/:path*": {} },
      timeoutMs: 200,
      env: { ...fake.env(APP_URL), SESSION_SECRET: SECRET, COGNITO_JWKS_URI: `${down}/jwks.json` },
    });
    const { browser } = await fake.signedIn(app);
    expect((await page(browser)).status).toBe(503);
    expect(seen.of("tokenRejected")).toEqual([]);
    expect(seen.of("sessionEnded")).toEqual([]);
    expect(seen.lines).toContainEqual(expect.objectContaining({ level: "warn", fields: { url: `${down}/jwks.json`, error: expect.any(String) } }));
  });

  it("reports nothing for a request without session cookies, nor for a warm read of a valid session", async () => {
    const seen = capture();
    const app = appWith(seen.options);
    await page(browserOf(app));
    const { browser } = await fake.signedIn(app);
    for (let i = 0; i < 3; i++) await page(browser);
    expect(seen.heard).toEqual([]);
  });
});

describe("signOut", () => {
  it("names the steps that failed, and logs it as a warning", async () => {
    fake.onApi = () => ({ status: 500, body: { __type: "InternalErrorException" } });
    const seen = capture();
    const app = appWith(seen.options);
    const { browser } = await fake.signedIn(app);
    const out = await browser.fetch("/auth/sign-out", { method: "POST", headers: { origin: APP_URL, "sec-fetch-site": "same-origin" } });
    expect(out.headers.get("x-sign-out-incomplete")).toBe("revoke");
    expect(seen.of("signOut")).toEqual([{ level: "revoke", incomplete: ["revoke"], sub: "11111111-2222-3333-4444-555555555555" }]);
    expect(seen.lines).toContainEqual(
      expect.objectContaining({ level: "warn", fields: expect.objectContaining({ event: "signOut", incomplete: ["revoke"] }) }),
    );
  });

  it("reports a local sign-out without a user: it calls nothing to learn one", async () => {
    const seen = capture();
    const app = appWith({ ...seen.options, signOut: { level: "local" } });
    const { browser } = await fake.signedIn(app);
    await browser.fetch("/auth/sign-out", { method: "POST", headers: { origin: APP_URL, "sec-fetch-site": "same-origin" } });
    expect(seen.of("signOut")).toEqual([{ level: "local", incomplete: [], sub: undefined }]);
  });
});

describe("handlers never break a request", () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);

  it.each([
    [
      "throws",
      () => {
        throw new Error("handler bug");
      },
    ],
    [
      "rejects",
      async () => {
        throw new TypeError("async handler bug");
      },
    ],
    ["never settles", () => new Promise<void>(() => {})],
  ])("a handler that %s: the request is answered as without it, the failure logged at error", async (how, handler) => {
    process.on("unhandledRejection", onUnhandled);
    try {
      const seen = capture();
      const app = appWith({ logger: seen.options.logger, events: { refresh: handler, sessionEnded: handler, tokenRejected: handler } });
      const browser = await dueSession(app);
      const response = await page(browser);
      expect(response.headers.get("x-middleware-next")).toBe("1");
      expect(fake.count("/oauth2/token")).toBe(1);
      const forged = browserOf(app);
      forged.cookies.set(coreOf(app).cookieNames.access, "x.y.z");
      expect((await page(forged)).status).toBe(307);
      // A rejection is caught a few microtasks after the handler returned: let them run.
      await new Promise((resolve) => setImmediate(resolve));
      const failures = seen.lines.filter((l) => l.level === "error");
      if (how === "never settles") expect(failures).toEqual([]);
      else {
        expect(failures.map((l) => l.fields.event).sort()).toEqual(["refresh", "sessionEnded", "tokenRejected"]);
        expect(failures[0]!.message).toMatch(/^the events\.\w+ handler failed$/);
        expect(failures[0]!.fields.error).toBe(how === "throws" ? "Error" : "TypeError");
      }
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("a logger that throws breaks nothing either", async () => {
    const boom = () => {
      throw new Error("logger bug");
    };
    const app = appWith({ logger: { debug: boom, info: boom, warn: boom, error: boom } });
    const browser = await dueSession(app);
    fake.onToken = () => ({ status: 500, body: {} });
    expect((await page(browser)).headers.get("x-middleware-next")).toBe("1");
  });
});

describe("settings", () => {
  it.each([
    [{ events: { signin: () => {} } as never }, "events.signin"],
    [{ events: { refresh: "log" } as never }, "events.refresh"],
    [{ events: "all" as never }, "events"],
    [{ logger: "console" as never }, "logger"],
    [{ logger: { warn: true } as never }, "logger.warn"],
  ])("refuses %o naming %s", (options, setting) => {
    const error = (() => {
      try {
        fake.app(options as CognitoSessionOptions);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe(setting);
  });

  it("takes console as a logger, and false for none", () => {
    expect(coreOf(fake.app({ logger: console })).log.enabled("debug")).toBe(true);
    const none = coreOf(fake.app({ logger: false })).log;
    for (const level of ["debug", "info", "warn", "error"] as const) expect(none.enabled(level)).toBe(false);
  });

  it("logs warnings and errors by default, nothing in production", () => {
    expect(Object.keys(defaultLogger({ NODE_ENV: "development" })).sort()).toEqual(["error", "warn"]);
    expect(Object.keys(defaultLogger({ NODE_ENV: "test" })).sort()).toEqual(["error", "warn"]);
    expect(defaultLogger({ NODE_ENV: "production" })).toEqual({});
    const production = coreOf(createCognitoSession({ env: { ...fake.env(APP_URL), SESSION_SECRET: SECRET, NODE_ENV: "production" } })).log;
    expect(production.enabled("warn")).toBe(false);
  });

  it("with nothing configured, wants no event: the reader builds no payload", () => {
    const quiet = coreOf(fake.app({ logger: false })).events;
    for (const name of NAMES) expect(quiet.wants(name)).toBe(false);
    expect(coreOf(fake.app({ logger: false, events: { tokenRejected: () => {} } })).events.wants("tokenRejected")).toBe(true);
  });
});
