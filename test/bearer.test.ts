// Every refused token, end to end: as a Bearer token at a route handler (withAuth) and at a
// path the middleware protects, and as the session cookie of a page. None may answer 500,
// none may yield a session.
import { createHmac, createPublicKey } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64Url, signJwt, startTestIssuer, type TestIssuer } from "../src/testing/issuer.ts";
import { createTestApp, TestBrowser } from "./helpers/app.ts";
import { coreOf } from "../src/internal.ts";

let pool: TestIssuer;
let partner: TestIssuer;
let attacker: TestIssuer;

beforeAll(async () => {
  pool = await startTestIssuer({ userPoolId: "local_bearerPool", clientId: "bearerclient" });
  partner = await startTestIssuer({ userPoolId: "local_partnerPool", clientId: "partnerclient" });
  attacker = await startTestIssuer({ userPoolId: "local_attackerPool", clientId: "bearerclient" });
});
afterAll(async () => {
  for (const issuer of [pool, partner, attacker]) await issuer.close();
});

const PROTECT = { "/dashboard/:path*": {}, "/api/orders/:path*": { scopes: ["orders/read"] } };

function appFor(issuer: TestIssuer, extra: Parameters<typeof createTestApp>[0] = {}) {
  const app = createTestApp({
    userPoolId: issuer.userPoolId,
    clientId: issuer.clientId,
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    protect: PROTECT,
    ...extra,
  });
  const browser = new TestBrowser(app);
  const echo = app.withAuth({}, (_request, { session }) =>
    Response.json({ user: session.user && { sub: session.user.sub }, scopes: session.scopes, clientId: session.clientId }),
  );
  browser.routes.set("/api/me", echo);
  browser.routes.set("/api/orders", echo);
  return { app, browser };
}

const now = () => Math.floor(Date.now() / 1000);
const json = { accept: "application/json" };
const bearer = (token: string) => ({ ...json, authorization: `Bearer ${token}` });

/** Every way a token can be wrong, each otherwise a valid token of the app's pool. */
function attacks(): Array<[string, string]> {
  const claims = JSON.parse(Buffer.from(pool.accessToken({ scope: "orders/read" }).split(".")[1]!, "base64url").toString());
  const hs256 = () => {
    const pem = createPublicKey(pool.key.privateKey).export({ type: "spki", format: "pem" });
    const input = `${base64Url(JSON.stringify({ alg: "HS256", kid: pool.key.kid }))}.${base64Url(JSON.stringify(claims))}`;
    return `${input}.${createHmac("sha256", pem).update(input).digest("base64url")}`;
  };
  const [header, payload, signature] = pool.accessToken({ scope: "orders/read" }).split(".") as [string, string, string];
  const good = { scope: "orders/read" };
  return [
    ["alg none, no signature", `${base64Url(JSON.stringify({ alg: "none" }))}.${payload}.`],
    ["alg none over a valid signature", pool.accessToken(good, { alg: "none" })],
    ["HS256 keyed with the public key", hs256()],
    ["an RS384 header", pool.accessToken(good, { alg: "RS384" })],
    ["a jku header", pool.accessToken(good, { jku: attacker.jwksUri })],
    ["a jwk header", signJwt({ alg: "RS256", jwk: attacker.key.publicJwk as never }, claims, attacker.key.privateKey)],
    ["an x5c header", pool.accessToken(good, { x5c: ["MIIB"] })],
    ["a crit header", pool.accessToken(good, { crit: ["exp"] })],
    ["a tampered payload", `${header}.${base64Url(JSON.stringify({ ...claims, scope: "orders/read admin" }))}.${signature}`],
    ["an unknown kid", pool.accessToken(good, { kid: "not-a-key" })],
    ["a path-like kid", pool.accessToken(good, { kid: "../../etc/passwd" })],
    ["a 10 KB kid", pool.accessToken(good, { kid: "k".repeat(10 * 1024) })],
    ["two segments", `${header}.${payload}`],
    ["an array payload", signJwt({ alg: "RS256", kid: pool.key.kid }, [claims] as never, pool.key.privateKey)],
    ["a __proto__ claim", pool.accessToken({ ...good, ...JSON.parse('{"__proto__":{"scope":"orders/read"}}') })],
    ["exp as a string", pool.accessToken({ ...good, exp: String(now() + 3600) })],
    ["an expired token", pool.accessToken({ ...good, iat: now() - 7200, exp: now() - 3600 })],
    ["nbf in the future", pool.accessToken({ ...good, nbf: now() + 3600 })],
    ["iat in the future", pool.accessToken({ ...good, iat: now() + 3600 })],
    ["iss with a trailing slash", pool.accessToken({ ...good, iss: `${pool.issuer}/` })],
    ["another pool's token", attacker.accessToken(good)],
    ["our issuer, another pool's key", attacker.accessToken({ ...good, iss: pool.issuer })],
    ["an ID token", pool.idToken(good)],
    ["another client's token", pool.accessToken({ ...good, client_id: "otherclient" })],
    ["a machine token of another client", pool.machineToken("orders/read", { client_id: "otherclient" })],
  ];
}

describe("tokens that must be refused, end to end", () => {
  it("answers 401 to each as a Bearer token, at a route handler and at a middleware-protected API path", async () => {
    const { browser } = appFor(pool);
    for (const [what, token] of attacks()) {
      for (const path of ["/api/me", "/api/orders"]) {
        const response = await browser.fetch(path, { headers: bearer(token) });
        expect(response.status, `${what} at ${path}`).toBe(401);
        expect(response.headers.get("www-authenticate"), what).toMatch(/^Bearer realm="[^"]+", error="invalid_token"$/);
        expect(await response.text(), what).not.toContain(token.split(".")[1]?.slice(0, 20) || token);
      }
    }
  });

  it("sends a page request carrying each as its session cookie to sign-in, and clears the cookie", async () => {
    const { app, browser } = appFor(pool);
    const name = coreOf(app).cookieNames.access;
    for (const [what, token] of attacks()) {
      browser.cookies.clear();
      const response = await browser.fetch("/dashboard", { headers: { cookie: `${name}=${token}` } });
      expect(response.status, what).toBe(307);
      expect(new URL(response.headers.get("location")!).pathname, what).toBe("/auth/sign-in");
      expect(
        response.headers.getSetCookie().some((c) => c.startsWith(`${name}=;`)),
        what,
      ).toBe(true);
      // And at a route handler through the cookie: 401, not a session.
      expect((await browser.fetch("/api/me", { headers: { ...json, cookie: `${name}=${token}` } })).status, what).toBe(401);
    }
  });
});

describe("Bearer access tokens", () => {
  it("serve a user's access token as a session, at a route handler and through the middleware's scope rule", async () => {
    const { browser } = appFor(pool);
    const token = pool.accessToken({ sub: "user-7", scope: "openid orders/read" });
    for (const path of ["/api/me", "/api/orders"]) {
      const response = await browser.fetch(path, { headers: bearer(token) });
      expect(response.status, path).toBe(200);
      expect(await response.json()).toEqual({ user: { sub: "user-7" }, scopes: ["openid", "orders/read"], clientId: pool.clientId });
    }
    // The page passes too: a Bearer token is a session wherever the middleware checks.
    expect((await browser.fetch("/dashboard", { headers: { authorization: `Bearer ${token}` } })).headers.get("x-middleware-next")).toBe("1");
  });

  it("serve a machine-to-machine token as a session with no user", async () => {
    const { browser } = appFor(pool);
    const response = await browser.fetch("/api/orders", { headers: bearer(pool.machineToken("orders/read")) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user: null, scopes: ["orders/read"], clientId: pool.clientId });
  });

  it("answer 403 naming the scope when the middleware's rule wants one the token lacks", async () => {
    const { browser } = appFor(pool);
    const response = await browser.fetch("/api/orders", { headers: bearer(pool.machineToken("orders/write")) });
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toMatch(/error="insufficient_scope", scope="orders\/read"$/);
  });

  it("are judged alone: a bad Bearer token is 401 even next to a valid session cookie", async () => {
    const { app, browser } = appFor(pool);
    const cookie = `${coreOf(app).cookieNames.access}=${pool.accessToken({ scope: "orders/read" })}`;
    expect((await browser.fetch("/api/orders", { headers: { ...json, cookie } })).status).toBe(200);
    expect((await browser.fetch("/api/orders", { headers: { ...bearer(pool.idToken()), cookie } })).status).toBe(401);
  });

  it("are accepted from another configured pool, for that pool's clients", async () => {
    const { browser } = appFor(pool, {
      pools: [{ userPoolId: partner.userPoolId, clientIds: [partner.clientId], issuer: partner.issuer, jwksUri: partner.jwksUri }],
      // The partner's scopes count where a rule names its pool.
      protect: { ...PROTECT, "/api/orders/:path*": { scopes: ["orders/read"], pools: [pool.userPoolId, partner.userPoolId] } },
    });
    const response = await browser.fetch("/api/orders", { headers: bearer(partner.machineToken("orders/read")) });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ user: null, clientId: partner.clientId });
    const foreignClient = partner.machineToken("orders/read", { client_id: pool.clientId });
    expect((await browser.fetch("/api/orders", { headers: bearer(foreignClient) })).status).toBe(401);
  });
});

describe("when the pool's keys cannot be fetched", () => {
  it("answers 503, never 500 and never a session, to pages, API paths and route handlers", async () => {
    const down = await startTestIssuer({ userPoolId: "local_downPool" });
    down.jwksMode = "down";
    try {
      const { app, browser } = appFor(down);
      const token = down.accessToken({ scope: "orders/read" });
      const cookie = `${coreOf(app).cookieNames.access}=${token}`;
      const cases: Array<[string, Record<string, string>]> = [
        ["/dashboard", { accept: "text/html", cookie }],
        ["/api/orders", { ...json, cookie }],
        ["/api/orders", bearer(token)],
        ["/api/me", { ...json, cookie }],
        ["/api/me", bearer(token)],
      ];
      for (const [path, headers] of cases) {
        const response = await browser.fetch(path, { headers });
        expect(response.status, `${path} ${Object.keys(headers).join(",")}`).toBe(503);
        expect(response.headers.get("retry-after")).toBeTruthy();
      }
      // Keys back: the same token is a session again, and the cookie was kept for it.
      down.jwksMode = "up";
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the JWKS retry interval
      expect((await browser.fetch("/api/me", { headers: { ...json, cookie } })).status).toBe(200);
    } finally {
      await down.close();
    }
  });

  it("gives up on a JWKS that never answers after the configured timeout", async () => {
    const hung = await startTestIssuer({ userPoolId: "local_hungPool" });
    hung.jwksMode = "hang";
    try {
      const { app, browser } = appFor(hung, { timeoutMs: 300 });
      expect(coreOf(app).jwks.timeoutMs).toBe(300);
      expect((await browser.fetch("/api/me", { headers: bearer(hung.accessToken()) })).status).toBe(503);
    } finally {
      await hung.close();
    }
  });
});
