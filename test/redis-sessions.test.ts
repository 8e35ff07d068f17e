import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisStore } from "../src/redis.ts";
import { createTestApp, TestBrowser } from "./helpers/app.ts";
import { RedisServer } from "./helpers/redis.ts";
import { coreOf } from "../src/internal.ts";

let redis: RedisServer;
let raw: ReturnType<typeof createClient>;
const stores: RedisStore[] = [];
beforeAll(async () => {
  redis = await RedisServer.start();
  raw = createClient({ url: redis.url });
  await raw.connect();
});
afterAll(async () => {
  await raw?.close();
  for (const store of stores) await store.close();
  await redis?.stop();
});

type App = ReturnType<typeof createTestApp>;

function serverApp(prefix: string): App {
  const store = new RedisStore({ url: redis.url, prefix });
  stores.push(store);
  return createTestApp({ store, signOut: { levels: ["local", "revoke", "global"] } });
}

function browserOf(app: App): TestBrowser {
  const browser = new TestBrowser(app);
  browser.routes.set(
    "/api/me",
    app.withAuth({}, (_req, { session }) => Response.json({ email: session.user?.email })),
  );
  return browser;
}

/** Every key under `prefix`, with its value. */
async function dump(prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const keys of raw.scanIterator({ MATCH: `${prefix}*` })) {
    for (const key of keys) out.set(key, (await raw.get(key)) ?? "");
  }
  return out;
}

const signOut = (browser: TestBrowser, level = "revoke") =>
  browser.fetch("/auth/sign-out", {
    method: "POST",
    headers: { origin: "http://localhost:3000", "content-type": "application/x-www-form-urlencoded", "content-length": String(`level=${level}`.length) },
    body: `level=${level}`,
  });

describe("server-side sessions in Redis", () => {
  it("the browser holds one sealed id cookie under 220 bytes; the tokens live in Redis, sealed, under a hashed key, for the session's lifetime", async () => {
    const app = serverApp("s1:");
    const browser = browserOf(app);
    const callback = await browser.signIn("alice@example.com");
    expect(callback.status).toBe(302);
    expect([...browser.cookies.keys()]).toEqual(["__Host-ncs.id"]);
    const [line] = callback.headers.getSetCookie().filter((l) => l.startsWith("__Host-ncs.id="));
    // A JWE of the id (its protected header alone is 58 characters) and the cookie's attributes.
    expect(line!.length).toBeLessThan(220);
    const id = browser.cookies.get("__Host-ncs.id")!;
    expect((await (await browser.fetch("/api/me")).json()).email).toBe("alice@example.com");

    // What Redis holds: one session entry, its key a hash, its value sealed.
    const tokens = await coreOf(app).storage.read(new Map([["__Host-ncs.id", [id]]]));
    const entries = await dump("s1:");
    const sessions = [...entries].filter(([key]) => key.startsWith("s1:session:"));
    expect(sessions).toHaveLength(1);
    const [key, value] = sessions[0]!;
    expect(value).toMatch(/^eyJ[\w-]+\.\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    const secrets = [tokens!.accessToken, tokens!.refreshToken!, tokens!.idToken!].flatMap((t) => [t, ...t.split(".").slice(1)]).filter((s) => s.length > 20);
    for (const [k, v] of entries) for (const secret of secrets) expect(`${k}\n${v}`).not.toContain(secret);
    expect(key).not.toContain(id);
    const ttl = await raw.pTTL(key);
    expect(ttl).toBeGreaterThan((app.config.sessionMaxAge - 60) * 1000);
    expect(ttl).toBeLessThanOrEqual(app.config.sessionMaxAge * 1000);
    console.info(`[measured] server-side session cookie: Set-Cookie ${line!.length} bytes, name=value ${`__Host-ncs.id=${id}`.length} bytes`);
  });

  it("sign-out deletes the stored tokens: the old id cookie, replayed, is no session", async () => {
    const app = serverApp("s2:");
    const browser = browserOf(app);
    await browser.signIn("bob@example.com");
    const id = browser.cookies.get("__Host-ncs.id")!;
    expect([...(await dump("s2:session:")).keys()]).toHaveLength(1);
    const out = await signOut(browser);
    expect(out.status).toBe(303);
    expect(out.headers.get("x-sign-out-incomplete")).toBeNull();
    expect(out.headers.getSetCookie().some((l) => /^__Host-ncs\.id=;.*Max-Age=0/.test(l))).toBe(true);
    expect([...(await dump("s2:session:")).keys()]).toHaveLength(0);
    const replay = browserOf(app);
    replay.cookies.set("__Host-ncs.id", id);
    expect((await replay.fetch("/api/me")).status).toBe(401);
  });

  it("sign-in gives a new id and ends the session of an id planted before it", async () => {
    const app = serverApp("s3:");
    const attacker = browserOf(app);
    await attacker.signIn("bob@example.com");
    const planted = attacker.cookies.get("__Host-ncs.id")!;
    const victim = browserOf(app);
    victim.cookies.set("__Host-ncs.id", planted);
    await victim.signIn("alice@example.com");
    const fresh = victim.cookies.get("__Host-ncs.id")!;
    expect(fresh).not.toBe(planted);
    expect((await (await victim.fetch("/api/me")).json()).email).toBe("alice@example.com");
    // The planted id names nothing any more, certainly not the victim's session.
    expect((await attacker.fetch("/api/me")).status).toBe(401);
  });

  it("a forged, altered or duplicated id cookie is no session and is cleared, never a 500", async () => {
    const app = serverApp("s4:");
    const browser = browserOf(app);
    await browser.signIn("alice@example.com");
    const id = browser.cookies.get("__Host-ncs.id")!;
    const altered = `${id.slice(0, 10)}${id[10] === "A" ? "B" : "A"}${id.slice(11)}`;
    for (const cookie of [`__Host-ncs.id=${altered}`, "__Host-ncs.id=garbage", `__Host-ncs.id=${id}; __Host-ncs.id=${id}`, `__Host-ncs.id=${"A".repeat(59)}`]) {
      const other = browserOf(app);
      const response = await other.fetch("/api/me", { headers: { cookie } });
      expect(response.status).toBe(401);
    }
    const page = await browserOf(app).fetch("/dashboard", { headers: { cookie: `__Host-ncs.id=${altered}` } });
    expect(page.status).toBe(307);
    expect(page.headers.getSetCookie().some((l) => /^__Host-ncs\.id=;.*Max-Age=0/.test(l))).toBe(true);
  });

  it('with sessions: "cookie" a store changes nothing in the browser: the tokens stay in cookies', async () => {
    const store = new RedisStore({ url: redis.url, prefix: "s5:" });
    stores.push(store);
    const app = createTestApp({ store, sessions: "cookie" });
    const browser = browserOf(app);
    const callback = await browser.signIn("alice@example.com");
    expect([...browser.cookies.keys()].sort()).toEqual(["__Host-ncs.at", "__Host-ncs.s"]);
    expect([...(await dump("s5:session:")).keys()]).toHaveLength(0);
    const bytes = [...browser.cookies].reduce((n, [name, value]) => n + name.length + 1 + value.length, 0);
    const header = callback.headers
      .getSetCookie()
      .filter((l) => !/Max-Age=0/.test(l) && l.startsWith("__Host-ncs."))
      .reduce((n, l) => n + l.length, 0);
    console.info(`[measured] cookie-mode session: ${browser.cookies.size} cookies, name=value ${bytes} bytes, Set-Cookie ${header} bytes`);
  });
});
