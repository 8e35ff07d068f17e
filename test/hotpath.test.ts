// The warm session read answers from caches without waiting (SessionCookies.peek,
// TokenVerifier.peek, the session parts built once per claims). Every refusal
// must still happen on that path: an expired token, a signed-out user, a foreign ID token,
// a malformed chunk; and a shared part must never carry one session's data into another.
// SessionCookies.peek answers the same frozen token set for the same cookies (found by the
// access token, confirmed on every chunk of the seal, the seal's expiry checked each time),
// and the reader keeps the claims verified for that set: a hit must never serve other
// cookies, another token set, or anything expired.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { resolveConfig } from "../src/config/resolve.ts";
import { createCore } from "../src/session/core.ts";
import { chunkNames, type CookieJar, MALFORMED, parseCookieHeader, readChunked, readChunks } from "../src/persistence/jar.ts";
import { getAccessToken, toSession } from "../src/session/session.ts";
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
  const { set } = await core.cookies.write(new Map(), {
    accessToken: tokens.accessToken,
    idToken: tokens.idToken,
    refreshToken,
    endsAt: Math.floor(Date.now() / 1000) + lifetime,
  });
  return new Map(set.map((c) => [c.name, [c.value]]));
}

/** What SessionCookies.peek gives for the cookies of `jar`. */
function peek(core: Core, jar: CookieJar) {
  const sent = core.cookies.sent(jar);
  return sent ? core.cookies.peek(sent) : undefined;
}

const signIn = (sub = crypto.randomUUID()) => ({ sub, accessToken: pool.accessToken({ sub }), idToken: pool.idToken({ sub }) });

describe("warm session read", () => {
  it("is answered from caches once the tokens were read, and equals the full read", async () => {
    const core = newCore();
    const jar = await cookiesFor(newCore(), signIn()); // written by another instance: nothing cached here
    expect(peek(core, jar)).toBeUndefined();
    const first = await core.reader.fromCookies(jar);
    expect(first.status).toBe("valid");
    const tokens = peek(core, jar)!;
    expect(tokens.accessToken).toBe(jar.get(core.cookies.access)![0]);
    expect(core.verifier.peek(tokens.accessToken, "access")).toBeDefined();
    expect(core.verifier.peek(tokens.idToken!, "id")).toBeDefined();
    const second = await core.reader.fromCookies(jar);
    if (first.status !== "valid" || second.status !== "valid") throw new Error("not valid");
    expect(second.session).toEqual(first.session);
    expect(getAccessToken(second.session)).toBe(tokens.accessToken);
  });

  it("refuses a cached access token once it has expired (clock tolerance included)", async () => {
    const core = newCore();
    const { accessToken, idToken } = signIn();
    const jar = await cookiesFor(core, { accessToken, idToken });
    expect((await core.reader.fromCookies(jar)).status).toBe("valid");
    const { exp } = await core.verifier.verify(accessToken, "access");
    vi.useFakeTimers({ toFake: ["Date"], now: (exp + core.config.clockTolerance) * 1000 });
    expect(core.verifier.peek(accessToken, "access")).toBeUndefined();
    const read = await core.reader.fromCookies(jar);
    expect(read.status).toBe("expired");
    expect(await core.reader.fromTokens(peek(core, jar)!).catch((error: Error) => error.name)).toBe("TokenExpiredError");
  });

  it("turns stale once the refresh margin is reached, when there is a refresh token to refresh with", async () => {
    const core = newCore();
    const { accessToken, idToken } = signIn();
    const withRefresh = await cookiesFor(core, { accessToken, idToken });
    const { set } = await core.cookies.write(new Map(), { accessToken, idToken, refreshToken: undefined, endsAt: Math.floor(Date.now() / 1000) + 86_400 });
    const withoutRefresh: CookieJar = new Map(set.map((c) => [c.name, [c.value]]));
    const read = async (jar: CookieJar) => {
      const result = await core.reader.fromCookies(jar);
      if (result.status !== "valid") throw new Error(`not valid: ${result.status}`);
      return result.stale;
    };
    expect(await read(withRefresh)).toBe(false);
    expect(await read(withRefresh)).toBe(false); // answered warm
    const { exp, iat } = await core.verifier.verify(accessToken, "access");
    const lead = Math.min(core.config.refresh.margin, (exp - iat) / 2);
    vi.useFakeTimers({ toFake: ["Date"], now: (exp - lead - 1) * 1000 });
    expect(await read(withRefresh)).toBe(false);
    vi.setSystemTime((exp - lead + 1) * 1000);
    expect(peek(core, withRefresh)).toBeDefined(); // the warm path is the one answering
    expect(await read(withRefresh)).toBe(true);
    expect(await read(withoutRefresh)).toBe(false);
    expect(await read(withoutRefresh)).toBe(false);
  });

  it("never peeks a token for the other use", async () => {
    const core = newCore();
    const { accessToken, idToken } = signIn();
    await core.verifier.verify(accessToken, "access");
    await core.verifier.verify(idToken, "id");
    expect(core.verifier.peek(accessToken, "id")).toBeUndefined();
    expect(core.verifier.peek(idToken, "access")).toBeUndefined();
    expect(core.verifier.peek(pool.accessToken(), "access")).toBeUndefined(); // never verified
  });

  it("refuses a user signed out everywhere after the read was cached", async () => {
    const core = newCore();
    const sub = crypto.randomUUID();
    const jar = await cookiesFor(core, signIn(sub));
    expect((await core.reader.fromCookies(jar)).status).toBe("valid");
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2_000 }); // past the sign-out's second
    await core.denylist.signOut(sub, 600);
    expect((await core.reader.fromCookies(jar)).status).toBe("none");
  });

  it("refuses an ID token of another user, even when both tokens are cached", async () => {
    const core = newCore();
    const alice = signIn();
    const mallory = signIn();
    expect((await core.reader.fromCookies(await cookiesFor(core, alice))).status).toBe("valid");
    expect((await core.reader.fromCookies(await cookiesFor(core, mallory))).status).toBe("valid");
    const mixed = await cookiesFor(core, { accessToken: alice.accessToken, idToken: mallory.idToken });
    await core.reader.fromCookies(mixed);
    expect(peek(core, mixed)).toBeDefined(); // every part is cached: the fast path is the one refusing
    expect((await core.reader.fromCookies(mixed)).status).toBe("none");
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
    const later = await core.reader.fromCookies(jar);
    if (later.status !== "valid") throw new Error("not valid");
    expect(later.session.user?.email).toBeUndefined();
  });

  it("refuses malformed chunks before any cache is asked", async () => {
    const core = newCore();
    const jar = await cookiesFor(core, signIn());
    expect((await core.reader.fromCookies(jar)).status).toBe("valid");
    const duplicated: CookieJar = new Map(jar);
    duplicated.set(core.cookies.access, [...jar.get(core.cookies.access)!, jar.get(core.cookies.access)![0]!]);
    expect(core.cookies.sent(duplicated)).toBeNull();
    expect((await core.reader.fromCookies(duplicated)).status).toBe("none");
  });
});

describe("sessions built from cached claims", () => {
  it("are one frozen object per token set, with a new expiresAt Date at every read", async () => {
    const core = newCore();
    const token = pool.accessToken();
    const access = await core.verifier.verify(token, "access");
    const a = toSession(token, access, undefined);
    const b = toSession(token, access, undefined);
    expect(b).toBe(a);
    expect(Object.isFrozen(b)).toBe(true);
    expect(Object.isFrozen(b.user)).toBe(true);
    expect(Object.isFrozen(b.scopes)).toBe(true);
    // A Date is mutable even when its holder is frozen: one reader's change must not reach another.
    expect(b.expiresAt).not.toBe(a.expiresAt);
    a.expiresAt.setTime(0);
    expect(b.expiresAt.getTime()).toBe(access.exp * 1000);
    expect(JSON.parse(JSON.stringify(b)).expiresAt).toBe(new Date(access.exp * 1000).toISOString());
    expect(getAccessToken(b)).toBe(token);
    const other = pool.accessToken();
    const c = toSession(other, await core.verifier.verify(other, "access"), undefined);
    expect(getAccessToken(c)).toBe(other);
    expect(c.user?.sub).not.toBe(a.user?.sub);
  });

  it("are never shared between different access token strings, even for the same claims", async () => {
    const core = newCore();
    const token = pool.accessToken();
    const access = await core.verifier.verify(token, "access");
    const a = toSession(token, access, undefined);
    const b = toSession("another.access.token", access, undefined);
    expect(b).not.toBe(a);
    expect(getAccessToken(b)).toBe("another.access.token");
    expect(getAccessToken(a)).toBe(token);
  });

  it("never reuse the attributes of another ID token for the same access token", async () => {
    const core = newCore();
    const sub = crypto.randomUUID();
    const token = pool.accessToken({ sub });
    const access = await core.verifier.verify(token, "access");
    const first = await core.verifier.verify(pool.idToken({ sub, email: "first@example.com" }), "id");
    const second = await core.verifier.verify(pool.idToken({ sub, email: "second@example.com" }), "id");
    expect(toSession(token, access, first).user?.email).toBe("first@example.com");
    expect(toSession(token, access, second).user?.email).toBe("second@example.com");
    expect(toSession(token, access, undefined).user?.email).toBeUndefined();
    expect(toSession(token, access, first).user?.email).toBe("first@example.com");
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
const CHUNKED_REFRESH = `opaque-refresh-token-${"r".repeat(2_000)}`;

async function subOf(core: Core, jar: CookieJar): Promise<string | undefined> {
  const read = await core.reader.fromCookies(jar);
  return read.status === "valid" ? read.session.user?.sub : read.status;
}

/** `jar` with the seal's chunks of `other` in place of its own. */
function withSealOf(core: Core, jar: CookieJar, other: CookieJar): CookieJar {
  const mixed: CookieJar = new Map([...jar].filter(([name]) => !name.startsWith(core.cookies.sealed)));
  for (const [name, values] of other) if (name.startsWith(core.cookies.sealed)) mixed.set(name, values);
  return mixed;
}

describe("SessionCookies.peek: one frozen token set per cookies", () => {
  it("gives the same frozen object for the same cookies, sent again as new strings", async () => {
    const core = newCore();
    const jar = await cookiesFor(core, signIn(), { refreshToken: CHUNKED_REFRESH });
    expect(jar.has(`${core.cookies.sealed}.1`)).toBe(true); // the seal is chunked
    const first = peek(core, jar)!;
    expect(Object.isFrozen(first)).toBe(true);
    const again = new Map([...jar].map(([name, [value]]) => [name, [` ${value}`.slice(1)]]));
    expect(peek(core, again)).toBe(first);
  });

  it("confirms every chunk of the seal: another valid seal or one altered chunk is not served from the entry", async () => {
    const core = newCore();
    const alice = signIn();
    const jar = await cookiesFor(core, alice, { refreshToken: CHUNKED_REFRESH });
    expect(await subOf(core, jar)).toBe(alice.sub);
    expect(await subOf(core, jar)).toBe(alice.sub); // now from the entry
    // Alice's access token sent with a seal of Mallory's ID token: the full path refuses it.
    const mallory = await cookiesFor(core, signIn(), { refreshToken: CHUNKED_REFRESH });
    expect(await subOf(core, withSealOf(core, jar, mallory))).toBe("none");
    const tampered: CookieJar = new Map(jar);
    const last = `${core.cookies.sealed}.1`;
    const chunk = jar.get(last)![0]!;
    tampered.set(last, [`${chunk.slice(0, 40)}${chunk[40] === "A" ? "B" : "A"}${chunk.slice(41)}`]);
    expect(peek(core, tampered)).toBeUndefined();
    expect(await subOf(core, tampered)).toBe("none");
    expect(await subOf(core, jar)).toBe(alice.sub);
  });

  it("re-checks the seal's own expiry on every hit", async () => {
    const core = newCore();
    const alice = signIn();
    const jar = await cookiesFor(core, alice, { lifetime: 60, refreshToken: CHUNKED_REFRESH }); // the seal lapses before the access token
    expect(await subOf(core, jar)).toBe(alice.sub);
    expect(peek(core, jar)).toBeDefined();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 61_000 });
    expect(peek(core, jar)).toBeUndefined();
    expect(await subOf(core, jar)).toBe("none");
  });

  it("serves the access token sent, never the one its entry was made with", async () => {
    const core = newCore();
    const [alice, bob] = [signIn(), signIn()];
    const jar = await cookiesFor(core, alice, { refreshToken: CHUNKED_REFRESH });
    expect(peek(core, jar)!.accessToken).toBe(alice.accessToken);
    const mixed: CookieJar = new Map([...jar, [core.cookies.access, [bob.accessToken]]]);
    expect(peek(core, mixed)!.accessToken).toBe(bob.accessToken);
    // Bob's access token does not verify with Alice's seal: the ID token is another user's.
    expect(await subOf(core, mixed)).toBe("none");
  });

  it("holds one entry per seal, whatever access tokens come with it and however its chunks are cut", async () => {
    const core = newCore();
    const jar = await cookiesFor(core, signIn(), { refreshToken: CHUNKED_REFRESH });
    const [first, second] = [jar.get(`${core.cookies.sealed}.0`)![0]!, jar.get(`${core.cookies.sealed}.1`)![0]!];
    const whole = first + second;
    for (let i = 0; i < 200; i++) {
      const variant: CookieJar = new Map(jar);
      variant.set(core.cookies.access, [`${"h".repeat(1_000)}.${"p".repeat(200)}.${String(i).padStart(12, "0")}`]);
      // The same seal, cut elsewhere: anywhere in the first chunk's last 100 characters, or
      // so that the second chunk is shorter than the tail that finds the seal.
      const cut = i < 100 ? first.length - i : whole.length - 1 - (i % 12);
      variant.set(`${core.cookies.sealed}.0`, [whole.slice(0, cut)]);
      variant.set(`${core.cookies.sealed}.1`, [whole.slice(cut)]);
      expect(peek(core, variant)).toBeDefined();
    }
    expect(core.cookies.openedSeals).toBe(1);
  });

  it("keeps two users' cookies apart, each read after the other", async () => {
    const core = newCore();
    const [alice, bob] = [signIn(), signIn()];
    const [aliceJar, bobJar] = [await cookiesFor(core, alice), await cookiesFor(core, bob)];
    for (let i = 0; i < 3; i++) {
      expect(await subOf(core, aliceJar)).toBe(alice.sub);
      expect(await subOf(core, bobJar)).toBe(bob.sub);
    }
    expect(peek(core, aliceJar)).not.toBe(peek(core, bobJar));
  });
});

describe("the reader's claims per token set", () => {
  it("re-checks the access token's expiry on every read answered from them", async () => {
    const core = newCore();
    const alice = signIn();
    // The ID token outlives the access token, so only the access token's check can refuse.
    const jar = await cookiesFor(core, {
      accessToken: alice.accessToken,
      idToken: pool.idToken({ sub: alice.sub, exp: Math.floor(Date.now() / 1000) + 1_200 }),
    });
    for (let i = 0; i < 3; i++) expect(await subOf(core, jar)).toBe(alice.sub); // the last ones from the kept claims
    const { exp } = await core.verifier.verify(alice.accessToken, "access");
    vi.useFakeTimers({ toFake: ["Date"], now: (exp + core.config.clockTolerance) * 1000 });
    expect(await subOf(core, jar)).toBe("expired");
  });

  it("re-checks the ID token's expiry on every read answered from them: the session goes on without its attributes", async () => {
    const core = newCore();
    const sub = crypto.randomUUID();
    const jar = await cookiesFor(core, { accessToken: pool.accessToken({ sub }), idToken: pool.idToken({ sub, exp: Math.floor(Date.now() / 1000) + 60 }) });
    for (let i = 0; i < 3; i++) {
      const read = await core.reader.fromCookies(jar);
      expect(read.status === "valid" && read.session.user?.email).toBe(`${sub}@example.com`);
    }
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + (60 + core.config.clockTolerance) * 1000 });
    const later = await core.reader.fromCookies(jar);
    expect(later.status === "valid" && later.session.user?.email).toBeUndefined();
  });

  it("re-checks the denylist on every read answered from them", async () => {
    const core = newCore();
    const alice = signIn();
    const jar = await cookiesFor(core, alice);
    for (let i = 0; i < 3; i++) expect(await subOf(core, jar)).toBe(alice.sub);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2_000 }); // past the sign-out's second
    await core.denylist.signOut(alice.sub, 600);
    expect(await subOf(core, jar)).toBe("none");
  });

  it("are bound to the token strings, not to the object: a token set changed after a read is verified as it now is", async () => {
    const core = newCore();
    const [alice, bob] = [signIn(), signIn()];
    await core.verifier.verify(bob.accessToken, "access");
    await core.verifier.verify(bob.idToken, "id");
    const tokens = { accessToken: alice.accessToken, idToken: alice.idToken, refreshToken: "r", endsAt: Math.floor(Date.now() / 1000) + 600 };
    const first = await core.reader.fromTokens(tokens);
    if (first.status !== "valid") throw new Error("not valid");
    expect(first.session.user?.sub).toBe(alice.sub);
    expect((await core.reader.fromTokens(tokens)).status).toBe("valid"); // answered from the kept claims
    Object.assign(tokens, { accessToken: bob.accessToken, idToken: bob.idToken });
    const second = await core.reader.fromTokens(tokens);
    if (second.status !== "valid") throw new Error("not valid");
    expect(second.session.user?.sub).toBe(bob.sub);
    expect(getAccessToken(second.session)).toBe(bob.accessToken);
  });
});

/** The parser before it scanned by index: the reference the new one must match. */
function splitParse(header: string): CookieJar {
  const jar: CookieJar = new Map();
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq === -1) continue;
    const name = pair.slice(0, eq).trim();
    if (name === "") continue;
    const value = pair.slice(eq + 1).trim();
    const values = jar.get(name);
    if (values) values.push(value);
    else jar.set(name, [value]);
  }
  return jar;
}

describe("parseCookieHeader, scanned by index", () => {
  it.each([
    ["a=1; b=2", "plain"],
    ["a=1;b=2;;; c = 3 ;", "blanks, empty pairs, a trailing separator"],
    ["noequals; a=1; alsonone", "pairs without ="],
    ["=1; a=; ==; a==2", "empty names and values, = in a value"],
    ["a=1; a=2; a=1", "a name sent three times"],
    ["\ta=1\t;\u00a0b=2\u00a0; \u2028c=\ufeff3", "tabs and Unicode blanks, trimmed as String.trim does"],
    [" ; ;=;", "nothing but separators"],
    ["a=x;y=z", "values next to the separator"],
    ["a", "one name, no value"],
  ])("matches the split-based parser on %j (%s)", (header) => {
    expect(parseCookieHeader(header)).toEqual(splitParse(header));
  });

  it("matches it on random headers of separators, blanks and names", () => {
    const alphabet = ["a", "b", "=", ";", " ", "\t", "\u00a0", "x"];
    for (let n = 0; n < 2_000; n++) {
      const header = Array.from({ length: Math.floor(Math.random() * 24) }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("");
      expect(parseCookieHeader(header), JSON.stringify(header)).toEqual(splitParse(header));
    }
  });
});

describe("readChunks", () => {
  it("gives the chunks as sent, which join to readChunked's value", () => {
    const jar: CookieJar = new Map([
      ["c.0", ["3~ab"]],
      ["c.1", ["cd"]],
      ["c.2", ["e"]],
    ]);
    expect(readChunks(jar, chunkNames("c"))).toEqual(["ab", "cd", "e"]);
    expect(readChunked(jar, "c")).toBe("abcde");
    expect(readChunks(new Map([["c", ["whole"]]]), chunkNames("c"))).toEqual(["whole"]);
    expect(readChunks(new Map(), chunkNames("c"))).toBeUndefined();
    expect(
      readChunks(
        new Map([
          ["c.0", ["3~ab"]],
          ["c.1", ["cd"]],
        ]),
        chunkNames("c"),
      ),
    ).toBe(MALFORMED);
  });
});
