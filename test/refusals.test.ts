// How a refused or unavailable request is answered: decided once (http/refusal.ts) for the
// middleware, withAuth and requireSession, built once (http/responses.ts) with the headers
// every such answer needs, and naming the service an outage is of (the user pool's keys,
// Cognito, the session store) and nothing else of it.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessRule } from "../src/config/options.ts";
import { type CognitoSession, createCognitoSession } from "../src/index.ts";
import { CognitoUnavailableError, JwksUnavailableError, NotSignedInError, AccessDeniedError, type Outage, StoreUnavailableError } from "../src/lib/errors.ts";
import { handOff, REFRESH_FAILED_HEADER, refreshFailedUpstream } from "../src/http/handoff.ts";
import { outageOf, serviceOf } from "../src/http/outage.ts";
import { type Audience, type Refusal, refusalOf, refusalOfError, refusalResponse } from "../src/http/refusal.ts";
import { unavailable } from "../src/http/responses.ts";
import { authorizeAll } from "../src/session/authorize.ts";
import type { CustomAttributes, Session } from "../src/session/session.ts";
import { sessionCookies, startTestIssuer, type TestIssuer, testEnv, testRequest } from "../src/testing/index.ts";
import { coreOf } from "../src/internal.ts";
import { APP_URL, TestBrowser } from "./helpers/app.ts";
import { useRedisServer } from "./helpers/redis-hooks.ts";

let pool: TestIssuer;
let auth: CognitoSession<any>;
beforeAll(async () => {
  pool = await startTestIssuer({ userPoolId: "local_refusals", clientId: "refusalsclient" });
  auth = createCognitoSession({ env: testEnv(pool) });
});
afterAll(() => pool?.close());

const sessionAs = (who: Parameters<typeof testRequest>[3]) =>
  testRequest(auth, pool, "/", who).then((request) => auth.runWithSession(request, (session) => session as Session<CustomAttributes> | null));

const OUTAGES: Array<[Outage, string]> = [
  [new JwksUnavailableError("keys: connect ECONNREFUSED 10.0.0.7:443"), "user-pool-keys"],
  [new CognitoUnavailableError("token endpoint answered 502: <html>upstream secret</html>"), "cognito"],
  [new StoreUnavailableError("redis://:hunter2@cache.internal:6379 did not answer"), "session-store"],
];

/** Whether `Vary` makes a cache key on both credentials headers. */
function variesWithCredentials(vary: string | null): boolean {
  const names = (vary ?? "").split(",").map((n) => n.trim().toLowerCase());
  return names.includes("*") || (names.includes("cookie") && names.includes("authorization"));
}

/** What every answer computed from a request's credentials carries, and each status its own header. */
function expectRefusalHeaders(response: Response, what: string): void {
  expect(response.headers.get("cache-control"), what).toBe("private, no-store");
  expect(variesWithCredentials(response.headers.get("vary")), what).toBe(true);
  if (response.status === 503) expect(response.headers.get("retry-after"), what).toBe("5");
  const json = response.headers.get("content-type")?.includes("json") ?? false;
  if ((response.status === 401 || response.status === 403) && json) expect(response.headers.get("www-authenticate"), what).toMatch(/^Bearer realm="/);
}

describe("the decision", () => {
  const signedOut = null;
  let user: Session<CustomAttributes>;
  let admin: Session<CustomAttributes>;
  beforeAll(async () => {
    user = (await sessionAs({ scopes: ["openid", "orders/read"] }))!;
    admin = (await sessionAs({ groups: ["admins"], scopes: ["openid"] }))!;
  });

  it.each<[string, () => Session<CustomAttributes> | null, AccessRule[], Audience, Refusal["kind"] | undefined]>([
    ["a signed-out page", () => signedOut, [{}], "page", "sign-in"],
    ["signed-out data", () => signedOut, [{}], "api", "challenge"],
    ["a page outside the group", () => user, [{ groups: ["admins"] }], "page", "forbidden-page"],
    ["data outside the group", () => user, [{ groups: ["admins"] }], "api", "challenge"],
    ["a page meeting every rule", () => admin, [{}, { groups: ["admins"] }], "page", undefined],
    ["data meeting one rule of two", () => admin, [{ groups: ["admins"] }, { scopes: ["orders/read"] }], "api", "challenge"],
    ["no rule at all", () => signedOut, [], "page", undefined],
  ])("%s", (_what, session, rules, audience, kind) => {
    expect(refusalOf({ session: session(), unavailable: undefined }, rules, audience)?.kind).toBe(kind);
  });

  it("names every scope the rules ask for in a 403 challenge, once each", () => {
    const refusal = refusalOf({ session: admin, unavailable: undefined }, [{ scopes: ["orders/read", "a"] }, { scopes: ["a", "b"] }], "api");
    expect(refusal).toEqual({ kind: "challenge", reason: "forbidden", scopes: ["orders/read", "a", "b"] });
  });

  it("answers an outage before anything else, unless no rule covers the request", () => {
    const outage = new StoreUnavailableError("down");
    for (const audience of ["page", "api"] as const) {
      expect(refusalOf({ session: null, unavailable: outage }, [{}], audience)).toEqual({ kind: "unavailable", outage, audience });
      expect(refusalOf({ session: null, unavailable: outage }, [], audience)).toBeUndefined();
    }
  });

  it("property: a request is refused exactly when an outage kept its session from being checked or a rule fails (oracle: authorizeAll); a page is never given a bare challenge, and data is never sent to sign in", () => {
    const rule = fc.record(
      {
        scopes: fc.subarray(["openid", "orders/read", "orders/write"]),
        groups: fc.subarray(["admins", "staff"]),
        match: fc.constantFrom<"all" | "any">("all", "any"),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(signedOut, user, admin),
        fc.array(rule, { maxLength: 3 }),
        fc.constantFrom<Audience>("page", "api"),
        fc.option(fc.constantFrom(...OUTAGES.map(([outage]) => outage)), { nil: undefined }),
        (session, rules, audience, outage) => {
          // Whatever session came with it: an outage is never outweighed by a session.
          const refusal = refusalOf({ session, unavailable: outage }, rules, audience);
          if (rules.length === 0) return refusal === undefined;
          if (outage) return refusal?.kind === "unavailable" && refusal.outage === outage && refusal.audience === audience;
          const decision = authorizeAll(session, rules);
          if (decision.allowed) return refusal === undefined;
          if (audience === "api") return refusal?.kind === "challenge" && refusal.reason === decision.reason;
          return refusal?.kind === (decision.reason === "unauthenticated" ? "sign-in" : "forbidden-page");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("turns what requireScope() and friends throw into a challenge, and nothing else", () => {
    expect(refusalOfError(new NotSignedInError("no session"))).toEqual({ kind: "challenge", reason: "unauthenticated", scopes: [] });
    expect(refusalOfError(new AccessDeniedError(["orders/read"], ["orders/read"], []))).toEqual({
      kind: "challenge",
      reason: "forbidden",
      scopes: ["orders/read"],
    });
    expect(refusalOfError(new StoreUnavailableError("down"))).toBeUndefined();
    expect(refusalOfError(new Error("boom"))).toBeUndefined();
  });
});

describe("the answers", () => {
  const config = () => auth.config;

  it("each refusal gets its status and headers: no-store, Vary on the credentials, Retry-After on a 503, the RFC 6750 challenge on a 401/403 to code", async () => {
    const cases: Array<[Refusal, number]> = [
      [{ kind: "sign-in" }, 307],
      [{ kind: "forbidden-page" }, 403],
      [{ kind: "challenge", reason: "unauthenticated", scopes: [] }, 401],
      [{ kind: "challenge", reason: "forbidden", scopes: ["orders/read"] }, 403],
      [{ kind: "unavailable", outage: new JwksUnavailableError("down"), audience: "page" }, 503],
      [{ kind: "unavailable", outage: new JwksUnavailableError("down"), audience: "api" }, 503],
    ];
    for (const [refusal, status] of cases) {
      const response = refusalResponse(refusal, config(), "/orders?page=2");
      const what = JSON.stringify(refusal);
      expect(response.status, what).toBe(status);
      expectRefusalHeaders(response, what);
    }
    const signIn = refusalResponse({ kind: "sign-in" }, config(), "/orders?page=2");
    expect(signIn.headers.get("location")).toBe(`${APP_URL}/auth/sign-in?returnTo=${encodeURIComponent("/orders?page=2")}`);
    const forbidden = refusalResponse({ kind: "challenge", reason: "forbidden", scopes: ["orders/read"] }, config());
    expect(forbidden.headers.get("www-authenticate")).toBe('Bearer realm="localhost:3000", error="insufficient_scope", scope="orders/read"');
  });

  it.each(OUTAGES)("a 503 names the service and nothing else of the error: %s", async (outage, service) => {
    const api = refusalResponse({ kind: "unavailable", outage, audience: "api" }, config());
    expect(await api.json()).toEqual({ error: "unavailable", service });
    const page = await refusalResponse({ kind: "unavailable", outage, audience: "page" }, config()).text();
    expect(page).toContain(
      {
        "user-pool-keys": "the user pool&#39;s signing keys cannot be fetched",
        cognito: "Cognito cannot be reached",
        "session-store": "the session store cannot be reached",
      }[service],
    );
    expect(page).not.toContain(outage.message);
    expect(page).not.toMatch(/hunter2|ECONNREFUSED|upstream secret/);
  });

  it("property: a 503's body depends on the service only, whatever the error's message holds", async () => {
    const kinds = [JwksUnavailableError, CognitoUnavailableError, StoreUnavailableError];
    const bodies = async (outage: Outage) => [
      await unavailable(outage).text(),
      await unavailable(outage, { title: "t", action: "a", signInPath: "/in" }).text(),
    ];
    const expected = new Map(await Promise.all(kinds.map(async (Kind) => [Kind, (await bodies(new Kind("plain"))).join("\n")] as const)));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...kinds), fc.string({ unit: "grapheme", maxLength: 80 }), async (Kind, message) => {
        return (await bodies(new Kind(message))).join("\n") === expected.get(Kind);
      }),
      { numRuns: 200 },
    );
  });

  it("an outage's service is found by its code, a store outage before the Cognito outage it also is", () => {
    for (const [outage, service] of OUTAGES) {
      expect(serviceOf(outage)).toBe(service);
      expect(serviceOf(outageOf(service)!)).toBe(service);
    }
    expect(outageOf("redis")).toBeUndefined();
  });
});

describe("the middleware's hand-off names the outage a failed refresh left", () => {
  const handedOn = (refreshFailed?: { unavailable: Outage | undefined }) => {
    const request = new Request(`${APP_URL}/api/me`);
    handOff(request, refreshFailed ? { refreshFailed } : {});
    return request.headers;
  };

  it.each(OUTAGES)("%s, read back by the route handler", (outage, service) => {
    const headers = handedOn({ unavailable: outage });
    expect(headers.get(REFRESH_FAILED_HEADER)).toBe(`unavailable:${service}`);
    expect(serviceOf(refreshFailedUpstream(headers)!.unavailable!)).toBe(service);
  });

  it("and says only `failed` when the refresh left a session or none without an outage; anything else read is `failed`", () => {
    expect(handedOn({ unavailable: undefined }).get(REFRESH_FAILED_HEADER)).toBe("failed");
    expect(handedOn().get(REFRESH_FAILED_HEADER)).toBeNull();
    for (const value of ["failed", "1", "unavailable", "unavailable:redis", "unavailable:"]) {
      expect(refreshFailedUpstream(new Headers({ [REFRESH_FAILED_HEADER]: value })), value).toEqual({ unavailable: undefined });
    }
  });

  it("a route handler reached with an outage named and no session answers the middleware's 503", async () => {
    const handler = auth.withAuth({}, () => Response.json({}));
    const response = await handler(new Request(`${APP_URL}/api/me`, { headers: { [REFRESH_FAILED_HEADER]: "unavailable:cognito" } }), {});
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: "unavailable", service: "cognito" });
    expectRefusalHeaders(response, "handed-off outage");
  });
});

/** Every path a request reaches a session by, for a request carrying `cookie`. */
async function everyPath(app: CognitoSession<any>, cookie: string) {
  const browser = new TestBrowser(app);
  browser.routes.set(
    "/api/me",
    app.withAuth({}, () => Response.json({ ok: true })),
  );
  const page = await browser.fetch("/dashboard", { headers: { cookie } });
  const api = await browser.fetch("/api/orders", { headers: { cookie, accept: "application/json" } });
  // Not covered by a rule: the middleware lets it through, and withAuth decides.
  const handler = await browser.fetch("/api/me", { headers: { cookie, accept: "application/json" } });
  const direct = await app.withAuth({}, () => Response.json({ ok: true }))(new Request(`${APP_URL}/api/me`, { headers: { cookie } }), {});
  const required = await app
    .runWithSession(new Request(`${APP_URL}/dashboard`, { headers: { cookie } }), () => app.requireSession())
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  return { page, api, handler, direct, required };
}

/** Each path answered 503 naming `service`, with every header, no cookie cleared, nothing of the cookie or error shown. */
async function expectUnavailable(outcome: Awaited<ReturnType<typeof everyPath>>, service: string, code: string, page: string, cookie: string) {
  const { required, ...responses } = outcome;
  for (const [path, response] of Object.entries(responses)) {
    expect(response.status, path).toBe(503);
    expectRefusalHeaders(response, path);
    expect(response.headers.getSetCookie(), path).toEqual([]);
    const body = await response.text();
    for (const value of cookie.split("; ").map((pair) => pair.slice(pair.indexOf("=") + 1))) expect(body, path).not.toContain(value);
    if (path === "page") expect(body).toContain(page);
    else expect(JSON.parse(body), path).toEqual({ error: "unavailable", service });
  }
  expect(required).toMatchObject({ code });
}

const PROTECT = { "/dashboard/:path*": {}, "/api/orders/:path*": {} };

describe("each cause, through the middleware, withAuth behind it and alone, and requireSession", () => {
  it("keys: a JWKS endpoint that fails is reported as the user pool's keys", async () => {
    const down = await startTestIssuer({ userPoolId: "local_keysdown", clientId: "keysdownclient" });
    try {
      down.jwksMode = "down";
      const app = createCognitoSession({ env: testEnv(down), protect: PROTECT, timeoutMs: 2_000 });
      const { cookie } = await sessionCookies(app, down);
      const outcome = await everyPath(app, cookie);
      await expectUnavailable(outcome, "user-pool-keys", "ERR_JWKS_UNAVAILABLE", "the user pool&#39;s signing keys cannot be fetched", cookie);
      expect(down.jwksRequests).toBeGreaterThan(0);
    } finally {
      await down.close();
    }
  });

  describe("the session store: a Redis that is down", () => {
    const redis = useRedisServer();

    it("is reported as the session store, never as the keys; requireSession throws StoreUnavailableError", async () => {
      const env = testEnv(pool);
      const appOn = () => {
        const store = redis.store({ prefix: "refusals:", timeoutMs: 2_000 });
        return createCognitoSession({ env, protect: PROTECT, store, sessions: "server" });
      };
      // Written by one instance; read by another, which has nothing of it cached and must ask the store.
      const { cookie } = await sessionCookies(appOn(), pool);
      const app = appOn();
      // Connected first: a store that was never reached would take its connect timeout per read instead.
      await coreOf(app).store.get("probe");
      await redis.server.kill();
      const outcome = await everyPath(app, cookie);
      await expectUnavailable(outcome, "session-store", "ERR_STORE_UNAVAILABLE", "the session store cannot be reached", cookie);
      expect(outcome.required).not.toMatchObject({ code: "ERR_JWKS_UNAVAILABLE" });
    });
  });
});

describe("the middleware's refusals carry what withAuth's do", () => {
  it("a signed-out page and data, a page and data the session may not open: 307, 401, 403, 403, each private and varying with the credentials", async () => {
    const app = createCognitoSession({
      env: testEnv(pool),
      protect: { "/admin/:path*": { groups: ["admins"] }, "/api/admin/:path*": { scopes: ["admin/all"] } },
    });
    const browser = new TestBrowser(app);
    const { cookie } = await sessionCookies(app, pool, { groups: ["staff"] });
    const json = { accept: "application/json" };
    const answers = {
      signInPage: await browser.fetch("/admin"),
      unauthenticated: await browser.fetch("/api/admin", { headers: json }),
      forbiddenPage: await browser.fetch("/admin", { headers: { cookie } }),
      forbidden: await browser.fetch("/api/admin", { headers: { ...json, cookie } }),
    };
    expect(Object.values(answers).map((response) => response.status)).toEqual([307, 401, 403, 403]);
    for (const [what, response] of Object.entries(answers)) expectRefusalHeaders(response, what);
    expect(answers.forbidden.headers.get("www-authenticate")).toBe('Bearer realm="localhost:3000", error="insufficient_scope", scope="admin/all"');
    expect(answers.forbiddenPage.headers.get("www-authenticate")).toBeNull();
  });
});

describe("where these answers are built", () => {
  // Lines of code only: comments may name what they like.
  const code = (text: string) =>
    text
      .split("\n")
      .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line))
      .map((line) => line.replace(/\s\/\/\s.*$/, ""));

  /** Every `.ts` file under `dir`, as a path relative to the repository. */
  const sources = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".ts"))
      .map((file) => relative(process.cwd(), join(dir, file)));

  it("no module outside src/http/ builds a Response, sets a status of its own, or the headers that go with one", () => {
    const BUILDS = [
      /\bnew (Next)?Response\((?!(\w+)\.body, \2\))/, // a copy of a response, to change its headers, is not a new answer
      /\b(Next)?Response\.(json|redirect|error)\(/,
      /\bstatus:\s*[1-5]\d\d\b/,
      /["'](www-authenticate|retry-after|location)["']/i,
    ];
    const offenders: string[] = [];
    for (const file of sources("src")) {
      if (file.startsWith(join("src", "http"))) continue;
      // The testing kit's doubles answer as other services (the identity pool), not as this library.
      if (file.startsWith(join("src", "testing"))) continue;
      for (const line of code(readFileSync(file, "utf8"))) {
        if (BUILDS.some((pattern) => pattern.test(line))) offenders.push(`${file}: ${line.trim()}`);
      }
    }
    expect(offenders).toEqual([]);
    // The scan sees what it looks for: the builders themselves match.
    expect(code(readFileSync("src/http/responses.ts", "utf8")).some((line) => BUILDS.some((pattern) => pattern.test(line)))).toBe(true);
  });
});
