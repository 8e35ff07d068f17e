// The session as client components see it: the view toClientSession builds (claims, groups,
// scopes, expiry, never a token) and `GET <basePath>/session`, which the middleware answers
// with that view, refreshed when due, the requester's own, never a 500 and never a token.
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { getAccessToken } from "../src/index.ts";
import { sessionAnswer, toClientSession } from "../src/session/client-session.ts";
import { coreOf } from "../src/internal.ts";
import { SECRET, TestBrowser } from "./helpers/app.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";

/** The request `next/headers` answers for in auth.getClientSession() below. */
const nextRequest = vi.hoisted(() => ({ headers: new Headers() }));
vi.mock("next/headers", () => ({ headers: async () => nextRequest.headers }));

const fake = useFakeCognito();
const now = () => Math.floor(Date.now() / 1000);
const VIEW_KEYS = ["expiresAt", "groups", "scopes", "user"];

/** The session `app` reads from the cookies of `jar`. */
async function readSession(app: ReturnType<typeof fake.app>, jar: Map<string, string[]>) {
  const read = await coreOf(app).reader.fromCookies(jar);
  if (read.status !== "valid") throw new Error(`no session: ${read.status}`);
  return read.session;
}

/** Every string that must never reach a browser's JavaScript: the tokens, each of their parts, the secret. */
function secretsOf(tokens: { access_token: string; id_token: string; refresh_token: string }): string[] {
  const whole = [tokens.access_token, tokens.id_token, tokens.refresh_token, SECRET];
  // A token's signature alone is as telling as the token; its header is public and shared by every token.
  const signatures = [tokens.access_token, tokens.id_token].map((token) => token.split(".")[2]!);
  return [...whole, ...signatures];
}

/** A JSON-safe claim value, as a pre-token-generation trigger could add. */
const claimValue = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }));

describe("toClientSession", () => {
  it("holds exactly the claims, groups, scopes and expiry: whatever the ID token carries, no token, no secret, no other field", async () => {
    // Invariant: the view's keys are exactly the four, its JSON contains no token (whole or
    // its signature) and not the secret, and it says what the session says (oracle: the session).
    const app = fake.app();
    const core = coreOf(app);
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.oneof(fc.constantFrom("access_token", "id_token", "refresh_token", "token", "secret", "custom:token"), fc.string({ minLength: 1, maxLength: 12 })),
          claimValue,
          { maxKeys: 6 },
        ),
        async (idClaims) => {
          const tokens = await fake.tokenSet({ idClaims });
          const changes = await core.storage.write(
            new Map(),
            { accessToken: tokens.access_token, idToken: tokens.id_token, refreshToken: tokens.refresh_token, endsAt: now() + 3600 },
            { newSession: true },
          );
          const jar = new Map(changes.set.map(({ name, value }) => [name, [value]]));
          const session = await readSession(app, jar);
          const view = toClientSession(session);
          expect(Object.keys(view).sort()).toEqual(VIEW_KEYS);
          const json = JSON.stringify(sessionAnswer(session));
          for (const secret of secretsOf(tokens)) expect(json).not.toContain(secret);
          expect(view.user?.sub).toBe(session.user?.sub);
          expect(view.user?.email).toBe("alice@example.com");
          expect(view.groups).toEqual(session.groups);
          expect(view.scopes).toEqual(session.scopes);
          expect(view.expiresAt).toBe(session.expiresAt.getTime());
          // The session itself still has its token, on the server.
          expect(getAccessToken(session)).toBe(tokens.access_token);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("is plain data that React and JSON carry unchanged: no Date, no symbol, no getter", async () => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const session = await readSession(app, new Map([...browser.cookies].map(([n, v]) => [n, [v]])));
    const view = toClientSession(session);
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
    expect(structuredClone(view)).toEqual(view);
    expect(Object.getOwnPropertySymbols(view)).toEqual([]);
    expect(Object.getOwnPropertySymbols(view.user)).toEqual([]);
    expect(sessionAnswer(null)).toEqual({ status: "signed-out" });
  });
});

describe("auth.getClientSession()", () => {
  it("is the current request's view, for the provider's props; null when signed out", async () => {
    const app = fake.app();
    const { browser, tokens } = await fake.signedIn(app);
    nextRequest.headers = new Headers({ cookie: browser.cookieHeader() });
    const view = await app.getClientSession();
    expect(Object.keys(view ?? {}).sort()).toEqual(VIEW_KEYS);
    expect(view?.user?.email).toBe("alice@example.com");
    // React's server-to-client payload carries what JSON does, and more: no symbol may hide a token either.
    for (const secret of secretsOf(tokens)) expect(JSON.stringify(view)).not.toContain(secret);
    expect(Object.getOwnPropertySymbols(view)).toEqual([]);
    nextRequest.headers = new Headers();
    expect(await app.getClientSession()).toBeNull();
  });
});

describe("GET <basePath>/session", () => {
  it("answers the signed-in view, the requester's own", async () => {
    const app = fake.app();
    const { browser, tokens } = await fake.signedIn(app);
    const response = await browser.fetch("/auth/session", { headers: { accept: "application/json" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(response.headers.get("vary")).toBe("Cookie, Authorization");
    const text = await response.text();
    const body = JSON.parse(text);
    expect(body.status).toBe("signed-in");
    expect(Object.keys(body.session).sort()).toEqual(VIEW_KEYS);
    expect(body.session.user.email).toBe("alice@example.com");
    for (const secret of secretsOf(tokens)) expect(text).not.toContain(secret);
  });

  it("answers 200 { status: signed-out } without a session, and clears cookies it cannot read", async () => {
    const app = fake.app();
    const browser = new TestBrowser(app);
    const none = await browser.fetch("/auth/session");
    expect(none.status).toBe(200);
    expect(await none.json()).toEqual({ status: "signed-out" });
    expect(none.headers.get("cache-control")).toBe("private, no-store");
    const at = coreOf(app).cookieNames.access;
    const junk = await browser.fetch("/auth/session", { headers: { cookie: `${at}=not.a.token` } });
    expect(await junk.json()).toEqual({ status: "signed-out" });
    expect(junk.headers.getSetCookie().some((line) => line.startsWith(`${at}=`) && /max-age=0/i.test(line))).toBe(true);
  });

  it("refreshes a lapsed session on that request, writing the new cookies", async () => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const core = coreOf(app);
    // Replace the access token by an expired one of the same user.
    const expired = await fake.sign({
      sub: "11111111-2222-3333-4444-555555555555",
      token_use: "access",
      client_id: fake.clientId,
      username: "alice",
      scope: "openid",
      iat: now() - 7200,
      exp: now() - 3600,
    });
    browser.cookies.set(core.cookieNames.access, expired);
    const response = await browser.fetch("/auth/session");
    expect(fake.count("/oauth2/token")).toBe(1);
    const body = await response.json();
    expect(body.status).toBe("signed-in");
    expect(body.session.expiresAt).toBeGreaterThan(Date.now());
    expect(response.headers.getSetCookie().some((line) => line.startsWith(`${core.cookieNames.access}=`))).toBe(true);
    expect(browser.cookies.get(core.cookieNames.access)).not.toBe(expired);
  });

  it("answers 503 naming the service when the session cannot be checked, so a client keeps what it has", async () => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const core = coreOf(app);
    const expired = await fake.sign({
      sub: "u-1",
      token_use: "access",
      client_id: fake.clientId,
      username: "alice",
      scope: "openid",
      iat: now() - 7200,
      exp: now() - 3600,
    });
    browser.cookies.set(core.cookieNames.access, expired);
    fake.onToken = () => ({ status: 503, body: { error: "unavailable" } });
    const response = await browser.fetch("/auth/session");
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: "unavailable", service: "cognito" });
    expect(response.headers.get("cache-control")).toBe("private, no-store");
  });

  it("refuses anything but GET and HEAD with 405", async () => {
    const browser = new TestBrowser(fake.app());
    for (const method of ["POST", "PUT", "DELETE"]) {
      const response = await browser.fetch("/auth/session", { method });
      expect(response.status, method).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD");
    }
    expect((await browser.fetch("/auth/session", { method: "HEAD" })).status).toBe(200);
  });

  it("is mounted under the configured basePath, ahead of the protect rules", async () => {
    const app = fake.app({ basePath: "/account/auth", protect: { "/account/:path*": {} } });
    const { browser } = await fake.signedIn(app);
    expect((await (await browser.fetch("/account/auth/session")).json()).status).toBe("signed-in");
    expect((await (await new TestBrowser(app).fetch("/account/auth/session")).json()).status).toBe("signed-out");
  });

  it("any cookie and header input is a view or signed-out: never a 500, never a token, never another's session", async () => {
    // Invariant: whatever the request carries (the real cookies, altered, duplicated, mixed
    // with junk, a Bearer header of anything), the answer is 200 with one of the two shapes,
    // and no token or secret appears in it. Oracle: a view names alice only when the real
    // access token was sent unaltered.
    const app = fake.app();
    const core = coreOf(app);
    const { browser, tokens } = await fake.signedIn(app);
    const real = [...browser.cookies];
    const names = [...real.map(([name]) => name), core.cookieNames.access, `${core.cookieNames.access}.0`, "__Host-ncs.s.1", "other"];
    const value = fc.oneof(
      fc.constantFrom(...real.map(([, v]) => v)),
      fc.constantFrom(...real.map(([, v]) => v)).chain((v) => fc.nat({ max: v.length - 1 }).map((at) => `${v.slice(0, at)}${v.slice(at + 1)}`)),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: "binary", maxLength: 20 }),
    );
    const pairs = fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 6 });
    const authorization = fc.option(
      fc.oneof(
        fc.string({ maxLength: 30 }).map((s) => `Bearer ${s}`),
        fc.constant(`Bearer ${tokens.id_token}`),
      ),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(pairs, authorization, async (cookies, auth) => {
        const cookie = cookies.map(([n, v]) => `${n}=${v}`).join("; ");
        const headers: Record<string, string> = {};
        // What Headers refuses, no browser can send: it never reaches the middleware.
        try {
          new Headers({ cookie, ...(auth === undefined ? {} : { authorization: auth }) });
        } catch {
          return;
        }
        headers.cookie = cookie;
        if (auth !== undefined) headers.authorization = auth;
        const response = await new TestBrowser(app).fetch("/auth/session", { headers });
        expect(response.status).toBe(200);
        const text = await response.text();
        for (const secret of secretsOf(tokens)) expect(text).not.toContain(secret);
        const body = JSON.parse(text);
        if (body.status === "signed-out") expect(body).toEqual({ status: "signed-out" });
        else {
          expect(body.status).toBe("signed-in");
          expect(Object.keys(body.session).sort()).toEqual(VIEW_KEYS);
          expect(cookies.some(([n, v]) => n === core.cookieNames.access && v === tokens.access_token)).toBe(true);
        }
      }),
      { numRuns: 120 },
    );
  });
});
