// Where sessions are kept is chosen once, from `sessions`: in the cookies, or in the store
// behind a sealed id. Either kind clears what the other left, so switching an app from one
// to the other signs no one in twice and leaves no cookie behind.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { resolveConfig } from "../src/config/resolve.ts";
import type { CookieJar } from "../src/persistence/jar.ts";
import type { StoreSessions } from "../src/persistence/store-sessions.ts";
import type { StoredTokens } from "../src/persistence/tokens.ts";
import { createCore } from "../src/session/core.ts";
import { resolveSession } from "../src/session/resolve.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { startTestIssuer, type TestIssuer } from "../src/testing/issuer.ts";

let pool: TestIssuer;
const store = new MemoryStore();

beforeAll(async () => {
  pool = await startTestIssuer({ userPoolId: "local_storagePool", clientId: "storageclient", ttl: 600 });
});
afterAll(() => pool.close());

const coreFor = (sessions: "cookie" | "server") =>
  createCore(
    resolveConfig({
      userPoolId: pool.userPoolId,
      clientId: pool.clientId,
      issuer: pool.issuer,
      jwksUri: pool.jwksUri,
      secret: "storage-secret-0123456789-abcdefghijklmnop",
      appUrl: "http://localhost:3000",
      env: {},
      store,
      sessions,
    }),
  );

const tokens = (): StoredTokens => ({
  accessToken: pool.accessToken({ sub: "alice" }),
  idToken: pool.idToken({ sub: "alice" }),
  // Long enough that a cookie session's seal is chunked.
  refreshToken: `opaque-${"r".repeat(5_000)}`,
  endsAt: Math.floor(Date.now() / 1000) + 3_600,
});

async function signedIn(core: ReturnType<typeof coreFor>): Promise<CookieJar> {
  const { set } = await core.storage.write(new Map(), tokens(), { newSession: true });
  return new Map(set.map(({ name, value }) => [name, [value]]));
}

const removed = (changes: { remove: Array<{ name: string }> }) => changes.remove.map((c) => c.name).sort();

describe("the session storage", () => {
  it("is the cookies with sessions: cookie, the store behind one id cookie with sessions: server", async () => {
    const cookie = coreFor("cookie");
    expect(cookie.storage.kind).toBe("cookie");
    const cookieJar = await signedIn(cookie);
    const [access, ...sealed] = cookieJar.keys();
    expect(access).toBe(cookie.cookieNames.access);
    expect(sealed.length).toBeGreaterThan(1);
    expect(sealed.every((name) => name.startsWith(`${cookie.cookieNames.sealed}.`))).toBe(true);
    const server = coreFor("server");
    expect(server.storage.kind).toBe("store");
    expect([...(await signedIn(server)).keys()]).toEqual([server.cookieNames.id]);
    for (const core of [cookie, server]) {
      expect(core.reader.storage).toBe(core.storage);
      expect((await core.reader.fromCookies(await signedIn(core))).status).toBe("valid");
    }
  });

  it("switched to the store, deletes a cookie session's cookies, chunks included, when it writes and when it clears", async () => {
    const before = await signedIn(coreFor("cookie"));
    const server = coreFor("server");
    expect((await server.reader.fromCookies(before)).status).toBe("none");
    const cleared = await resolveSession(server, new Map(before));
    expect(removed(cleared.changes)).toEqual(
      [...new Set([...before.keys(), server.cookieNames.access, server.cookieNames.sealed, server.cookieNames.id])].sort(),
    );
    // Signing in again over them: the new id set, every old cookie deleted.
    const written = await server.storage.write(before, tokens(), { newSession: true });
    expect(written.set.map((c) => c.name)).toEqual([server.cookieNames.id]);
    expect(removed(written)).toEqual([...before.keys()].sort());
  });

  it("switched to cookies, deletes a store-held session's id cookie when it writes and when it clears", async () => {
    const before = await signedIn(coreFor("server"));
    const cookie = coreFor("cookie");
    expect((await cookie.reader.fromCookies(before)).status).toBe("none");
    const cleared = await resolveSession(cookie, new Map(before));
    expect(removed(cleared.changes)).toEqual([cookie.cookieNames.access, cookie.cookieNames.sealed, cookie.cookieNames.id].sort());
    const written = await cookie.storage.write(before, tokens(), { newSession: true });
    expect(removed(written)).toEqual([cookie.cookieNames.id]);
    expect(written.set.map((c) => c.name)).not.toContain(cookie.cookieNames.id);
  });
});

describe("a store-held session's id cookie", () => {
  it("opens for as long as its tokens are kept and no longer: a copy kept past the session's end is no id", async () => {
    const core = coreFor("server");
    const jar = await signedIn(core);
    const ids = (core.storage as StoreSessions).ids;
    const value = jar.get(core.cookieNames.id)![0]!;
    expect(await ids.open(value)).toBeDefined();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 3_601_000 });
    try {
      expect(await ids.open(value)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});
