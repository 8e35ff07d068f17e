// The warm session read answers from caches without waiting (SessionCookies.peek,
// TokenVerifier.peek, Sealer.peek, the session parts built once per claims). Every refusal
// must still happen on that path: an expired token, a signed-out user, a foreign ID token,
// a malformed chunk; and a shared part must never carry one session's data into another.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { resolveConfig } from "../src/config/resolve.ts";
import { createCore } from "../src/core.ts";
import { type CookieJar, MALFORMED, readChunked } from "../src/cookies/jar.ts";
import { Sealer } from "../src/cookies/seal.ts";
import { getAccessToken, toSession } from "../src/session/session.ts";
import { startTestIssuer, type TestIssuer } from "../src/testing/issuer.ts";
import { Lru } from "../src/verify/lru.ts";

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
async function cookiesFor(core: Core, tokens: { accessToken: string; idToken?: string }): Promise<CookieJar> {
  const { set } = await core.cookies.write(new Map(), {
    accessToken: tokens.accessToken,
    idToken: tokens.idToken,
    refreshToken: "opaque-refresh-token",
    endsAt: Math.floor(Date.now() / 1000) + 86_400,
  });
  return new Map(set.map((c) => [c.name, [c.value]]));
}

const signIn = (sub = crypto.randomUUID()) => ({ accessToken: pool.accessToken({ sub }), idToken: pool.idToken({ sub }) });

describe("warm session read", () => {
  it("is answered from caches once the tokens were read, and equals the full read", async () => {
    const core = newCore();
    const jar = await cookiesFor(newCore(), signIn()); // written by another instance: nothing cached here
    expect(core.cookies.peek(jar)).toBeUndefined();
    const first = await core.reader.fromCookies(jar);
    expect(first.status).toBe("valid");
    const tokens = core.cookies.peek(jar)!;
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
    expect(await core.reader.fromTokens(core.cookies.peek(jar)!).catch((error: Error) => error.name)).toBe("TokenExpiredError");
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
    expect(core.cookies.peek(mixed)).toBeDefined(); // every part is cached: the fast path is the one refusing
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
    expect(core.cookies.peek(duplicated)).toBeUndefined();
    expect((await core.reader.fromCookies(duplicated)).status).toBe("none");
  });
});

describe("sessions built from cached claims", () => {
  it("are new frozen objects each time, each mapped to its own access token", async () => {
    const core = newCore();
    const token = pool.accessToken();
    const access = await core.verifier.verify(token, "access");
    const a = toSession(token, access, undefined);
    const b = toSession(token, access, undefined);
    expect(b).not.toBe(a);
    expect(b.expiresAt).not.toBe(a.expiresAt); // a Date is mutable even when its holder is frozen
    expect(Object.isFrozen(b)).toBe(true);
    expect(getAccessToken(b)).toBe(token);
    const other = pool.accessToken();
    const c = toSession(other, await core.verifier.verify(other, "access"), undefined);
    expect(getAccessToken(c)).toBe(other);
    expect(c.user?.sub).not.toBe(a.user?.sub);
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
    expect(readChunked(new Map([["c.0", [first]], ["c.1", ["x"]]]), "c")).toBe(MALFORMED);
  });

  it("reads a valid count", () => {
    expect(readChunked(new Map([["c.0", ["2~ab~c"]], ["c.1", ["de"]]]), "c")).toBe("ab~cde");
    expect(readChunked(new Map([["c.0", ["1~"]]]), "c")).toBe("");
  });
});

describe("Sealer.peek", () => {
  it("answers only for a seal opened or made here and not expired", async () => {
    const maker = new Sealer([SECRET]);
    const sealed = await maker.seal({ a: 1 }, 60);
    expect(maker.peek(sealed)).toEqual({ a: 1 });
    const reader = new Sealer([SECRET]);
    expect(reader.peek(sealed)).toBeUndefined();
    expect(await reader.unseal(sealed)).toEqual({ a: 1 });
    expect(reader.peek(sealed)).toEqual({ a: 1 });
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 61_000 });
    expect(reader.peek(sealed)).toBeUndefined();
    expect(await reader.unseal(sealed)).toBeUndefined();
  });
});

describe("Lru, second chance", () => {
  const key = (name: string) => `${name}-${"S".repeat(40)}-${name}`;

  it("never drops the entry it is setting, even when every other one was read", () => {
    const one = new Lru<string, number>(1);
    one.set(key("a"), 1);
    one.get(key("a"));
    one.set(key("b"), 2);
    expect(one.get(key("b"))).toBe(2);
    expect(one.get(key("a"))).toBeUndefined();
    const three = new Lru<string, number>(3);
    for (const name of ["a", "b", "c"]) three.set(key(name), 1);
    for (const name of ["a", "b", "c"]) three.get(key(name));
    three.set(key("d"), 4);
    expect(three.size).toBe(3);
    expect(three.get(key("d"))).toBe(4);
  });

  it("keeps an entry read since it was set over one that was not", () => {
    const lru = new Lru<string, number>(3);
    for (const name of ["a", "b", "c"]) lru.set(key(name), 1);
    lru.get(key("a"));
    lru.set(key("d"), 4);
    expect(lru.get(key("a"))).toBe(1);
    expect(lru.get(key("b"))).toBeUndefined();
    expect(lru.get(key("c"))).toBe(1);
  });
});
