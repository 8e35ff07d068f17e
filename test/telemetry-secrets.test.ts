// Nothing an operator sees carries a secret: tokens, cookie values, the session secret, the
// client secret, a password, an authorization code are driven through every path (hosted-UI
// and password sign-in, refresh and its failures, refusals, bad cookies, outages, sign-out,
// cookie and Redis sessions) with a logger of every level, a handler of every event and the
// OpenTelemetry SDK registered, and everything captured is searched for them.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionEventName } from "../src/config/events.ts";
import { completeNewPassword, passwordSignIn } from "../src/flows/password.ts";
import { type CognitoSessionOptions, createCognitoSession } from "../src/index.ts";
import { coreOf } from "../src/internal.ts";
import { RedisStore } from "../src/redis.ts";
import { APP_URL, SECRET, TestBrowser } from "./helpers/app.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";
import { freePort } from "./helpers/ports.ts";
import { useRedisServer } from "./helpers/redis-hooks.ts";
import { useInMemoryTracing } from "./helpers/tracing.ts";

const fake = useFakeCognito();
const tracing = useInMemoryTracing();
const redis = useRedisServer();

const CLIENT_SECRET = "client-secret-0123456789-abcdefghijklmnopqrstuv";
const PASSWORD = "Correct-Horse-Battery-9";
const NEW_PASSWORD = "Brand-New-Passw0rd-42";
const CODE = "authorization-code-5f1e0c9a";
const CHALLENGE_SESSION = "challenge-session-AYABeE3xq0-opaque";
const now = () => Math.floor(Date.now() / 1000);

/** Everything an operator could see: log lines, event payloads, finished spans. */
const seen: unknown[] = [];
/** Everything that must never be in it. */
const secrets = new Set<string>([SECRET, CLIENT_SECRET, PASSWORD, NEW_PASSWORD, CODE, CHALLENGE_SESSION]);

const NAMES: SessionEventName[] = ["signIn", "signOut", "refresh", "refreshFailed", "sessionEnded", "tokenRejected"];
const observing: CognitoSessionOptions = {
  events: Object.fromEntries(NAMES.map((name) => [name, (event: unknown) => void seen.push({ name, event })])),
  logger: Object.fromEntries(
    (["debug", "info", "warn", "error"] as const).map((level) => [level, (message: string, fields: unknown) => void seen.push({ level, message, fields })]),
  ),
};

/** A token, and each part of it, is a secret; so is every cookie value. */
function secret(value: string | undefined): void {
  if (value === undefined || value.length < 8) return;
  secrets.add(value);
  for (const part of value.split(/[.~]/)) if (part.length >= 16) secrets.add(part);
}

function remember(browser: TestBrowser<any>): void {
  for (const value of browser.cookies.values()) secret(value);
}

let closedPort: number;
beforeAll(async () => {
  closedPort = await freePort();
});

function appWith(options: CognitoSessionOptions = {}) {
  return fake.app({
    protect: { "/dashboard/:path*": {} },
    timeoutMs: 300,
    clientSecret: CLIENT_SECRET,
    dev: { allowMissingNonce: true },
    ...observing,
    ...options,
  });
}

function browserOf(app: ReturnType<typeof appWith>) {
  const browser = new TestBrowser(app);
  browser.routes.set(
    "/api/me",
    app.withAuth({}, (_req, { session }) => Response.json({ sub: session.user?.sub })),
  );
  return browser;
}

/** Issued tokens are secrets from the moment the fake signs them. */
async function tokenSet(options: Parameters<typeof fake.tokenSet>[0] = {}) {
  const tokens = await fake.tokenSet(options);
  for (const token of [tokens.access_token, tokens.id_token, tokens.refresh_token]) secret(token);
  return tokens;
}
fake.onToken = async () => ({ status: 200, body: await tokenSet() });

async function hostedSignIn(app: ReturnType<typeof appWith>, issued?: Awaited<ReturnType<typeof tokenSet>>) {
  const browser = browserOf(app);
  const start = await browser.fetch("/auth/sign-in?returnTo=/dashboard");
  const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
  secret(state);
  remember(browser);
  fake.onToken = async () => ({ status: 200, body: issued ?? (await tokenSet()) });
  expect((await browser.fetch(`/auth/callback?code=${CODE}&state=${state}`)).status).toBe(302);
  remember(browser);
  return browser;
}

async function dueSession(app: ReturnType<typeof appWith>) {
  const accessToken = await fake.sign({
    sub: "u-due",
    token_use: "access",
    client_id: fake.clientId,
    username: "alice",
    scope: "openid",
    iat: now() - 3_000,
    exp: now() + 30,
  });
  const refreshToken = `opaque-refresh-${crypto.randomUUID()}`;
  secret(accessToken);
  secret(refreshToken);
  const changes = await coreOf(app).storage.write(new Map(), { accessToken, idToken: undefined, refreshToken, endsAt: now() + 3_600 });
  const browser = browserOf(app);
  for (const { name, value } of changes.set) browser.cookies.set(name, value);
  remember(browser);
  return browser;
}

const signOut = (browser: TestBrowser<any>, level = "revoke") =>
  browser.fetch("/auth/sign-out", {
    method: "POST",
    headers: {
      origin: APP_URL,
      "sec-fetch-site": "same-origin",
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(`level=${level}`.length),
    },
    body: `level=${level}`,
  });

/** Every path, on one kind of session storage. */
async function everyPath(options: CognitoSessionOptions) {
  // Hosted-UI sign-in, reads, a sign-out that goes through and one that does not.
  fake.onApi = () => ({ status: 200, body: {} });
  const app = appWith({ ...options, signOut: { levels: ["local", "revoke", "global"] } });
  let browser = await hostedSignIn(app);
  await browser.fetch("/dashboard");
  await browser.fetch("/api/me", { headers: { accept: "application/json" } });
  await signOut(browser, "global");
  browser = await hostedSignIn(app);
  const stolen = new Map(browser.cookies);
  fake.onApi = () => ({ status: 500, body: { __type: "InternalErrorException" } });
  await signOut(browser);
  // The signed-out session's cookies sent again.
  const thief = browserOf(app);
  for (const [name, value] of stolen) thief.cookies.set(name, value);
  await thief.fetch("/dashboard");

  // Password sign-in, a wrong password, a new-password challenge.
  const issued = await tokenSet();
  fake.onApi = (action, call) => {
    if (action === "RespondToAuthChallenge") {
      return {
        status: 200,
        body: { AuthenticationResult: { AccessToken: issued.access_token, IdToken: issued.id_token, RefreshToken: issued.refresh_token } },
      };
    }
    if (call.body.AuthParameters?.PASSWORD === PASSWORD)
      return { status: 200, body: { ChallengeName: "NEW_PASSWORD_REQUIRED", Session: CHALLENGE_SESSION, ChallengeParameters: {} } };
    return { status: 400, body: { __type: "NotAuthorizedException", message: "Incorrect username or password." } };
  };
  await passwordSignIn(coreOf(app), new Map(), { username: "alice", password: "Wrong-passw0rd-1" });
  const step = await passwordSignIn(coreOf(app), new Map(), { username: "alice", password: PASSWORD });
  for (const { value } of step.changes.set) secret(value);
  const jar = new Map(step.changes.set.map(({ name, value }) => [name, [value]]));
  const done = await completeNewPassword(coreOf(app), jar, { newPassword: NEW_PASSWORD });
  for (const { value } of done.changes.set) secret(value);

  // Refresh: through, refused, down, hanging, and answered with tokens that do not verify.
  const refreshes = [
    async () => ({ status: 200, body: await tokenSet() }),
    () => ({ status: 400, body: { error: "invalid_grant" } }),
    () => ({ status: 503, body: {} }),
    () => new Promise<never>(() => {}),
    async () => {
      const body = await tokenSet();
      return { status: 200, body: { ...body, access_token: `${body.access_token.slice(0, -6)}AAAAAA` } };
    },
  ];
  for (const answer of refreshes) {
    fake.onToken = answer as typeof fake.onToken;
    const due = await dueSession(app);
    await due.fetch("/dashboard");
    remember(due);
  }
  fake.onToken = async () => ({ status: 200, body: await tokenSet() });

  // Bad cookies: tampered, foreign, truncated, garbage; Bearer tokens forged and expired.
  const good = await hostedSignIn(app);
  for (const [name, value] of good.cookies) {
    for (const bad of [`${value.slice(0, -6)}AAAAAA`, value.slice(0, value.length >> 1), `${value}x`, "garbage-cookie-value-0123456789"]) {
      secret(bad);
      const browser = browserOf(app);
      for (const [n, v] of good.cookies) browser.cookies.set(n, n === name ? bad : v);
      await browser.fetch("/dashboard");
    }
  }
  const expired = await fake.sign({ sub: "u-1", token_use: "access", client_id: fake.clientId, iat: now() - 7_200, exp: now() - 3_600 });
  secret(expired);
  for (const token of [expired, `${issued.access_token.slice(0, -6)}AAAAAA`]) {
    secret(token);
    await browserOf(app).fetch("/api/me", { headers: { accept: "application/json", authorization: `Bearer ${token}` } });
  }

  // An ID token too large for cookies (cookie sessions say so in a warning).
  await hostedSignIn(app, await tokenSet({ idClaims: { "custom:blob": "b".repeat(12_000) } }));
}

/** Everything seen, as one text: log lines, events, and every span's name, attributes, status and events. */
function captured(): string {
  const spans = tracing.spans().map((s) => ({ name: s.name, attributes: s.attributes, status: s.status, events: s.events, links: s.links }));
  return JSON.stringify([seen, spans]);
}

function expectNoSecret(text: string): void {
  for (const value of secrets) expect(text.includes(value), `captured text holds a secret: ${value.slice(0, 12)}…`).toBe(false);
  // Nothing shaped like a JWT (base64url of '{"'), whatever minted it.
  expect(text).not.toMatch(/eyJ[\w-]{8,}/);
}

describe("what operators see holds no secret", () => {
  it("cookie sessions, every path", async () => {
    await everyPath({});
    expect(seen.length).toBeGreaterThan(40);
    const text = captured();
    // The capture covers what it claims to: every event, warnings, spans of each kind.
    for (const name of NAMES) expect(text).toContain(`"name":"${name}"`);
    expect(text).toContain("ID token is left out");
    for (const name of [
      "ncs.verify",
      "ncs.jwks.fetch",
      "ncs.refresh",
      "cognito /oauth2/token",
      "CognitoIdentityProvider/InitiateAuth",
      "CognitoIdentityProvider/RevokeToken",
    ]) {
      expect(text).toContain(`"name":"${name}"`);
    }
    expectNoSecret(text);
  });

  it("Redis sessions, every path, and every store command's span naming its namespace only", async () => {
    seen.length = 0;
    tracing.exporter.reset();
    await everyPath({ store: redis.store({ prefix: "secrets:" }) });
    const text = captured();
    const commands = tracing.spans().filter((s) => s.name.startsWith("redis "));
    // MGET reads the denylist's keys when the store connects: there were none yet.
    expect(new Set(commands.map((s) => s.name))).toEqual(new Set(["redis GET", "redis SET", "redis DEL", "redis PUBLISH", "redis SCAN"]));
    for (const span of commands) expect(span.attributes["ncs.store.namespace"]).toMatch(/^(session|refresh|nbf|revoked)$/);
    expectNoSecret(text);
  });

  it("outages: the keys, Cognito and the store unreachable", async () => {
    seen.length = 0;
    tracing.exporter.reset();
    const down = `http://127.0.0.1:${closedPort}`;
    const keysDown = createCognitoSession({
      ...observing,
      protect: { "/dashboard/:path*": {} },
      timeoutMs: 300,
      env: { ...fake.env(APP_URL), SESSION_SECRET: SECRET, COGNITO_JWKS_URI: `${down}/jwks.json`, COGNITO_DOMAIN: down, COGNITO_ENDPOINT: `${down}/` },
    });
    const session = await tokenSet();
    const browser = browserOf(keysDown);
    const changes = await coreOf(keysDown).storage.write(new Map(), {
      accessToken: session.access_token,
      idToken: session.id_token,
      refreshToken: session.refresh_token,
      endsAt: now() + 3_600,
    });
    for (const { name, value } of changes.set) browser.cookies.set(name, value);
    remember(browser);
    expect((await browser.fetch("/dashboard")).status).toBe(503);
    const storeDown = appWith({ store: new RedisStore({ url: `redis://:${encodeURIComponent(CLIENT_SECRET)}@127.0.0.1:${closedPort}`, timeoutMs: 200 }) });
    const lost = browserOf(storeDown);
    lost.cookies.set(coreOf(storeDown).cookieNames.id, "sealed-id-cookie-value-0123456789");
    secret("sealed-id-cookie-value-0123456789");
    await lost.fetch("/dashboard");
    await passwordSignIn(coreOf(storeDown), new Map(), { username: "alice", password: PASSWORD });
    const text = captured();
    expect(text).toContain("JWKS could not be fetched");
    expect(text).toContain('"reason":"invalid"');
    expectNoSecret(text);
  });

  // Any cookie value at all, as an attacker sends it: whatever is logged, reported or traced
  // about the request never quotes it. The values are marked so that no message can hold one by chance.
  it("property: no cookie value an attacker sends is ever quoted", async () => {
    const app = appWith();
    const names = coreOf(app).cookieNames;
    const value = fc.oneof(
      fc.stringMatching(/^[\w-]{4,120}$/).map((s) => `zq${s}`),
      fc
        .tuple(fc.stringMatching(/^[\w-]{2,60}$/), fc.stringMatching(/^[\w-]{2,60}$/), fc.stringMatching(/^[\w-]{2,60}$/))
        .map((parts) => `zq${parts.join(".")}`),
      fc.stringMatching(/^[1-5]~[\w-]{6,60}$/).map((s) => `${s}zq`),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(names.access, names.sealed, `${names.sealed}.0`, names.id), value, fc.option(value), async (name, first, second) => {
        seen.length = 0;
        tracing.exporter.reset();
        const browser = browserOf(app);
        browser.cookies.set(name, first);
        if (second !== null) browser.cookies.set(`${names.sealed}.1`, second);
        await browser.fetch("/dashboard");
        await browser.fetch("/api/me", { headers: { accept: "application/json", authorization: `Bearer ${first}` } });
        const text = captured();
        return !text.includes(first) && (second === null || !text.includes(second));
      }),
      { numRuns: 60 },
    );
  });
});

afterAll(() => {
  seen.length = 0;
});
