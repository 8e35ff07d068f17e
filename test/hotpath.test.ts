// The warm session read is answered from the session cache, keyed by the cookies as sent.
// Every refusal must still happen on that path: an expired token or seal, a signed-out user,
// a foreign ID token, a malformed chunk; and an entry must never answer for other cookies:
// every value sent (the access token, each chunk of the seal) is compared with the entry's.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { resolveConfig } from "../src/config/resolve.ts";
import { createCore } from "../src/session/core.ts";
import { type CookieJar, MALFORMED, readChunked } from "../src/persistence/jar.ts";
import { getAccessToken } from "../src/session/session.ts";
import { startTestIssuer, type TestIssuer } from "../src/testing/issuer.ts";
import { Lru } from "../src/lib/lru.ts";

const SECRET = "hotpath-secret-0123456789-abcdefghijklmnop";
let pool: TestIssuer;

beforeAll(async () => {
  pool = await startTestIssuer({ userPoolId: "local_hotpathPool", clientId: "hotpathclient", ttl: 600 });
});
afterAll(() => pool.close());
afterEach(() => vi.useRealTimers());

function newCore() {
  return createCore(
    resolveConfig({
      userPoolId: pool.userPoolId,
      clientId: pool.clientId,
      issuer: pool.issuer,
      jwksUri: pool.jwksUri,
      secret: SECRET,
      appUrl: "http://localhost:3000",
      env: {},
    }),
  );
}
type Core = ReturnType<typeof newCore>;

/** The jar a browser sends back after `core` wrote these tokens. */
async function cookiesFor(
  core: Core,
  tokens: { accessToken: string; idToken?: string },
  { lifetime = 86_400, refreshToken = "opaque-refresh-token" } = {},
): Promise<CookieJar> {
  const { set } = await core.storage.write(new Map(), {
    accessToken: tokens.accessToken,
    idToken: tokens.idToken,
    refreshToken,
    endsAt: Math.floor(Date.now() / 1000) + lifetime,
  });
  return new Map(set.map((c) => [c.name, [c.value]]));
}

/** The read of `jar` if the session cache answered it; undefined when the cookies had to be opened (and were read in full). */
async function warm(core: Core, jar: CookieJar) {
  const open = vi.spyOn(core.storage, "open");
  try {
    const read = await core.reader.fromCookies(jar);
    return open.mock.calls.length === 0 ? read : undefined;
  } finally {
    open.mockRestore();
  }
}

const signIn = (sub = crypto.randomUUID()) => ({ sub, accessToken: pool.accessToken({ sub }), idToken: pool.idToken({ sub }) });

describe("warm session read", () => {
  it("is answered from the session cache once the cookies were read, with the session the full read built", async () => {
    const core = newCore();
    const jar = await cookiesFor(newCore(), signIn()); // written by another instance: nothing cached here
    expect(await warm(core, jar)).toBeUndefined();
    const first = await core.reader.fromCookies(jar);
    expect(first.status).toBe("valid");
    const second = await warm(core, jar);
    if (first.status !== "valid" || second?.status !== "valid") throw new Error("not valid");
    expect(second.session).toBe(first.session);
    expect(getAccessToken(second.session)).toBe(jar.get(core.cookieNames.access)![0]);
  });

  it("gives the same frozen session for the same cookies sent again as new strings", async () => {
    const core = newCore();
    const jar = await cookiesFor(core, signIn(), { refreshToken: CHUNKED_REFRESH });
    const first = await core.reader.fromCookies(jar);
    const again = new Map([...jar].map(([name, [value]]) => [name, [` ${value}`.slice(1)]]));
    const second = await warm(core, again);
    if (first.status !== "valid" || second?.status !== "valid") throw new Error("not valid");
    expect(second.session).toBe(first.session);
    expect(Object.isFrozen(second.session)).toBe(true);
    expect(Object.isFrozen(second.session.user)).toBe(true);
    expect(Object.isFrozen(second.tokens)).toBe(true);
    // A Date is mutable even when its holder is frozen: one reader's change must not reach another.
    first.session.expiresAt.setTime(0);
    expect(second.session.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });

  it("refuses a cached session once its access token has expired (clock tolerance included)", async () => {
    const core = newCore();
    const { accessToken, idToken } = signIn();
    const jar = await cookiesFor(core, { accessToken, idToken });
    expect((await core.reader.fromCookies(jar)).status).toBe("valid");
    const { exp } = await core.verifier.verify(accessToken, "access");
    vi.useFakeTimers({ toFake: ["Date"], now: (exp + core.config.clockTolerance) * 1000 - 1 });
    expect((await warm(core, jar))?.status).toBe("valid");
    vi.setSystemTime((exp + core.config.clockTolerance) * 1000);
    expect(await warm(core, jar)).toBeUndefined();
    expect((await core.reader.fromCookies(jar)).status).toBe("expired");
  });

  it("turns stale once the refresh margin is reached, when there is a refresh token to refresh with", async () => {
    const core = newCore();
    const { accessToken, idToken } = signIn();
    const withRefresh = await cookiesFor(core, { accessToken, idToken });
    const { set } = await core.storage.write(new Map(), { accessToken, idToken, refreshToken: undefined, endsAt: Math.floor(Date.now() / 1000) + 86_400 });
    const withoutRefresh: CookieJar = new Map(set.map((c) => [c.name, [c.value]]));
    const read = async (jar: CookieJar) => {
      const result = await core.reader.fromCookies(jar);
      if (result.status !== "valid") throw new Error(`not valid: ${result.status}`);
      return result.stale;
    };
    expect(await read(withRefresh)).toBe(false);
    expect(await read(withRefresh)).toBe(false); // answered warm
    expect(await read(withoutRefresh)).toBe(false);
    const { exp, iat } = await core.verifier.verify(accessToken, "access");
    const lead = Math.min(core.config.refresh.margin, (exp - iat) / 2);
    vi.useFakeTimers({ toFake: ["Date"], now: (exp - lead - 1) * 1000 });
    expect(await read(withRefresh)).toBe(false);
    vi.setSystemTime((exp - lead + 1) * 1000);
    expect(await warm(core, withRefresh)).toMatchObject({ status: "valid", stale: true }); // the warm path is the one answering
    expect(await warm(core, withoutRefresh)).toMatchObject({ status: "valid", stale: false });
  });

  it("refuses a user signed out everywhere after the session was cached", async () => {
    const core = newCore();
    const sub = crypto.randomUUID();
    const jar = await cookiesFor(core, signIn(sub));
    expect((await core.reader.fromCookies(jar)).status).toBe("valid");
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2_000 }); // past the sign-out's second
    await core.denylist.signOut(sub, 600);
    expect((await warm(core, jar))?.status).toBe("none");
    expect(core.reader.cache.size).toBe(0);
  });

  it("refuses an ID token of another user, even when both tokens are verified and cached", async () => {
    const core = newCore();
    const alice = signIn();
    const mallory = signIn();
    expect((await core.reader.fromCookies(await cookiesFor(core, alice))).status).toBe("valid");
    expect((await core.reader.fromCookies(await cookiesFor(core, mallory))).status).toBe("valid");
    const mixed = await cookiesFor(core, { accessToken: alice.accessToken, idToken: mallory.idToken });
    expect((await core.reader.fromCookies(mixed)).status).toBe("none");
    expect(await warm(core, mixed)).toBeUndefined();
    expect(core.reader.cache.size).toBe(2);
  });

  it("serves the session without the ID token once only that has expired, and no other user's attributes", async () => {
    const core = newCore();
    const sub = crypto.randomUUID();
    const accessToken = pool.accessToken({ sub });
    const shortId = pool.idToken({ sub, exp: Math.floor(Date.now() / 1000) + 60 });
    const jar = await cookiesFor(core, { accessToken, idToken: shortId });
    const fresh = await core.reader.fromCookies(jar);
    if (fresh.status !== "valid") throw new Error("not valid");
    expect(fresh.session.user?.email).toBe(`${sub}@example.com`);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + (60 + core.config.clockTolerance) * 1000 });
    expect(await warm(core, jar)).toBeUndefined(); // the entry lapses with its earliest token
    const later = await core.reader.fromCookies(jar);
    if (later.status !== "valid") throw new Error("not valid");
    expect(later.session.user?.email).toBeUndefined();
  });

  it("refuses malformed chunks before the cache is asked", async () => {
    const core = newCore();
    const jar = await cookiesFor(core, signIn());
    expect((await core.reader.fromCookies(jar)).status).toBe("valid");
    const duplicated: CookieJar = new Map(jar);
    duplicated.set(core.cookieNames.access, [...jar.get(core.cookieNames.access)!, jar.get(core.cookieNames.access)![0]!]);
    expect(core.storage.sent(duplicated)).toBeNull();
    expect((await warm(core, duplicated))?.status).toBe("none");
  });
});

describe("readChunked, the count checked by character", () => {
  it.each([
    ["a zero count", "0~abc"],
    ["no tilde", "2abc"],
    ["a letter for a count", "a~abc"],
    ["an empty first chunk", ""],
    ["a count alone", "1"],
  ])("reads %s as malformed", (_, first) => {
    expect(
      readChunked(
        new Map([
          ["c.0", [first]],
          ["c.1", ["x"]],
        ]),
        "c",
      ),
    ).toBe(MALFORMED);
  });

  it("reads a valid count", () => {
    expect(
      readChunked(
        new Map([
          ["c.0", ["2~ab~c"]],
          ["c.1", ["de"]],
        ]),
        "c",
      ),
    ).toBe("ab~cde");
    expect(readChunked(new Map([["c.0", ["1~"]]]), "c")).toBe("");
  });
});

describe("Lru, second chance", () => {
  const key = (name: string) => `${name}-${"S".repeat(40)}-${name}`;

  it("never drops the entry it is setting, even when every other one was read", () => {
    const one = new Lru<string, number>(1, Infinity);
    one.set(key("a"), 1);
    one.get(key("a"));
    one.set(key("b"), 2);
    expect(one.get(key("b"))).toBe(2);
    expect(one.get(key("a"))).toBeUndefined();
    const three = new Lru<string, number>(3, Infinity);
    for (const name of ["a", "b", "c"]) three.set(key(name), 1);
    for (const name of ["a", "b", "c"]) three.get(key(name));
    three.set(key("d"), 4);
    expect(three.size).toBe(3);
    expect(three.get(key("d"))).toBe(4);
  });

  it("keeps an entry read since it was set over one that was not", () => {
    const lru = new Lru<string, number>(3, Infinity);
    for (const name of ["a", "b", "c"]) lru.set(key(name), 1);
    lru.get(key("a"));
    lru.set(key("d"), 4);
    expect(lru.get(key("a"))).toBe(1);
    expect(lru.get(key("b"))).toBeUndefined();
    expect(lru.get(key("c"))).toBe(1);
  });
});

/** A refresh token long enough that the seal is chunked. */
const CHUNKED_REFRESH = `opaque-refresh-token-${"r".repeat(4_000)}`;

async function subOf(core: Core, jar: CookieJar): Promise<string | undefined> {
  const read = await core.reader.fromCookies(jar);
  return read.status === "valid" ? read.session.user?.sub : read.status;
}

/** `jar` with the seal's chunks of `other` in place of its own. */
function withSealOf(core: Core, jar: CookieJar, other: CookieJar): CookieJar {
  const mixed: CookieJar = new Map([...jar].filter(([name]) => !name.startsWith(core.cookieNames.sealed)));
  for (const [name, values] of other) if (name.startsWith(core.cookieNames.sealed)) mixed.set(name, values);
  return mixed;
}

describe("the session cache: one entry per cookies read", () => {
  it("compares every chunk of the seal: another valid seal or one altered chunk is not served from the entry", async () => {
    const core = newCore();
    const alice = signIn();
    const jar = await cookiesFor(core, alice, { refreshToken: CHUNKED_REFRESH });
    expect(jar.has(`${core.cookieNames.sealed}.1`)).toBe(true); // the seal is chunked
    expect(await subOf(core, jar)).toBe(alice.sub);
    expect((await warm(core, jar))?.status).toBe("valid"); // now from the entry
    // Alice's access token sent with a seal of Mallory's ID token: the full path refuses it.
    const mallory = await cookiesFor(core, signIn(), { refreshToken: CHUNKED_REFRESH });
    expect(await warm(core, withSealOf(core, jar, mallory))).toBeUndefined();
    expect(await subOf(core, withSealOf(core, jar, mallory))).toBe("none");
    const tampered: CookieJar = new Map(jar);
    const last = `${core.cookieNames.sealed}.1`;
    const chunk = jar.get(last)![0]!;
    tampered.set(last, [`${chunk.slice(0, 40)}${chunk[40] === "A" ? "B" : "A"}${chunk.slice(41)}`]);
    expect(await warm(core, tampered)).toBeUndefined();
    expect(await subOf(core, tampered)).toBe("none");
    expect(await subOf(core, jar)).toBe(alice.sub);
  });

  it("re-checks the seal's own expiry on every hit", async () => {
    const core = newCore();
    const alice = signIn();
    const jar = await cookiesFor(core, alice, { lifetime: 60, refreshToken: CHUNKED_REFRESH }); // the seal lapses before the access token
    expect(await subOf(core, jar)).toBe(alice.sub);
    expect((await warm(core, jar))?.status).toBe("valid");
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 61_000 });
    expect(await warm(core, jar)).toBeUndefined();
    expect(await subOf(core, jar)).toBe("none");
  });

  it("never answers for the access token of another entry's seal", async () => {
    const core = newCore();
    const [alice, bob] = [signIn(), signIn()];
    const jar = await cookiesFor(core, alice, { refreshToken: CHUNKED_REFRESH });
    expect(await subOf(core, jar)).toBe(alice.sub);
    const mixed: CookieJar = new Map([...jar, [core.cookieNames.access, [bob.accessToken]]]);
    expect(await warm(core, mixed)).toBeUndefined();
    // Bob's access token does not verify with Alice's seal: the ID token is another user's.
    expect(await subOf(core, mixed)).toBe("none");
  });

  it("holds one entry per session, however its seal's chunks are cut, and none for what did not read", async () => {
    const core = newCore();
    const jar = await cookiesFor(core, signIn(), { refreshToken: CHUNKED_REFRESH });
    const [first, second] = [jar.get(`${core.cookieNames.sealed}.0`)![0]!, jar.get(`${core.cookieNames.sealed}.1`)![0]!];
    const whole = first.slice(2) + second; // without the count in front
    for (let i = 0; i < 40; i++) {
      const variant: CookieJar = new Map(jar);
      // The same seal, cut elsewhere: a miss, read in full, the entry replaced.
      const cut = first.length - 2 - i;
      variant.set(`${core.cookieNames.sealed}.0`, [`2~${whole.slice(0, cut)}`]);
      variant.set(`${core.cookieNames.sealed}.1`, [whole.slice(cut)]);
      expect((await core.reader.fromCookies(variant)).status).toBe("valid");
      // The same seal with access tokens that do not verify: nothing kept.
      variant.set(core.cookieNames.access, [`${"h".repeat(1_000)}.${"p".repeat(200)}.${String(i).padStart(12, "0")}`]);
      expect((await core.reader.fromCookies(variant)).status).toBe("none");
    }
    expect(core.reader.cache.size).toBe(1);
  });

  it("keeps two users' cookies apart, each read after the other", async () => {
    const core = newCore();
    const [alice, bob] = [signIn(), signIn()];
    const [aliceJar, bobJar] = [await cookiesFor(core, alice), await cookiesFor(core, bob)];
    for (let i = 0; i < 3; i++) {
      expect(await subOf(core, aliceJar)).toBe(alice.sub);
      expect(await subOf(core, bobJar)).toBe(bob.sub);
    }
    expect(core.reader.cache.size).toBe(2);
  });
});
