import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { envFor, startCognitoLocal } from "../scripts/cognito-local.mjs";
import { type CognitoSession, type CognitoSessionOptions, createCognitoSession } from "../src/index.ts";
import { RedisStore } from "../src/redis.ts";
import { APP_URL, SECRET } from "./helpers/app.ts";
import { CountingProxy } from "./helpers/counting-proxy.ts";
import { Instance } from "./helpers/instance.ts";
import { cookieHeader, signedInCookies } from "./helpers/password-session.ts";
import { freePort } from "./helpers/ports.ts";
import { RedisServer } from "./helpers/redis.ts";
import { coreOf } from "../src/internal.ts";

type App = CognitoSession<any>;

// Redis with its append-only file on, so a killed and restarted server has its data back.
let redis: RedisServer;
let idp: Awaited<ReturnType<typeof startCognitoLocal>>;
let proxy: CountingProxy;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  redis = await RedisServer.start({ persist: true });
  idp = await startCognitoLocal({ port: await freePort(), appUrl: APP_URL, accessTokenTtl: 3 });
  proxy = await CountingProxy.start(idp.info.domain);
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await proxy?.stop();
  await idp?.stop();
  await redis?.stop();
});

/**
 * One instance of the app on its own port, with its own connections to the shared Redis.
 * The store's budget is what a paused Redis costs a request; what must succeed (sign-ins,
 * reads once Redis answers again) has to fit in it on a loaded machine too, where a starved
 * process can take a few hundred milliseconds to connect and send one command.
 */
async function instance(prefix: string, options: CognitoSessionOptions = {}): Promise<Instance> {
  const store = new RedisStore({ url: redis.url, prefix, timeoutMs: 2_000 });
  const app: App = createCognitoSession({
    protect: { "/dashboard/:path*": {} },
    signOut: { levels: ["local", "revoke", "global"] },
    clockTolerance: 0,
    ...options,
    store,
    env: { ...envFor(idp.info, APP_URL), COGNITO_DOMAIN: proxy.url, COGNITO_ENDPOINT: `${proxy.url}/`, SESSION_SECRET: SECRET },
  });
  const running = await Instance.start(app, {
    "/api/me": app.withAuth({}, (_req, { session }) => Response.json({ email: session.user?.email })),
  });
  cleanups.push(
    () => store.close(),
    () => running.stop(),
  );
  return running;
}

const get = (at: Instance, path: string, cookies: Map<string, string>, accept = "application/json") =>
  fetch(`${at.url}${path}`, { headers: { accept, cookie: cookieHeader(cookies) }, redirect: "manual" });

const signOut = (at: Instance, cookies: Map<string, string>, level: string) =>
  fetch(`${at.url}/auth/sign-out`, {
    method: "POST",
    redirect: "manual",
    headers: {
      cookie: cookieHeader(cookies),
      origin: APP_URL,
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(`level=${level}`.length),
    },
    body: `level=${level}`,
  });

/** Until the store answers again after a restart (it reconnects on its own). */
async function reconnected(at: Instance): Promise<void> {
  await expect
    .poll(
      () =>
        coreOf(at.app)
          .store.get("probe")
          .then(
            () => true,
            () => false,
          ),
      { timeout: 10_000, interval: 100 },
    )
    .toBe(true);
}

const emailOf = async (response: Response) => (response.status === 200 ? (await response.json()).email : response.status);

describe("server-side sessions when Redis fails", () => {
  it("slow (paused): 503 for APIs and pages within the store timeout, never 500; back to the same sessions, each its own, once it answers", async () => {
    const app = await instance("f1:");
    const alice = await signedInCookies(app.app, idp.info.endpoint, "alice@example.com");
    const bob = await signedInCookies(app.app, idp.info.endpoint, "bob@example.com");
    redis.pause();
    try {
      // Together, so the paused Redis costs one store budget, not one per request.
      const [a, b, page, out] = await Promise.all([
        get(app, "/api/me", alice),
        get(app, "/api/me", bob),
        get(app, "/dashboard", alice, "text/html"),
        signOut(app, bob, "revoke"),
      ]);
      expect([a.status, b.status, page.status]).toEqual([503, 503, 503]);
      expect(a.headers.get("retry-after")).toBe("5");
      // Sign-out still clears the browser's cookies and says what it could not do.
      expect(out.status).toBe(303);
      expect(out.headers.get("x-sign-out-incomplete")).toContain("store");
      expect(out.headers.getSetCookie().some((l) => /^__Host-ncs\.id=;.*Max-Age=0/.test(l))).toBe(true);
    } finally {
      redis.resume();
    }
    // The replies Redis owed the timed-out reads arrive now: none may answer another request.
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => get(app, "/api/me", i % 2 ? bob : alice).then(emailOf)));
    expect(answers).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? "bob@example.com" : "alice@example.com")));
  });

  it("down (killed): 503, never 500; restarted on the same port, the same sessions work again without signing in", async () => {
    const app = await instance("f2:");
    const alice = await signedInCookies(app.app, idp.info.endpoint, "alice@example.com");
    expect(await emailOf(await get(app, "/api/me", alice))).toBe("alice@example.com");
    await redis.kill();
    try {
      expect((await get(app, "/api/me", alice)).status).toBe(503);
      expect((await get(app, "/dashboard", alice, "text/html")).status).toBe(503);
    } finally {
      await redis.restart();
    }
    await reconnected(app);
    expect(await emailOf(await get(app, "/api/me", alice))).toBe("alice@example.com");
  });
});

describe("cookie sessions when Redis fails", () => {
  it("keep working without cross-instance coordination: valid sessions are served, lapsed ones refreshed by each instance itself", async () => {
    const app = await instance("f3:", { sessions: "cookie" });
    const alice = await signedInCookies(app.app, idp.info.endpoint, "alice@example.com");
    await redis.kill();
    try {
      expect(await emailOf(await get(app, "/api/me", alice))).toBe("alice@example.com");
      await new Promise((r) => setTimeout(r, 3_100));
      proxy.calls.length = 0;
      const lapsed = await get(app, "/api/me", alice);
      expect(await emailOf(lapsed)).toBe("alice@example.com");
      expect(proxy.refreshes).toBe(1);
      expect(lapsed.headers.getSetCookie().some((l) => l.startsWith("__Host-ncs.at="))).toBe(true);

      // A global sign-out cannot reach the others; this instance enforces it regardless, and says so.
      const bob = await signedInCookies(app.app, idp.info.endpoint, "bob@example.com");
      const out = await signOut(app, bob, "global");
      expect(out.status).toBe(303);
      expect(out.headers.get("x-sign-out-incomplete")).toContain("store");
      expect((await get(app, "/api/me", bob)).status).toBe(401);
    } finally {
      await redis.restart();
    }
    // Back: the instances coordinate again, one refresh for a storm on two of them.
    const other = await instance("f3:", { sessions: "cookie" });
    await reconnected(app);
    await reconnected(other);
    const fresh = await signedInCookies(app.app, idp.info.endpoint, "alice@example.com");
    await new Promise((r) => setTimeout(r, 3_100));
    proxy.calls.length = 0;
    const storm = await Promise.all(Array.from({ length: 10 }, (_, i) => get(i % 2 ? other : app, "/api/me", fresh).then(emailOf)));
    expect(new Set(storm)).toEqual(new Set(["alice@example.com"]));
    expect(proxy.refreshes).toBe(1);
  });
});
