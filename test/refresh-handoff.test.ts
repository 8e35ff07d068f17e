// One request waits out one refresh timeout at most. Next runs the middleware and a route
// handler from separate bundles (an Edge isolate and a Node one, or two module graphs), so
// they do not share a refresher: when the middleware's refresh fails, it says so on the
// request it hands on, and the handler does not try again. Calls to Cognito are counted,
// not time measured.
import { afterEach, describe, expect, it, vi } from "vitest";
import { NextRequest } from "next/server";
import { StoreUnavailableError } from "../src/lib/errors.ts";
import { type CognitoSessionOptions, MemoryStore, type SessionStore } from "../src/index.ts";
import { REFRESH_FAILED_HEADER } from "../src/http/handoff.ts";
import { type FakeAnswer, useFakeCognito } from "./helpers/fake-cognito.ts";
import { APP_URL, TestBrowser } from "./helpers/app.ts";
import { coreOf } from "../src/internal.ts";

/** What `next/headers` answers in the server action below. */
const nextRequest = vi.hoisted(() => ({ headers: new Headers(), written: [] as string[] }));
vi.mock("next/headers", () => ({
  headers: async () => nextRequest.headers,
  cookies: async () => ({ set: ({ name }: { name: string }) => nextRequest.written.push(name) }),
}));

const fake = useFakeCognito();
afterEach(() => {
  nextRequest.headers = new Headers();
  nextRequest.written.length = 0;
});

const TIMEOUT_MS = 200;
const now = () => Math.floor(Date.now() / 1000);
const hang = () => new Promise<FakeAnswer>(() => {});
const app = (options: CognitoSessionOptions = {}) => fake.app({ timeoutMs: TIMEOUT_MS, protect: { "/dashboard/:path*": {} }, ...options });

/**
 * A browser whose middleware and route handler are two instances of the app, as Next's two
 * bundles are, holding a session whose access token is `state`: expired, or valid but due
 * for a refresh.
 */
async function setup(state: "expired" | "due", options: CognitoSessionOptions = {}) {
  const middleware = app(options);
  const handler = app(options);
  const browser = new TestBrowser(middleware);
  browser.routes.set(
    "/api/me",
    handler.withAuth({}, (_request, { session }) => Response.json({ sub: session.user?.sub })),
  );
  const times = state === "expired" ? { iat: now() - 7_200, exp: now() - 3_600 } : { iat: now() - 3_000, exp: now() + 60 };
  const accessToken = await fake.sign({ sub: "u-1", token_use: "access", client_id: fake.clientId, username: "alice", scope: "openid", ...times });
  const changes = await coreOf(middleware).storage.write(
    new Map(),
    { accessToken, idToken: undefined, refreshToken: `opaque-${crypto.randomUUID()}`, endsAt: now() + 3_600 },
    { newSession: true },
  );
  for (const { name, value } of changes.set) browser.cookies.set(name, value);
  return { browser, handler, middleware };
}

const cleared = (response: Response) => response.headers.getSetCookie().filter((l) => /max-age=0/i.test(l));

describe("with Cognito hanging, one request to a withAuth route behind the middleware", () => {
  it("waits out one refresh timeout, not two: an expired session is 401, its cookies kept", async () => {
    const { browser } = await setup("expired");
    const before = new Map(browser.cookies);
    fake.onToken = hang;
    const response = await browser.fetch("/api/me", { headers: { accept: "application/json" } });
    expect(response.status).toBe(401);
    expect(fake.count("/oauth2/token")).toBe(1);
    expect(cleared(response)).toEqual([]);
    expect(browser.cookies).toEqual(before);
  });

  it("waits out one refresh timeout, not two: a session still valid is served", async () => {
    const { browser } = await setup("due");
    fake.onToken = hang;
    const response = await browser.fetch("/api/me", { headers: { accept: "application/json" } });
    expect(response.status).toBe(200);
    expect(fake.count("/oauth2/token")).toBe(1);
  });

  it("answers 503, as the middleware would have, when the refreshed session could not be stored", async () => {
    // Server-side sessions in a store that stops taking writes once the session is in it.
    const memory = new MemoryStore();
    let writable = true;
    const store: SessionStore = {
      shared: false,
      get: (key) => memory.get(key),
      set: (...args) => (writable ? memory.set(...args) : Promise.reject(new StoreUnavailableError("the store did not answer"))),
      delete: (key) => memory.delete(key),
      announce: (...args) => memory.announce(...args),
      watch: (...args) => memory.watch(...args),
    };
    const { browser } = await setup("expired", { sessions: "server", store });
    writable = false;
    const response = await browser.fetch("/api/me", { headers: { accept: "application/json" } });
    expect(response.status).toBe(503);
    // Named as the middleware found it: the store, not the keys or Cognito.
    expect(await response.json()).toEqual({ error: "unavailable", service: "session-store" });
    expect(fake.count("/oauth2/token")).toBe(1);
    expect(cleared(response)).toEqual([]);
  });

  it("refreshes once in the middleware when Cognito answers, the handler seeing the new session", async () => {
    const { browser } = await setup("expired");
    const response = await browser.fetch("/api/me", { headers: { accept: "application/json" } });
    expect(response.status).toBe(200);
    expect(fake.count("/oauth2/token")).toBe(1);
  });
});

describe("the header that says a refresh failed", () => {
  it("is handed on by the middleware only when its own refresh failed; a client's is dropped", async () => {
    const { browser, middleware } = await setup("expired");
    const handedOn = async (sent: Record<string, string>) => {
      const request = new NextRequest(`${APP_URL}/api/me`, { headers: { cookie: browser.cookieHeader(), ...sent } });
      return (await middleware.middleware(request)).headers.get(`x-middleware-request-${REFRESH_FAILED_HEADER}`);
    };
    expect(await handedOn({ [REFRESH_FAILED_HEADER]: "1" })).toBeNull();
    expect(fake.count("/oauth2/token")).toBe(1);
    fake.onToken = hang;
    // Another session: the first one's successful refresh would be reused for a while.
    const fresh = await setup("expired");
    const request = new NextRequest(`${APP_URL}/api/me`, { headers: { cookie: fresh.browser.cookieHeader() } });
    expect((await fresh.middleware.middleware(request)).headers.get(`x-middleware-request-${REFRESH_FAILED_HEADER}`)).toBe("failed");
    // A Bearer request is judged by its token alone and refreshes nothing.
    expect(await handedOn({ authorization: `Bearer ${await fake.sign({ sub: "u-1", token_use: "access", client_id: fake.clientId })}` })).toBeNull();
  });

  it("can only stop a refresh where the middleware did not run: it never grants a session", async () => {
    const { browser, handler } = await setup("expired");
    const route = browser.routes.get("/api/me")!;
    const call = (extra: Record<string, string>) =>
      route(new Request(`${APP_URL}/api/me`, { headers: { accept: "application/json", cookie: browser.cookieHeader(), ...extra } }), {});
    // Sent straight to the handler with the header: no refresh, no session, cookies kept.
    const skipped = await call({ [REFRESH_FAILED_HEADER]: "1" });
    expect(skipped.status).toBe(401);
    expect(cleared(skipped)).toEqual([]);
    expect(fake.count("/oauth2/token")).toBe(0);
    // Without it the handler refreshes on its own, as before.
    expect((await call({})).status).toBe(200);
    expect(fake.count("/oauth2/token")).toBe(1);
    // A forged session next to it is still nothing.
    const forged = await route(
      new Request(`${APP_URL}/api/me`, { headers: { cookie: `${coreOf(handler).cookieNames.access}=a.b.c`, [REFRESH_FAILED_HEADER]: "1" } }),
      {},
    );
    expect(forged.status).toBe(401);
  });

  it("stops refreshSession() in a server action of the same request, and nothing else", async () => {
    const { browser, handler } = await setup("expired");
    nextRequest.headers = new Headers({ cookie: browser.cookieHeader(), [REFRESH_FAILED_HEADER]: "1" });
    expect(await handler.refreshSession()).toBeNull();
    expect(fake.count("/oauth2/token")).toBe(0);
    expect(nextRequest.written).toEqual([]);
    nextRequest.headers = new Headers({ cookie: browser.cookieHeader() });
    expect(await handler.refreshSession()).not.toBeNull();
    expect(fake.count("/oauth2/token")).toBe(1);
    expect(nextRequest.written).toContain(coreOf(handler).cookieNames.access);
  });
});
