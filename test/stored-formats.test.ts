// Golden values: every stored format, written by the code that writes it in production (the
// session cookies, a server-side session's id cookie and stored token set, a sign-in's
// transaction cookie, a pending challenge, a shared refresh result) with a fixed secret,
// clock and randomness, compared to the exact string committed here. A change of format,
// of key derivation, of plaintext layout or of what a writer puts in breaks one of them:
// that change then needs a new format version and a way to read the old one (see
// ARCHITECTURE.md, "Stored formats"). Values the previous release wrote, committed in
// test/fixtures/previous-format.json, are read through the same readers.
import { compactDecrypt } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import previous from "./fixtures/previous-format.json" with { type: "json" };
import { resolveConfig } from "../src/config/resolve.ts";
import type { CookieJar } from "../src/persistence/jar.ts";
import { CookieNames } from "../src/persistence/cookie-names.ts";
import { CookieSessions } from "../src/persistence/cookie-sessions.ts";
import { Sealer } from "../src/persistence/seal.ts";
import { StoreSessions } from "../src/persistence/store-sessions.ts";
import type { StoredTokens } from "../src/persistence/tokens.ts";
import { type PendingChallenge, Transactions } from "../src/persistence/transactions.ts";
import { SharedRefresh } from "../src/session/shared-refresh.ts";
import { AwsCredentialsService } from "../src/session/aws-credentials.ts";
import type { Refresher } from "../src/session/refresher.ts";
import type { TokenVerifier } from "../src/verify/verifier.ts";
import { Denylist } from "../src/store/denylist.ts";
import { MemoryStore } from "../src/store/memory.ts";
import { keyOf } from "../src/store/store.ts";

const SECRET = "golden-secret-0123456789-abcdefghijklmn";
/** 2027-01-15T08:00:00Z. */
const NOW = 1_799_913_600_000;
const b64 = (text: string) => Buffer.from(text).toString("base64url");
/** Token-shaped, short and fixed: a JWT's three parts, and a JWE's five for the refresh token as Cognito issues it. */
const TOKENS: StoredTokens = {
  accessToken: `${b64('{"kid":"k1","alg":"RS256"}')}.${b64('{"sub":"u1","token_use":"access"}')}.${b64("access-signature")}`,
  idToken: `${b64('{"kid":"k1","alg":"RS256"}')}.${b64('{"sub":"u1","token_use":"id"}')}.${b64("id-signature")}`,
  refreshToken: `${b64('{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}')}.${b64("wrapped-key")}.${b64("iv-iv-iv-iv-")}.${b64("ciphertext")}.${b64("tag-tag-tag-tag-")}`,
  endsAt: NOW / 1000 + 30 * 86_400,
};
const CHALLENGE: PendingChallenge = {
  name: "NEW_PASSWORD_REQUIRED",
  username: "u1",
  session: "cognito-challenge-session",
  returnTo: "/welcome",
  requiredAttributes: [],
};
/** A challenge with the fields MFA challenges add: the methods offered, where a code went. */
const MFA_CHALLENGE: PendingChallenge = {
  name: "SELECT_MFA_TYPE",
  username: "u1",
  session: "cognito-challenge-session",
  returnTo: "/welcome",
  requiredAttributes: [],
  options: ["SMS_MFA", "SOFTWARE_TOKEN_MFA"],
  destination: "+*******1234",
};

/** The key the format derives from SECRET, for jose. */
async function key(secret = SECRET): Promise<Uint8Array> {
  const ikm = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveBits"]);
  const info = new TextEncoder().encode("next-cognito-session JWE dir A256GCM key");
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info }, ikm, 256));
}

function cookiesWith(options: { secret?: string | string[]; server?: boolean } = {}) {
  const store = new MemoryStore();
  const config = resolveConfig({
    userPoolId: "us-east-1_Golden",
    clientId: "goldenclient",
    secret: options.secret ?? SECRET,
    appUrl: "https://app.example",
    env: {},
    ...(options.server ? { store } : {}),
  });
  const names = new CookieNames(config.cookies);
  const sealer = new Sealer(config.secrets);
  const cookies = options.server ? new StoreSessions(names, config.store, sealer, config.secrets) : new CookieSessions(names, sealer);
  return { cookies, names, sealer, store, transactions: new Transactions(names, sealer) };
}

/** Whether the storage would write the request's session again (an old secret or format): what the middleware asks. */
async function rewrites(storage: CookieSessions | StoreSessions, jar: CookieJar): Promise<boolean | undefined> {
  const sent = storage.sent(jar);
  return sent ? (await storage.open(sent))?.rewrite : undefined;
}

const jarOf = (set: Array<{ name: string; value: string }>): CookieJar => new Map(set.map((c) => [c.name, [c.value]]));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"], now: NOW });
  // Every random byte (IVs, ids, states) from a counter: the same run after run.
  let call = 0;
  vi.spyOn(crypto, "getRandomValues").mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
    call++;
    const bytes = new Uint8Array(array!.buffer, array!.byteOffset, array!.byteLength);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (call * 37 + i) & 0xff;
    return array;
  });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** The exact strings this release writes. Do not update one without a new format version (see the header comment). */
const GOLDEN = {
  sessionCookies: {
    "__Host-ncs.at": TOKENS.accessToken,
    "__Host-ncs.s":
      "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoia2R4TSJ9..JSYnKCkqKywtLi8w.ynHY1ANXKG8K52ufq0k7v4QZQpzPjLgYJIiStfntxN-JNaIkdsBWsI6etyKHr3BdmBv2T9hTGP5TFLJaSSQezXDhP90qxzjzRbcyZhzGdk-8DsYT3wwMfbYysSkg-GyN6Mf_rmRKDuzt2c8hJaaBxlvOGEnEIuhEbVL1-SiLVAm-bkxxKBwKbNQn1_05WVq7SEJrCrxt-LTiy2LW7GCLSHPJIr1iOMfWuRtlYPUpivlEVqkvcEQ9wg.W2qi90fr6xYakwUH1luJjA",
  },
  idCookie: "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoia2R4TSJ9..b3BxcnN0dXZ3eHl6.BtkauIfDeP5QhWyPgd_IrvuqeWL-Ku0RBrd70MxtrQ.yVX_KKo3BZOK8ZirWIkXZg",
  storedSession:
    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoia2R4TSJ9..JSYnKCkqKywtLi8w.ynLY1ANXKG4K52ufq0k7v4QZQpzPjLgYJIiStfntxN-JNaIkdsBWsLKetyKHr3BdmBv2T9hTGP5TFLJaSSQezXDhN9pr30fpA-dRbhjLcki6UdB_lhlParc59hAYyRmyo4__8ShCHfTjupx4dMP4qSuxCB2eZ7djNCLVzWfmL26bfRNWfRoEd8Es7KUhWQGNA10iQbdM-Kbi0X2ciGKWTWnJVed8YtCytFg4b8sfufYcFatsZwdgzS9sSqPJoQTsg8m-Ad-tiIvrgLzAkWMXAwIW3Ye-u00wJYDMKn4UZRsuZt5KLIMZ3YWBo2872x5YmOzkwYUHECdQQPcIS9Lj_TuFYWSezrY.wvjiJe992dsr-3xZtP6t6w",
  transaction: {
    name: "__Host-ncs.tx.JSYnKCkqKywtLi8w",
    value:
      "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoia2R4TSJ9..lJWWl5iZmpucnZ6f.tLxiSu35RXNm3bqqU-1gkm1gTX3VlkMIDoHkK5R3A1E8XdrvVzcdCAK9dZVEhUx9lA0DMMnZIcbF0uJ6ueWnvUJ_kzQ2FilTcHm-AYYhWOjaGFla4NLTDTYEylmuBjKjmvtWTPQVPXLatVQZRKVwWJcMUdpvrivV4NXz8GPMBJg2_f5_YysWbzD1873JFYgxibdry2B8jLQ-yNlUok6Bd6fMgjpZb0xGlm0FVuGx79-CvcJ1WNzOiyBRptjIKeuxDasTxm4Rnk27.4UAm7zVVmha3uvih1B7nfQ",
  },
  challenge:
    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoia2R4TSJ9..JSYnKCkqKywtLi8w.ynTY7IrTKRJD-QdyzXF6v6E1ceGl74B6UevikMrYo7T-LqNTB9RY7-aW8COcrD8CmFTlGMVTQLNLFK92VTgVzXDhNdZv1F3uTrciZxrEe16nG8Y7ghJdbask_TEukEm8vp6vpV5GDuztt4pxf4Kt5hzAFgraILsLJnLD3ESwYT6HLkQOOh1JJv8fzg.V3GXB0hMHoiw8NwA9DCC4w",
  mfaChallenge:
    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoia2R4TSJ9..JSYnKCkqKywtLi8w.ynTY7IrTKRJD-QdyzXF6v7w1avu2-oxkQOXvgMzao8eHRYRlJoQarP6At2vQuGNFlky0CIcCBf5WU-YnXzgcgSO3OZRr0lX2Tf8vaB6FZF66D8p5n1UCPLAu52Zw3G-26NH_5H1MQLWg9Zg2P8Ow7giXU1rNIYsKO3LP2nCwcD_Mdmonc0wEbNAr3L4hHhnsA2cLMJUN14PtjjaoqUW2b1r-FZZTD_iDgyVPC8BqsPgSU6txcEw0jho3EPus2GvlhcH1R5KlmJiL4MnPow.ofSfYyZ_9mtrrs0gtqOB7g",
  refreshResult:
    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoia2R4TSJ9..JSYnKCkqKywtLi8w.ynXY7I5dKG4K52ufq0k7v4QZQpzPjLgYJIiStfntxN-JNaIkdsBWsLKetyKHr3BdmBv2T9hTGP5TFLJaSSQezXDhN9pr30fpA-dRbhjLcki6UdB_lhlParc59hAYyRmyo4__8ShCHfTjupx4dMP4qSuxCB2eZ7djNCLVzWfmL26bfRNWfRoEd8Es7KUhWQGNA10iQbdM-Kbi0X2ciGKWTWnJVed8YtCytFg4b8sfufYcFatsZwdgzS9sSqPJoQTsg8m-Ad-tiIvrgLzAkWMXAwIW3Ye-u00wJYDMKn4UZRsuZt5KLIMZ3YWBo2872x5YmOzkwYUHECdQQPcIS9Lj_TuFYWSezrY.e37AcVifWZX4mpa66b9wHw",
  identityId:
    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoia2R4TSJ9..JSYnKCkqKywtLi8w.ynfY1ANXKUsU5Et6ySA0sN5KFtjEy-FNNced4Pe_h8idXsYubs5D9KXI9GSQ-TFU3lyiXJJBTg.lPzj0xfTt2kL97bBoLX4qQ",
  awsCredentials:
    "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwia2lkIjoia2R4TSJ9..SktMTU5PUFFSU1RV.h_XKY80qENZHWaWQZu088VMMn3sBowfu905mGZ93UQeMJ_9Wi7jzwC9Uoi5nxjcvx9T_nEqFwIzXwhTCiFzNAqlx8NMTIn2STTj22gQS1yC7fE-E1k_4_wpF_JbMIHJ7cga__gb_VAqNvBObW74kNPulSX3LxpemFOSV8bupHTGBA5hvJR4qtErkPlVkBc0QgJK9s8l6lYhWTg8ROd-kXubtmE_ZzVwjFmoMCU9R5znEiJkwCE-xPJgwwW8.H6qdBBC3CZCjjoS5ofNQzg",
};

describe("golden values: what this release writes, exactly", () => {
  it("a cookie session: the access token as issued, the refresh and ID tokens sealed for purpose session", async () => {
    const { cookies } = cookiesWith();
    const { set } = await cookies.write(new Map(), TOKENS);
    expect(Object.fromEntries(set.map((c) => [c.name, c.value]))).toEqual(GOLDEN.sessionCookies);
    expect(await cookies.read(jarOf(set))).toEqual(TOKENS);
  });

  it("a server-side session: the id cookie (purpose session-id) and the token set in the store (purpose stored-session) under session:<SHA-256 of the id>", async () => {
    const { cookies, store } = cookiesWith({ server: true });
    const { set } = await cookies.write(new Map(), TOKENS, { newSession: true });
    expect(set.map((c) => [c.name, c.value])).toEqual([["__Host-ncs.id", GOLDEN.idCookie]]);
    const opened = await (cookies as StoreSessions).ids.open(GOLDEN.idCookie);
    expect(await store.get(`session:${opened!.key}`)).toBe(GOLDEN.storedSession);
    expect(opened!.key).toBe(await keyOf(opened!.id));
    expect(await cookies.read(jarOf(set))).toEqual(TOKENS);
  });

  it("a hosted-UI sign-in's transaction cookie, named after its state (purpose transaction)", async () => {
    const { transactions } = cookiesWith();
    const { transaction, changes } = await transactions.begin(new Map(), "/dashboard");
    expect(changes.set.map((c) => ({ name: c.name, value: c.value }))).toEqual([GOLDEN.transaction]);
    expect((await transactions.take(jarOf(changes.set), transaction.state)).transaction).toEqual(transaction);
  });

  it("a password sign-in's pending challenge (purpose challenge)", async () => {
    const { transactions } = cookiesWith();
    const changes = await transactions.holdChallenge(CHALLENGE);
    expect(changes.set.map((c) => [c.name, c.value])).toEqual([["__Host-ncs.tx.pw", GOLDEN.challenge]]);
    expect(await transactions.readChallenge(jarOf(changes.set))).toEqual(CHALLENGE);
  });

  it("a pending MFA challenge, with the options offered and where a code went (purpose challenge)", async () => {
    const { transactions } = cookiesWith();
    const changes = await transactions.holdChallenge(MFA_CHALLENGE);
    expect(changes.set.map((c) => [c.name, c.value])).toEqual([["__Host-ncs.tx.pw", GOLDEN.mfaChallenge]]);
    expect(await transactions.readChallenge(jarOf(changes.set))).toEqual(MFA_CHALLENGE);
  });

  it("a refresh result shared through the store under refresh:done:<SHA-256 of the refresh token> (purpose refresh-result)", async () => {
    const { sealer, store } = cookiesWith();
    const shared = new SharedRefresh(store, sealer, 1_000, 10_000, async () => true);
    expect(await shared.refresh("old-refresh-token", async () => TOKENS)).toEqual(TOKENS);
    expect(await store.get(`refresh:done:${await keyOf("old-refresh-token")}`)).toBe(GOLDEN.refreshResult);
    // Another instance holding the same refresh token takes that result instead of redeeming it again.
    const redeem = vi.fn(async () => TOKENS);
    expect(await new SharedRefresh(store, cookiesWith().sealer, 1_000, 10_000, async () => true).refresh("old-refresh-token", redeem)).toEqual(TOKENS);
    expect(redeem).not.toHaveBeenCalled();
  });

  it("identity-pool credentials in a shared store: the identity id (purpose identity-id) and the credentials (purpose credentials) under identity:/aws:<SHA-256 of pool, provider and sub>, and the lock", async () => {
    const { sealer } = cookiesWith();
    const store = new (class extends MemoryStore {
      override readonly shared = true as false;
    })();
    const set = vi.spyOn(store, "set");
    const answers: Record<string, object> = {
      GetId: { IdentityId: "us-east-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" },
      GetCredentialsForIdentity: {
        IdentityId: "us-east-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        Credentials: {
          AccessKeyId: "ASIAGOLDEN0000000000",
          SecretKey: "golden-secret-key-0123456789abcdefghijkl",
          SessionToken: "golden-session-token-0123456789",
          Expiration: NOW / 1000 + 3_600,
        },
      },
    };
    const fetch = (async (_url: unknown, init: RequestInit) =>
      Response.json(answers[new Headers(init.headers).get("x-amz-target")!.split(".")[1]!])) as unknown as typeof globalThis.fetch;
    const api = {
      endpoint: new URL("https://cognito-identity.us-east-1.amazonaws.com/"),
      identityPoolId: "us-east-1:00000000-0000-0000-0000-00000000cafe",
      timeoutMs: 1_000,
      fetch,
    };
    const verifier = { verify: async () => ({ exp: NOW / 1000 + 3_600 }) } as unknown as TokenVerifier;
    const service = new AwsCredentialsService(api, "goldenclient", store, sealer, {} as Refresher, verifier, 30 * 86_400, 1_000);
    const owner = { issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Golden", sub: "u1" };
    const credentials = await service.forUser(owner, { tokens: async () => TOKENS, keep: async () => {} });
    const hash = await keyOf("us-east-1:00000000-0000-0000-0000-00000000cafe\ncognito-idp.us-east-1.amazonaws.com/us-east-1_Golden\ngoldenclient\nu1");
    expect(set.mock.calls.map(([key, value, ttl, only]) => [key, value, ttl, only])).toEqual([
      [`aws:lock:${hash}`, "1", 1_000, "new"],
      [`identity:${hash}`, GOLDEN.identityId, 30 * 86_400_000, undefined],
      [`aws:${hash}`, GOLDEN.awsCredentials, 3_300_000, undefined],
    ]);
    // Another instance of the app reads both back and calls nothing.
    const other = new AwsCredentialsService(
      { ...api, fetch: vi.fn() },
      "goldenclient",
      store,
      cookiesWith().sealer,
      {} as Refresher,
      verifier,
      30 * 86_400,
      1_000,
    );
    expect(await other.forUser(owner, { tokens: async () => TOKENS, keep: async () => {} })).toEqual(credentials);
  });

  it("unsealed store values: the refresh lock, and the denylist's entries for a global sign-out and an ended session", async () => {
    const store = new MemoryStore();
    const set = vi.spyOn(store, "set");
    const announce = vi.spyOn(store, "announce");
    await new SharedRefresh(store, cookiesWith().sealer, 1_000, 10_000, async () => true).refresh("old-refresh-token", async () => TOKENS);
    expect(set.mock.calls[0]!.slice(0, 2)).toEqual([`refresh:lock:${await keyOf("old-refresh-token")}`, "1"]);
    const denylist = new Denylist(store);
    await denylist.signOut("u1", 3_600);
    await denylist.revoke({ origin_jti: "o1" }, 3_600);
    expect(announce.mock.calls.map(([key, value]) => [key, value])).toEqual([
      ["nbf:u1", `${NOW / 1000 + 1}:${NOW / 1000 + 3_601}`],
      ["revoked:o1", `${NOW / 1000 + 3_601}`],
    ]);
  });

  it("each is a JWE (dir, A256GCM) that jose opens, its plaintext starting with format 1, the purpose's code, its expiry and its body kind", async () => {
    const now = NOW / 1000;
    const golden: Array<[string, number, number, number]> = [
      [GOLDEN.sessionCookies["__Host-ncs.s"], 1, TOKENS.endsAt, 1],
      [GOLDEN.storedSession, 2, TOKENS.endsAt, 1],
      [GOLDEN.transaction.value, 3, now + 600, 0],
      [GOLDEN.challenge, 4, now + 900, 0],
      [GOLDEN.refreshResult, 5, now + 10, 1],
      // The id opens for as long as its session lasts.
      [GOLDEN.idCookie, 6, TOKENS.endsAt, 0],
      [GOLDEN.identityId, 7, now + 30 * 86_400, 0],
      [GOLDEN.awsCredentials, 8, now + 3_600, 0],
    ];
    for (const [sealed, purpose, exp, body] of golden) {
      const { plaintext, protectedHeader } = await compactDecrypt(sealed, await key());
      expect(protectedHeader).toEqual({ alg: "dir", enc: "A256GCM", kid: "kdxM" });
      const head = Buffer.from(plaintext.subarray(0, 7));
      expect([head[0], head[1], head.readUInt32BE(2), head[6]]).toEqual([1, purpose, exp, body]);
    }
    // Flags 6 (i and r), e, then the ID token's 3 parts and the refresh token's 5 as bytes.
    const { plaintext } = await compactDecrypt(GOLDEN.sessionCookies["__Host-ncs.s"], await key());
    expect([plaintext[7], Buffer.from(plaintext).readUInt32BE(8), plaintext[12]]).toEqual([6, TOKENS.endsAt, 3]);
  });
});

describe("values the previous release wrote (test/fixtures/previous-format.json), read by this one", () => {
  const fixture = previous.seals;

  it("a cookie session's iron seal reads, and is due to be written again in the current format", async () => {
    const { cookies } = cookiesWith({ secret: previous.secret });
    const jar: CookieJar = new Map([
      ["__Host-ncs.at", ["a.b.c"]],
      ["__Host-ncs.s", [fixture.session.sealed]],
    ]);
    expect(await cookies.read(jar)).toEqual({
      accessToken: "a.b.c",
      refreshToken: fixture.session.value.r,
      idToken: undefined,
      endsAt: fixture.session.value.e,
    });
    expect(await rewrites(cookies, jar)).toBe(true);
  });

  it("a server-side session's id cookie and stored token set read, and are due to be written again", async () => {
    const { cookies, store } = cookiesWith({ secret: previous.secret, server: true });
    const value = fixture["stored-session"].value;
    await store.set(`session:${previous.sessionId.key}`, fixture["stored-session"].sealed, 60_000);
    const jar: CookieJar = new Map([["__Host-ncs.id", [previous.sessionId.sealed]]]);
    expect(await cookies.read(jar)).toEqual({ accessToken: value.a, refreshToken: value.r, idToken: value.i, endsAt: value.e });
    expect(await rewrites(cookies, jar)).toBe(true);
  });

  it("a transaction, a challenge and a refresh result are refused: no value, no error", async () => {
    const { sealer, store, transactions } = cookiesWith({ secret: previous.secret });
    const state = fixture.transaction.value.state;
    const taken = await transactions.take(new Map([[transactions.cookieName(state), [fixture.transaction.sealed]]]), state);
    expect(taken.transaction).toBeUndefined();
    expect(taken.changes.remove.map((c) => c.name)).toEqual([transactions.cookieName(state)]);
    expect(await transactions.readChallenge(new Map([["__Host-ncs.tx.pw", [fixture.challenge.sealed]]]))).toBeUndefined();
    await store.set(`refresh:done:${await keyOf("old-refresh-token")}`, fixture["refresh-result"].sealed, 60_000);
    const redeem = vi.fn(async () => TOKENS);
    // The lock is free and the result unreadable: this instance redeems on its own.
    expect(await new SharedRefresh(store, sealer, 1_000, 10_000, async () => true).refresh("old-refresh-token", redeem)).toEqual(TOKENS);
    expect(redeem).toHaveBeenCalledTimes(1);
  });
});
