// The session cache answers a request from a session read before when, and only when, the
// request sends exactly the cookies that read came from (and, for a store-held session, the
// store still holds what it read). These tests hold it against an oracle, the same read
// without the session cache, on cookie sets mixed and altered at random.
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { resolveConfig } from "../src/config/resolve.ts";
import type { CookieJar } from "../src/persistence/jar.ts";
import type { StoredTokens } from "../src/persistence/tokens.ts";
import { createCore } from "../src/session/core.ts";
import { getAccessToken } from "../src/session/session.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { startTestIssuer, type TestIssuer } from "../src/testing/issuer.ts";

const SECRET = "session-cache-secret-0123456789-abcdefghij";
let pool: TestIssuer;

beforeAll(async () => {
  pool = await startTestIssuer({ userPoolId: "local_cachePool", clientId: "cacheclient", ttl: 600 });
});
afterAll(() => pool.close());
afterEach(() => vi.useRealTimers());

function newCore(options: { sessions?: "cookie" | "server"; store?: MemoryStore } = {}) {
  return createCore(
    resolveConfig({
      userPoolId: pool.userPoolId,
      clientId: pool.clientId,
      issuer: pool.issuer,
      jwksUri: pool.jwksUri,
      secret: SECRET,
      appUrl: "http://localhost:3000",
      env: {},
      ...options,
    }),
  );
}
type Core = ReturnType<typeof newCore>;

const now = () => Math.floor(Date.now() / 1000);

function tokensOf(sub: string, { refreshBytes = 40 } = {}): StoredTokens {
  return {
    accessToken: pool.accessToken({ sub }),
    idToken: pool.idToken({ sub }),
    refreshToken: `opaque-refresh-${"r".repeat(refreshBytes)}`,
    endsAt: now() + 86_400,
  };
}

/** The jar a browser sends back once `core` wrote `tokens`. */
async function jarOf(core: Core, tokens: StoredTokens, jar: CookieJar = new Map()): Promise<CookieJar> {
  const { set, remove } = await core.storage.write(jar, tokens, { newSession: jar.size === 0 });
  const next: CookieJar = new Map(jar);
  for (const { name } of remove) next.delete(name);
  for (const { name, value } of set) next.set(name, [value]);
  return next;
}

/** What a read amounts to, for comparing two reads: the status, and for a session its user and access token. */
function outcome(read: Awaited<ReturnType<Core["reader"]["fromCookies"]>>): string {
  return read.status === "valid" ? `valid ${read.session.user?.sub} ${getAccessToken(read.session)}` : read.status;
}

/** The oracle: the same cookies read without the session cache (opened by the storage, every token verified). */
async function uncached(core: Core, jar: CookieJar): Promise<string> {
  const tokens = await core.storage.read(jar).catch(() => null);
  if (tokens === null) return "none";
  return outcome(await core.reader.fromTokens(tokens).catch(() => ({ status: "none" as const, tokens: null })));
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

describe("the session cache, against the same read without it", () => {
  it("never answers one cookie set with the session of another: any mix of three users' cookies, any one character changed", async () => {
    const core = newCore();
    // Short and chunked seals both: a long refresh token splits the seal into chunks.
    const users = [
      await jarOf(core, tokensOf("alice")),
      await jarOf(core, tokensOf("bob", { refreshBytes: 5_000 })),
      await jarOf(core, tokensOf("carol", { refreshBytes: 5_000 })),
    ];
    for (const jar of users) expect((await core.reader.fromCookies(jar)).status).toBe("valid");
    const names = [...new Set(users.flatMap((jar) => [...jar.keys()]))];
    const user = fc.integer({ min: 0, max: users.length - 1 });
    const cookieSet = fc.record({
      // One user's cookies...
      base: user,
      // ...with some of them swapped for another user's or dropped (undefined)...
      swaps: fc.oneof(fc.constant([]), fc.array(fc.record({ name: fc.nat(), from: fc.option(user, { nil: undefined }) }), { minLength: 1, maxLength: 2 })),
      // ...and maybe one character changed.
      change: fc.option(fc.record({ name: fc.nat(), at: fc.nat(), to: fc.constantFrom(...BASE64URL) }), { nil: undefined, freq: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(cookieSet, async ({ base, swaps, change }) => {
        const jar: CookieJar = new Map(users[base]);
        for (const swap of swaps) {
          const name = names[swap.name % names.length]!;
          const value = swap.from === undefined ? undefined : users[swap.from]!.get(name);
          if (value) jar.set(name, [...value]);
          else jar.delete(name);
        }
        if (change && jar.size > 0) {
          const name = [...jar.keys()][change.name % jar.size]!;
          const value = jar.get(name)![0]!;
          const at = change.at % Math.max(1, value.length);
          jar.set(name, [`${value.slice(0, at)}${change.to}${value.slice(at + 1)}`]);
        }
        const expected = await uncached(core, jar);
        const sizeBefore = core.reader.cache.size;
        expect(outcome(await core.reader.fromCookies(jar))).toBe(expected);
        // Asked again, answered from the cache when there is an entry: still the same answer.
        expect(outcome(await core.reader.fromCookies(jar))).toBe(expected);
        // Only a read that made a session may add an entry.
        if (!expected.startsWith("valid")) expect(core.reader.cache.size).toBe(sizeBefore);
      }),
      { numRuns: 150 },
    );
    // The three users' own cookies still read as themselves.
    for (const [i, sub] of ["alice", "bob", "carol"].entries()) {
      expect(outcome(await core.reader.fromCookies(users[i]!))).toMatch(new RegExp(`^valid ${sub} `));
    }
  });

  it("never lets a forged cookie set make an entry: tokens signed by no one, seals made by no one, well formed to the character", async () => {
    const core = newCore();
    const real = await jarOf(core, tokensOf("alice", { refreshBytes: 5_000 }));
    const [header] = pool.accessToken({ sub: "x" }).split(".");
    const segment = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...BASE64URL), minLength: min, maxLength: max });
    const forgedToken = fc.tuple(segment(40, 600), segment(342, 342)).map(([payload, signature]) => `${header}.${payload}.${signature}`);
    // A seal of the real one's shape and length with its last characters (its MAC) replaced.
    const forgedSeal = (value: string) => segment(16, 16).map((tail) => `${value.slice(0, -16)}${tail}`);
    const sealNames = [...real.keys()].filter((name) => name.startsWith(core.cookieNames.sealed));
    const lastSeal = sealNames.at(-1)!;
    const forged = fc
      .tuple(fc.oneof(forgedToken, fc.constant(real.get(core.cookieNames.access)![0]!)), forgedSeal(real.get(lastSeal)![0]!))
      .map(([access, seal]) => {
        const jar: CookieJar = new Map(real);
        jar.set(core.cookieNames.access, [access]);
        jar.set(lastSeal, [seal]);
        return jar;
      });
    await fc.assert(
      fc.asyncProperty(forged, async (jar) => {
        expect((await core.reader.fromCookies(jar)).status).toBe("none");
        expect(core.reader.cache.size).toBe(0);
      }),
      { numRuns: 60 },
    );
    expect((await core.reader.fromCookies(real)).status).toBe("valid");
    expect(core.reader.cache.size).toBe(1);
  });
});

describe("an entry at every use", () => {
  it("lapses with its access token, clock tolerance included, and then lets the full read say expired", async () => {
    const core = newCore();
    const tokens = tokensOf("alice");
    const jar = await jarOf(core, tokens);
    expect((await core.reader.fromCookies(jar)).status).toBe("valid");
    const { exp } = await core.verifier.verify(tokens.accessToken, "access");
    vi.useFakeTimers({ toFake: ["Date"], now: (exp + core.config.clockTolerance) * 1000 });
    const open = vi.spyOn(core.storage, "open");
    expect((await core.reader.fromCookies(jar)).status).toBe("expired");
    expect(open).toHaveBeenCalledTimes(1); // the entry did not answer: the cookies were read in full
    expect(core.reader.cache.size).toBe(0);
  });

  it("is refused once its session is signed out (revoked by origin_jti or jti), here or announced", async () => {
    const core = newCore();
    for (const claims of [{ origin_jti: crypto.randomUUID() }, { jti: crypto.randomUUID() }]) {
      const tokens = { ...tokensOf("alice"), accessToken: pool.accessToken({ sub: "alice", ...claims }) };
      const jar = await jarOf(core, tokens);
      expect((await core.reader.fromCookies(jar)).status).toBe("valid");
      await core.denylist.revoke(claims, 600);
      expect((await core.reader.fromCookies(jar)).status).toBe("none");
    }
  });
});

describe("a cold read of a cookie session", () => {
  it("checks the access token before opening the seal: a forged one opens nothing, a lapsed one is checked once and the seal opened for its refresh token", async () => {
    const core = newCore();
    const writer = newCore();
    const real = await jarOf(writer, tokensOf("alice"));
    const open = vi.spyOn(core.storage, "open");
    const verify = vi.spyOn(core.verifier, "verify");
    const forged: CookieJar = new Map(real);
    const [header, payload] = real.get(core.cookieNames.access)![0]!.split(".");
    forged.set(core.cookieNames.access, [`${header}.${payload}.${"A".repeat(342)}`]);
    expect((await core.reader.fromCookies(forged)).status).toBe("none");
    expect(open).not.toHaveBeenCalled();
    const lapsed = await jarOf(writer, { ...tokensOf("alice"), accessToken: pool.accessToken({ sub: "alice", exp: now() - 3_600, iat: now() - 7_200 }) });
    verify.mockClear();
    expect((await core.reader.fromCookies(lapsed)).status).toBe("expired");
    expect(open).toHaveBeenCalledTimes(1);
    expect(verify).toHaveBeenCalledTimes(1);
  });
});

describe("store-held sessions in the session cache", () => {
  /** Two instances of one app sharing a store, and a session signed in on the first. */
  async function twoInstances() {
    const store = new MemoryStore();
    const [here, there] = [newCore({ sessions: "server", store }), newCore({ sessions: "server", store })];
    const tokens = tokensOf("alice");
    const jar = await jarOf(here, tokens);
    expect([...jar.keys()]).toEqual([here.cookieNames.id]);
    return { store, here, there, tokens, jar };
  }

  it("asks the store on every read, and opens nothing again while it holds the same value", async () => {
    const { store, here, jar } = await twoInstances();
    const get = vi.spyOn(store, "get");
    const unseal = vi.spyOn(here.sealer, "unseal");
    const first = await here.reader.fromCookies(jar);
    expect(first.status).toBe("valid");
    expect([get.mock.calls.length, unseal.mock.calls.length]).toEqual([1, 1]);
    for (let i = 1; i <= 3; i++) {
      const read = await here.reader.fromCookies(jar);
      expect(read.status === "valid" && read.session).toBe(first.status === "valid" && first.session);
      expect([get.mock.calls.length, unseal.mock.calls.length]).toEqual([1 + i, 1]);
    }
  });

  it("serves the tokens another instance refreshed, not the entry's", async () => {
    const { here, there, jar } = await twoInstances();
    expect((await here.reader.fromCookies(jar)).status).toBe("valid");
    const refreshed = { ...tokensOf("alice"), accessToken: pool.accessToken({ sub: "alice", jti: "refreshed" }) };
    const changes = await there.storage.write(jar, refreshed);
    expect(changes.set).toEqual([]); // the id cookie stays: only the stored tokens change
    const read = await here.reader.fromCookies(jar);
    expect(read.status === "valid" && getAccessToken(read.session)).toBe(refreshed.accessToken);
  });

  it("is no session once another instance signed it out", async () => {
    const { here, there, jar } = await twoInstances();
    expect((await here.reader.fromCookies(jar)).status).toBe("valid");
    await there.storage.end(jar);
    expect((await here.reader.fromCookies(jar)).status).toBe("none");
    expect(here.reader.cache.size).toBe(0);
  });

  it("is unavailable, never a stale session, when the store cannot be asked", async () => {
    const { store, here, jar } = await twoInstances();
    expect((await here.reader.fromCookies(jar)).status).toBe("valid");
    const { StoreUnavailableError } = await import("../src/lib/errors.ts");
    vi.spyOn(store, "get").mockRejectedValue(new StoreUnavailableError("down"));
    expect((await here.reader.fromCookies(jar)).status).toBe("unavailable");
  });
});

describe("reads of the same cookies at once", () => {
  it("share one opening and one verification, whatever the kind of session", async () => {
    for (const sessions of ["cookie", "server"] as const) {
      const writer = newCore({ sessions, store: new MemoryStore() });
      const core = newCore({ sessions, store: writer.config.store as MemoryStore });
      const jar = await jarOf(writer, tokensOf("alice"));
      const open = vi.spyOn(core.storage, "open");
      const reads = await Promise.all(Array.from({ length: 10 }, () => core.reader.fromCookies(jar)));
      expect(new Set(reads.map((r) => r.status === "valid" && r.session)).size, sessions).toBe(1);
      expect(open, sessions).toHaveBeenCalledTimes(1);
    }
  });
});

describe("getAccessToken", () => {
  it("works on a session built by another copy of the library's modules", async () => {
    const core = newCore();
    const tokens = tokensOf("alice");
    const read = await core.reader.fromCookies(await jarOf(core, tokens));
    if (read.status !== "valid") throw new Error("not valid");
    vi.resetModules();
    const copy = await import("../src/session/session.ts");
    expect(copy.getAccessToken).not.toBe(getAccessToken);
    expect(copy.getAccessToken(read.session)).toBe(tokens.accessToken);
    const built = copy.toSession(tokens.accessToken, await core.verifier.verify(tokens.accessToken, "access"), undefined);
    expect(getAccessToken(built)).toBe(tokens.accessToken);
  });

  it("finds no token in a copy of a session: JSON, structuredClone and spreading carry none", async () => {
    const core = newCore();
    const tokens = tokensOf("alice");
    const read = await core.reader.fromCookies(await jarOf(core, tokens));
    if (read.status !== "valid") throw new Error("not valid");
    const json = JSON.stringify(read.session);
    const [, payload, signature] = tokens.accessToken.split(".");
    for (const part of [tokens.accessToken, payload!, signature!]) expect(json).not.toContain(part);
    for (const copy of [structuredClone(read.session), { ...read.session }, JSON.parse(json)]) {
      expect(() => getAccessToken(copy)).toThrow(TypeError);
      expect(Object.getOwnPropertySymbols(copy)).toEqual([]);
    }
  });
});
