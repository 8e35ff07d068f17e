// Sealed values: JWE compact, `dir` + `A256GCM`, bound to a purpose, an expiry and a
// format version, read only in the exact form written. jose is the oracle: it opens what
// the Sealer writes, and the Sealer opens what jose writes with the same key and header.
// Every input below that is not exactly a seal opens as nothing, and nothing throws.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { sealData } from "iron-session";
import { compactDecrypt, CompactEncrypt } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import previous from "./fixtures/previous-format.json" with { type: "json" };
import { Secret } from "../src/config/secret.ts";
import { type Cipher, defaultCipher, webCipher } from "../src/persistence/cipher.ts";
import { decodeEnvelope, encodeEnvelope, PURPOSE_CODES, type TokenSet } from "../src/persistence/envelope.ts";
import { decryptCompact, deriveKeys, encryptCompact, KEY_INFO, KID_INFO, MAX_JWE_LENGTH } from "../src/persistence/jwe.ts";
import { type SealPurpose, SEAL_PURPOSES, Sealer } from "../src/persistence/seal.ts";
import { SessionIds } from "../src/persistence/session-id.ts";

const SECRET = "seal-test-secret-0123456789-abcdefghij";
const OLDER = "seal-test-older-secret-0123456789-abcdef";
const sealer = (...secrets: string[]) => new Sealer((secrets.length ? secrets : [SECRET]).map((s) => new Secret(s)));
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const node = defaultCipher();

/** The key and key id of `secret` as the format defines them (HKDF-SHA256, empty salt), computed apart from the Sealer. */
async function keyOf(secret: string): Promise<{ key: Uint8Array; kid: string }> {
  const ikm = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveBits"]);
  const derive = async (info: string, bits: number) =>
    new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new TextEncoder().encode(info) }, ikm, bits));
  return { key: await derive(KEY_INFO, 256), kid: Buffer.from(await derive(KID_INFO, 24)).toString("base64url") };
}

/** A seal jose writes: `plaintext` under `secret`'s key, with the header the Sealer writes unless one is given. */
async function joseSeal(secret: string, plaintext: Uint8Array, header?: Record<string, unknown>): Promise<string> {
  const { key, kid } = await keyOf(secret);
  return new CompactEncrypt(plaintext).setProtectedHeader((header ?? { alg: "dir", enc: "A256GCM", kid }) as never).encrypt(key);
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** A base64url segment of `bytes` random bytes. */
const segment = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b).toString("base64url"));
/** JWT-shaped (3 parts), JWE-shaped (5 parts, as Cognito's refresh tokens) or any text at all. */
const token = fc.oneof(
  fc.tuple(segment(10, 40), segment(20, 200), segment(0, 64)).map((parts) => parts.join(".")),
  fc.tuple(segment(10, 40), segment(0, 64), segment(12, 12), segment(0, 300), segment(16, 16)).map((parts) => parts.join(".")),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("", ".", "a.b.c", "x+y/z=.AA", "AA==", "\ud800", "a.\udfff"),
);
const tokenSet: fc.Arbitrary<TokenSet> = fc.record({ a: token, i: token, r: token, e: fc.integer({ min: 0, max: 0xffff_ffff }) }, { requiredKeys: ["e"] });
/** Values sealed elsewhere: transactions, challenges, ids, anything JSON holds. */
const jsonValue = fc.oneof(
  fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown),
  fc.record({ r: token }),
  fc.string(),
);

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("jose, the oracle", () => {
  it("property: jose's compactDecrypt opens every seal the Sealer writes, with the header it names and the very plaintext the format defines", async () => {
    const { key, kid } = await keyOf(SECRET);
    const maker = sealer();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEAL_PURPOSES), fc.oneof(tokenSet, jsonValue), fc.integer({ min: 1, max: 10 ** 8 }), async (purpose, value, ttl) => {
        vi.useFakeTimers({ toFake: ["Date"], now: 1_800_000_000_000 });
        const sealed = await maker.seal(purpose, value, ttl);
        const { plaintext, protectedHeader } = await compactDecrypt(sealed, key);
        expect(protectedHeader).toEqual({ alg: "dir", enc: "A256GCM", kid });
        expect(Buffer.from(plaintext)).toEqual(Buffer.from(encodeEnvelope(purpose, 1_800_000_000 + ttl, value, node)));
        vi.useRealTimers();
      }),
      { numRuns: 150 },
    );
  });

  it("property: the Sealer opens what jose's CompactEncrypt writes with the same key and header, as the value sealed", async () => {
    const reader = sealer();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SEAL_PURPOSES), fc.oneof(tokenSet, jsonValue), async (purpose, value) => {
        const jwe = await joseSeal(SECRET, encodeEnvelope(purpose, nowSeconds() + 60, value, node));
        expect(await reader.unseal(purpose, jwe)).toEqual(value);
      }),
      { numRuns: 150 },
    );
  });

  it("opens jose's seal only under the exact header the Sealer writes: another order, or any other parameter (zip, cty, typ), is refused", async () => {
    const { kid } = await keyOf(SECRET);
    const plaintext = encodeEnvelope("session", nowSeconds() + 60, { r: "refresh", e: 1 }, node);
    expect(await sealer().unseal("session", await joseSeal(SECRET, plaintext))).toEqual({ r: "refresh", e: 1 });
    for (const header of [
      { enc: "A256GCM", alg: "dir", kid },
      { alg: "dir", enc: "A256GCM" },
      { alg: "dir", enc: "A256GCM", kid, cty: "JWT" },
      { alg: "dir", enc: "A256GCM", kid, typ: "JWE" },
      { alg: "dir", enc: "A256GCM", kid, zip: "DEF" },
      { alg: "dir", enc: "A256GCM", kid: "AAAA" },
    ]) {
      expect(await sealer().unseal("session", await joseSeal(SECRET, plaintext, header)), JSON.stringify(header)).toBeUndefined();
    }
  });
});

describe("decryptCompact, the JWE layer", () => {
  it("needs five parts: an empty ciphertext is a part, a missing one is not", async () => {
    const keys = await deriveKeys([new Secret(SECRET)], node);
    const empty = await joseSeal(SECRET, new Uint8Array(0));
    expect(empty.split(".")).toHaveLength(5);
    expect((await decryptCompact(keys, empty, node))?.plaintext).toHaveLength(0);
    const [header, , iv, , tag] = empty.split(".");
    expect(await decryptCompact(keys, [header, "", iv, tag].join("."), node)).toBeUndefined();
  });

  it("decodes nothing for a header no key names, and tries only the key its header names", async () => {
    const keys = await deriveKeys([new Secret(SECRET), new Secret(OLDER)], node);
    const decode = vi.fn(node.decode);
    const decrypt = vi.fn(node.decrypt);
    const spy: Cipher = { ...node, decode, decrypt };
    expect(await decryptCompact(keys, await joseSeal("a-secret-no-one-listed-0123456789abcdef", new Uint8Array(8)), spy)).toBeUndefined();
    expect(decode).not.toHaveBeenCalled();
    const opened = await decryptCompact(keys, await joseSeal(OLDER, new Uint8Array(8)), spy);
    expect(opened?.key).toBe(keys[1]);
    expect(decrypt).toHaveBeenCalledTimes(1);
  });

  it.each([
    ["node:crypto", node],
    ["WebCrypto", webCipher],
  ])("resolves, never rejects, on %s for a tag that does not verify and for what is not a string", async (_name, cipher) => {
    const keys = await deriveKeys([new Secret(SECRET)], cipher);
    const sealed = await joseSeal(SECRET, new Uint8Array(8));
    const tampered = `${sealed.slice(0, -2)}${sealed.at(-2) === "A" ? "B" : "A"}${sealed.at(-1)}`;
    await expect(decryptCompact(keys, tampered, cipher)).resolves.toBeUndefined();
    for (const junk of [undefined, null, 42, {}]) await expect(decryptCompact(keys, junk as never, cipher)).resolves.toBeUndefined();
  });
});

describe("the same format on every runtime", () => {
  it("property: node:crypto and WebCrypto decode base64url alike, and only the one spelling Buffer writes for the bytes", () => {
    const alphabet = fc.constantFrom(...`${B64}+/=%~ .\t\n\r\0é€`.split(""), "\u{1F600}", "\ud800", "\u4141", "\u{2312B}");
    // A canonical segment with one character of any kind put in, swapped for, or its last one's unused bits set.
    const nearMiss = fc.tuple(segment(0, 40), fc.nat(), alphabet, fc.constantFrom("insert", "replace", "bits")).map(([text, at, c, how]) => {
      const i = text.length === 0 ? 0 : at % text.length;
      if (how === "insert") return `${text.slice(0, i)}${c}${text.slice(i)}`;
      if (how === "replace") return `${text.slice(0, i)}${c}${text.slice(i + 1)}`;
      return text.length === 0 ? text : text.slice(0, -1) + B64[B64.indexOf(text.at(-1)!) ^ ((at % 15) + 1)]!;
    });
    fc.assert(
      fc.property(fc.oneof(segment(0, 40), nearMiss, fc.string({ unit: alphabet, maxLength: 40 }), fc.string({ maxLength: 20 })), (text) => {
        const canonical = /^[\w-]*$/.test(text) && Buffer.from(text, "base64url").toString("base64url") === text;
        const fromNode = node.decode(text);
        const fromWeb = webCipher.decode(text);
        expect(fromNode !== undefined).toBe(canonical);
        expect(fromWeb !== undefined).toBe(canonical);
        if (canonical) expect(Buffer.from(fromWeb!)).toEqual(Buffer.from(fromNode!));
      }),
      { numRuns: 5_000 },
    );
  });

  it("refuses characters past ASCII whose low byte is a base64 character, which Buffer alone would decode", () => {
    // U+4141's low byte is "A": Buffer reads "䅁䅁䅁䅁" as "AAAA".
    expect(Buffer.from("\u4141".repeat(4), "base64url")).toEqual(Buffer.from("AAAA", "base64url"));
    expect(node.decode("\u4141".repeat(4))).toBeUndefined();
    expect(webCipher.decode("\u4141".repeat(4))).toBeUndefined();
  });

  it("property: what node:crypto seals WebCrypto opens and the other way round, byte for byte the same plaintext", async () => {
    const secrets = [new Secret(SECRET)];
    const [nodeKey] = await deriveKeys(secrets, node);
    const [webKey] = await deriveKeys(secrets, webCipher);
    expect(webKey!.header).toBe(nodeKey!.header);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3_000 }), fc.boolean(), async (plaintext, fromNode) => {
        const [writer, reader]: [Cipher, Cipher] = fromNode ? [node, webCipher] : [webCipher, node];
        const sealed = await encryptCompact(fromNode ? nodeKey! : webKey!, plaintext, writer);
        const opened = await decryptCompact([fromNode ? webKey! : nodeKey!], sealed, reader);
        expect(Buffer.from(opened!.plaintext)).toEqual(Buffer.from(plaintext));
      }),
      { numRuns: 100 },
    );
  });

  it("a Sealer on the Edge runtime (WebCrypto) opens a Node Sealer's seals and writes what it opens", async () => {
    vi.resetModules();
    vi.stubGlobal("EdgeRuntime", "edge-runtime");
    try {
      const edge = await import("../src/persistence/seal.ts");
      const cipher = await import("../src/persistence/cipher.ts");
      const onEdge = new edge.Sealer([new Secret(SECRET)]);
      expect(cipher.defaultCipher().name).toBe("web");
      const value: TokenSet = { r: "a.b.c", i: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", e: 2_000_000_000 };
      expect(await onEdge.unseal("session", await sealer().seal("session", value, 60))).toEqual(value);
      expect(await sealer().unseal("session", await onEdge.seal("session", value, 60))).toEqual(value);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});

describe("a seal opens only for its purpose, before its expiry, in its version, with a listed secret", () => {
  it("opens only as the purpose it was sealed for, for every pair of purposes", async () => {
    for (const made of SEAL_PURPOSES) {
      const sealed = await sealer().seal(made, { made }, 60);
      for (const asked of SEAL_PURPOSES) {
        expect(await sealer().unseal(asked, sealed), `${made} as ${asked}`).toEqual(made === asked ? { made } : undefined);
      }
    }
  });

  it("property: a seal opens until its expiry and never from then on", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 10 ** 7 }), fc.integer({ min: 0, max: 999 }), async (ttl, ms) => {
        const start = 1_800_000_000_000 + ms;
        vi.useFakeTimers({ toFake: ["Date"], now: start });
        const sealed = await sealer().seal("session", { r: "refresh" }, ttl);
        const expiry = (Math.floor(start / 1000) + ttl) * 1000;
        vi.setSystemTime(expiry - 1);
        expect(await sealer().unseal("session", sealed)).toEqual({ r: "refresh" });
        vi.setSystemTime(expiry);
        expect(await sealer().unseal("session", sealed)).toBeUndefined();
        vi.useRealTimers();
      }),
      { numRuns: 40 },
    );
  });

  it("seals with the newest secret, opens with every listed one, and calls only the newest's seals current", async () => {
    const rotated = sealer(SECRET, OLDER);
    const fromOlder = await sealer(OLDER).seal("session", { r: "old" }, 60);
    const fromNewest = await rotated.seal("session", { r: "new" }, 60);
    expect(await rotated.unseal("session", fromOlder)).toEqual({ r: "old" });
    expect(await sealer(SECRET).unseal("session", fromNewest)).toEqual({ r: "new" });
    expect(await rotated.isCurrent(fromNewest)).toBe(true);
    expect(await rotated.isCurrent(fromOlder)).toBe(false);
    // The first chunk of a chunked seal tells as well.
    expect(await rotated.isCurrent(fromNewest.slice(0, 100))).toBe(true);
    expect(await sealer(SECRET).unseal("session", fromOlder)).toBeUndefined();
  });

  it("property: a seal made with any other secret opens as nothing", async () => {
    const reader = sealer(SECRET, OLDER);
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 32, maxLength: 64 }), async (other) => {
        fc.pre(other !== SECRET && other !== OLDER);
        expect(await reader.unseal("session", await sealer(other).seal("session", { r: "x" }, 60))).toBeUndefined();
      }),
      { numRuns: 30 },
    );
  });

  it("names its secret with a kid that is neither the secret nor anything hashed plainly from it", async () => {
    const sealed = await sealer().seal("session", { r: "x" }, 60);
    const header = JSON.parse(Buffer.from(sealed.split(".")[0]!, "base64url").toString());
    const { kid } = await keyOf(SECRET);
    expect(header).toEqual({ alg: "dir", enc: "A256GCM", kid });
    expect(kid).toMatch(/^[\w-]{4}$/);
    for (const digest of ["sha256", "sha1", "md5"]) expect(createHash(digest).update(SECRET).digest("base64url")).not.toContain(kid);
  });

  it("property: an authenticated plaintext opens only when it is format 1, of the asked purpose, not expired, and decodes exactly; never a throw", async () => {
    const reader = sealer();
    const valid = encodeEnvelope("session", nowSeconds() + 60, { r: "a.b.c", i: "eyJ4IjoxfQ.eyJ5IjoyfQ.c2ln", e: 5 }, node);
    const edits = fc.oneof(
      // Any bytes at all.
      fc.uint8Array({ maxLength: 64 }),
      // The valid plaintext with one byte changed: version, purpose, expiry, body kind, a length, a flag...
      fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => valid.map((b, i) => (i === at ? b ^ xor : b))),
      // ...cut short, or with bytes after it.
      fc.nat(valid.length - 1).map((n) => valid.slice(0, n)),
      fc.uint8Array({ minLength: 1, maxLength: 8 }).map((tail) => new Uint8Array([...valid, ...tail])),
    );
    await fc.assert(
      fc.asyncProperty(edits, async (plaintext) => {
        const opened = await reader.unseal("session", await joseSeal(SECRET, plaintext));
        if (opened === undefined) return;
        // What opens is a plaintext that re-encodes to itself: no other bytes stand for a value.
        const exp = Buffer.from(plaintext).readUInt32BE(2);
        expect(plaintext[0]).toBe(1);
        expect(plaintext[1]).toBe(PURPOSE_CODES.session);
        expect(exp).toBeGreaterThan(Date.now() / 1000);
        if (plaintext[6] === 1) expect(Buffer.from(encodeEnvelope("session", exp, opened, node))).toEqual(Buffer.from(plaintext));
      }),
      { numRuns: 400 },
    );
  });

  it("refuses another format version, an unknown purpose code and an unknown body kind", async () => {
    const valid = encodeEnvelope("session", nowSeconds() + 60, { r: "refresh" }, node);
    expect(await sealer().unseal("session", await joseSeal(SECRET, valid))).toEqual({ r: "refresh" });
    for (const [at, byte, label] of [
      [0, 0, "format 0"],
      [0, 2, "format 2"],
      [1, 0, "purpose 0"],
      [1, 7, "an unknown purpose"],
      [6, 2, "an unknown body kind"],
    ] as const) {
      const edited = valid.map((b, i) => (i === at ? byte : b));
      expect(await sealer().unseal("session", await joseSeal(SECRET, edited)), label).toBeUndefined();
    }
  });
});

describe("a token-set body is decoded exactly", () => {
  /** An authenticated format-1 session plaintext with a token-set body holding `r` as `token` (bytes as given). */
  const tokenBody = (token: number[]) => new Uint8Array([1, 1, 0xff, 0xff, 0xff, 0xff, 1, 4, 0, 0, 0, 5, ...token]);
  const opens = async (plaintext: Uint8Array) => sealer().unseal("session", await joseSeal(SECRET, plaintext));

  it("opens a token as written (the control): text, and base64url parts as bytes", async () => {
    expect(await opens(tokenBody([0, 2, 0x68, 0x69]))).toEqual({ r: "hi", e: 5 });
    expect(await opens(tokenBody([2, 1, 0, 1, 0xff]))).toEqual({ r: "AA._w", e: 5 });
  });

  it("refuses more than 8 parts, a length in more than 3 bytes, text that is not UTF-8, an unknown flag", async () => {
    expect(await opens(tokenBody([9, ...Array(9).fill(0)]))).toBeUndefined();
    expect(await opens(tokenBody([1, 0x80, 0x80, 0x80, 0x00]))).toBeUndefined();
    expect(await opens(tokenBody([0, 2, 0xc3, 0x28]))).toBeUndefined();
    const flagged = tokenBody([0, 0]);
    flagged[7] = 4 | 8;
    expect(await opens(flagged)).toBeUndefined();
  });

  it("writes an expiry past 2106 as the last second the format holds, and one already past as past", async () => {
    const later = await sealer().seal("session", { r: "x" }, 2 ** 33);
    expect(await sealer().unseal("session", later)).toEqual({ r: "x" });
    const { plaintext } = await compactDecrypt(later, (await keyOf(SECRET)).key);
    expect(Buffer.from(plaintext).readUInt32BE(2)).toBe(0xffff_ffff);
    expect(await sealer().unseal("session", await sealer().seal("session", { r: "x" }, -(10 ** 10)))).toBeUndefined();
  });

  it("keeps a part too long for a 3-byte length as JSON, exactly", () => {
    const value = { r: "A".repeat(3 * 2 ** 20), e: 1 };
    const plaintext = encodeEnvelope("session", 2, value, node);
    expect(plaintext[6]).toBe(0);
    expect(decodeEnvelope(plaintext, "session", 1, node)?.value).toEqual(value);
  });
});

describe("a seal is read in its one exact form", () => {
  let sealed: string;
  const value: TokenSet = {
    r: "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.c2VjcmV0LWtleQ.aXYtaXYtaXYtaXY.Y2lwaGVydGV4dA.dGFn",
    i: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl",
    e: 2_000_000_000,
  };
  beforeAll(async () => {
    sealed = await sealer().seal("session", value, 3_600);
  });
  const refused = async (text: string): Promise<void> => {
    expect(await sealer().unseal("session", text), JSON.stringify(text.slice(-60))).toBeUndefined();
  };

  it("opens the seal as written (the control)", async () => {
    expect(await sealer().unseal("session", sealed)).toEqual(value);
    expect(sealed.split(".")).toHaveLength(5);
    expect(sealed.split(".")[1]).toBe("");
  });

  it("refuses a seal whose separators are not where the format puts them, though every other character is in place", async () => {
    const at = (i: number, c: string) => `${sealed.slice(0, i)}${c}${sealed.slice(i + 1)}`;
    const header = sealed.indexOf(".");
    // An encrypted key (dir has none), the IV's end, the tag's start: each dot made a base64url character.
    await refused(at(header + 1, "A"));
    await refused(at(header + 2 + 16, "A"));
    await refused(at(sealed.length - 23, "A"));
  });

  it(`refuses a seal longer than ${MAX_JWE_LENGTH} characters, even one this code wrote`, async () => {
    const long = await sealer().seal("session", { r: Buffer.alloc(50_000, 1).toString("hex") }, 60);
    expect(long.length).toBeGreaterThan(MAX_JWE_LENGTH);
    await refused(long);
    const fits = await sealer().seal("session", { r: Buffer.alloc(20_000, 1).toString("hex") }, 60);
    expect(await sealer().unseal("session", fits)).toBeDefined();
  });

  it("property: every proper prefix of a seal opens as nothing (truncated)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(sealed.length - 1), (n) => refused(sealed.slice(0, n))),
      { numRuns: 200 },
    );
  });

  it("property: a seal with anything before or after it opens as nothing (extended)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.boolean(), (extra, after) => refused(after ? `${sealed}${extra}` : `${extra}${sealed}`)),
      { numRuns: 200 },
    );
  });

  it("property: a seal with any one character replaced by any other opens as nothing (altered)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(sealed.length - 1), fc.constantFrom(...`${B64}.=+/ ~é`.split("")), (at, char) => {
        fc.pre(sealed[at] !== char);
        return refused(`${sealed.slice(0, at)}${char}${sealed.slice(at + 1)}`);
      }),
      { numRuns: 400 },
    );
  });

  it("property: another spelling of the same bytes (+ and /, padding, whitespace, unused bits set) opens as nothing, though a lenient decoder reads it alike", async () => {
    const parts = sealed.split(".");
    const spelling = fc.oneof(
      // The last character of the ciphertext or tag with its unused low bits set.
      fc
        .tuple(fc.constantFrom(3, 4), fc.integer({ min: 1, max: 15 }))
        .map(([part, bits]) => {
          const text = parts[part]!;
          const unused = text.length % 4 === 2 ? 4 : text.length % 4 === 3 ? 2 : 0;
          const last = B64.indexOf(text.at(-1)!) | (bits & ((1 << unused) - 1));
          return parts.map((p, i) => (i === part ? text.slice(0, -1) + B64[last] : p)).join(".");
        })
        .filter((variant) => variant !== sealed),
      // `-` as `+`, `_` as `/` (the base64 alphabet), anywhere after the header.
      fc
        .nat(sealed.length - 1)
        .map((at) => {
          const from = Math.max(at, parts[0]!.length + 2);
          const swap = sealed.slice(from).search(/[-_]/);
          const i = from + swap;
          return swap === -1 ? sealed : `${sealed.slice(0, i)}${sealed[i] === "-" ? "+" : "/"}${sealed.slice(i + 1)}`;
        })
        .filter((variant) => variant !== sealed),
      // Padding or whitespace inside a part.
      fc.tuple(fc.integer({ min: 2, max: 4 }), fc.nat(), fc.constantFrom("=", "==", " ", "\t", "\n")).map(([part, at, extra]) => {
        const text = parts[part]!;
        const where = at % (text.length + 1);
        return parts.map((p, i) => (i === part ? `${text.slice(0, where)}${extra}${text.slice(where)}` : p)).join(".");
      }),
    );
    let lenientAliases = 0;
    await fc.assert(
      fc.asyncProperty(spelling, async (variant) => {
        fc.pre(variant !== sealed);
        const lenient = variant.split(".").map((p) => Buffer.from(p, "base64url").toString("base64url"));
        if (lenient.join(".") === sealed) lenientAliases++;
        await refused(variant);
      }),
      { numRuns: 300 },
    );
    // The property is not vacuous: most of these are the same seal to a lenient decoder.
    expect(lenientAliases).toBeGreaterThan(100);
  });

  it("property: any string at all, and any five base64url parts, open as nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ unit: "binary", maxLength: 200 }),
          fc.tuple(segment(0, 60), segment(0, 4), segment(12, 12), segment(0, 200), segment(16, 16)).map((p) => p.join(".")),
          fc.tuple(segment(0, 200), segment(12, 12), segment(16, 16)).map(([ct, iv, tag]) => `${sealed.split(".")[0]}..${iv}.${ct}.${tag}`),
        ),
        refused,
      ),
      { numRuns: 300 },
    );
  });

  it(`refuses huge input (over ${MAX_JWE_LENGTH} characters) without decoding it, and never throws on what is not a string`, async () => {
    await refused(`${sealed.split(".")[0]}..${"A".repeat(16)}.${"A".repeat(MAX_JWE_LENGTH)}.${"A".repeat(21)}A`);
    await refused("A".repeat(4 * 1024 * 1024));
    await refused(`${sealed}${".".repeat(MAX_JWE_LENGTH)}`);
    for (const junk of [undefined, null, 42, {}, [sealed]]) expect(await sealer().unseal("session", junk as never)).toBeUndefined();
  });
});

describe("token sets are sealed as bytes, in no more characters than they take", () => {
  it("property: any token set round-trips exactly, each token as bytes when it is base64url parts and as text otherwise", async () => {
    const maker = sealer();
    await fc.assert(
      fc.asyncProperty(tokenSet, async (tokens) => {
        const sealed = await maker.seal("session", tokens, 60);
        expect(await maker.unseal("session", sealed)).toEqual(tokens);
        const plaintext = encodeEnvelope("session", 1, tokens, node);
        expect(decodeEnvelope(plaintext, "session", 0, node)?.value).toEqual(tokens);
      }),
      { numRuns: 300 },
    );
  });

  it("a standard token set (a 1.1 KB ID token, a 1.8 KB refresh token) seals in its own length plus under 150 characters, not 4/3 of it", async () => {
    const b64 = (n: number) => Buffer.alloc(n, 7).toString("base64url");
    const tokens = { i: [b64(90), b64(580), b64(256)].join("."), r: [b64(45), b64(256), b64(12), b64(1000), b64(16)].join("."), e: 2_000_000_000 };
    const sealed = await sealer().seal("session", tokens, 60);
    const text = tokens.i.length + tokens.r.length;
    // Bytes are 3/4 of the characters, and the seal's base64url 4/3 of the bytes.
    expect(sealed.length).toBeLessThan(text + 150);
    // Sealed as JSON text, the tokens would take 4/3 of their characters.
    const asText = await sealer().seal("session", { ...tokens, note: "not a token set" }, 60);
    expect(asText.length).toBeGreaterThan((text * 4) / 3);
  });

  it("keeps a token with a non-canonical part, a lone surrogate, or a value beside the tokens exactly, as text or JSON", async () => {
    for (const value of [
      { r: "AB.CD+/.EF", e: 1 },
      { r: "x.y.z=", e: 1 },
      { i: "\ud800.AA", e: 1 },
      { r: "AA", e: 1, extra: true },
      { r: "AA", e: -1 },
      { r: "AA", e: 1.5 },
      { r: "AA", e: 2 ** 32 },
      { r: "AA" },
      ["AA", 1],
    ]) {
      expect(await sealer().unseal("session", await sealer().seal("session", value, 60)), JSON.stringify(value)).toEqual(value);
    }
  });
});

describe("values that say otherwise to JSON", () => {
  it("are sealed as JSON reads them: an object with toJSON is never taken for a token set", async () => {
    class Tokens {
      e = 1;
      r = "AA";
      toJSON() {
        return { r: "BB" };
      }
    }
    expect(await sealer().unseal("session", await sealer().seal("session", new Tokens(), 60))).toEqual({ r: "BB" });
  });
});

describe("seals of the previous release (iron, Fe26.2)", () => {
  /** Spellings of a previous seal that iron alone would open as the same seal, or that differ only outside its MAC. */
  const variants = (seal: string) => [`${seal}~2`, `${seal}~`, `${seal}=`, ` ${seal}`, `${seal}*`, seal.toUpperCase(), seal.replace(/\*(\d+)\*/, "*0$1*")];

  it("open for a session or a stored session, never as current, and are refused for every other purpose", async () => {
    const reader = sealer(previous.secret);
    for (const purpose of SEAL_PURPOSES) {
      const fixture = previous.seals[purpose as keyof typeof previous.seals];
      if (!fixture) continue;
      const readable = purpose === "session" || purpose === "stored-session";
      expect(await reader.unseal(purpose, fixture.sealed), purpose).toEqual(readable ? fixture.value : undefined);
      expect(await reader.isCurrent(fixture.sealed)).toBe(false);
      for (const other of SEAL_PURPOSES) if (other !== purpose) expect(await reader.unseal(other, fixture.sealed), `${purpose} as ${other}`).toBeUndefined();
    }
  });

  it("open only in the exact form written, only with a listed secret, only before the envelope's expiry", async () => {
    const { sealed } = previous.seals.session;
    for (const variant of variants(sealed)) expect(await sealer(previous.secret).unseal("session", variant), variant.slice(-20)).toBeUndefined();
    expect(await sealer(SECRET).unseal("session", sealed)).toBeUndefined();
    expect(await sealer(SECRET, previous.secret).unseal("session", sealed)).toEqual(previous.seals.session.value);
    // Another envelope format under the same password: refused.
    const id = sealed.split("*")[1]!;
    const later = await sealData({ f: 2, p: "session", exp: 4_102_444_800, v: { r: "x" } }, { password: { [id]: previous.secret }, ttl: 60 });
    expect(await sealer(previous.secret).unseal("session", later.slice(0, later.indexOf("~")))).toBeUndefined();
    const same = await sealData({ f: 1, p: "session", exp: 4_102_444_800, v: { r: "x" } }, { password: { [id]: previous.secret }, ttl: 60 });
    expect(await sealer(previous.secret).unseal("session", same.slice(0, same.indexOf("~")))).toEqual({ r: "x" });
    vi.useFakeTimers({ toFake: ["Date"], now: 4_102_444_800_000 });
    expect(await sealer(previous.secret).unseal("session", sealed)).toBeUndefined();
  });
});

describe("the Sealer keeps nothing", () => {
  it("is a function of its secrets and input: no cache, no synchronous twin", () => {
    const instance = sealer() as unknown as Record<string, unknown>;
    expect(Object.getOwnPropertyNames(Object.getPrototypeOf(instance)).sort()).toEqual(["constructor", "isCurrent", "seal", "unseal"]);
  });

  it.each(SEAL_PURPOSES)("two Sealers of the same secrets open each other's %s seals", async (purpose: SealPurpose) => {
    expect(await sealer().unseal(purpose, await sealer().seal(purpose, { v: purpose }, 60))).toEqual({ v: purpose });
  });
});

describe("server-side session id cookies", () => {
  const ids = (...secrets: string[]) => new SessionIds((secrets.length ? secrets : [SECRET]).map((s) => new Secret(s)));

  it("seal a random id as a session-id seal of about 140 characters, opened with its store key, current", async () => {
    const { sealed, opened } = await ids().create();
    expect(sealed.length).toBeLessThan(150);
    expect(opened.id).toMatch(/^[\w-]{22}$/);
    expect(await ids().open(sealed)).toEqual(opened);
    expect(await sealer().unseal("session-id", sealed)).toBe(opened.id);
    expect(await sealer().unseal("session", sealed)).toBeUndefined();
  });

  it("open after rotation as not current, and not at all once the secret is dropped", async () => {
    const { sealed, opened } = await ids(OLDER).create();
    expect(await ids(SECRET, OLDER).open(sealed)).toEqual({ ...opened, current: false });
    expect(await ids(SECRET).open(sealed)).toBeUndefined();
  });

  it("refuse a session-id seal that holds anything but an id, and any other purpose's seal", async () => {
    for (const held of ["", "short", "A".repeat(23), `${"A".repeat(21)}B`, "A+AAAAAAAAAAAAAAAAAAAA", 42, { id: "x" }]) {
      expect(await ids().open(await sealer().seal("session-id", held, 60)), JSON.stringify(held)).toBeUndefined();
    }
    const { opened } = await ids().create();
    expect(await ids().open(await sealer().seal("session", opened.id, 60))).toBeUndefined();
  });

  it("never throws on what is not a string", async () => {
    for (const junk of [undefined, null, 42, {}]) expect(await ids().open(junk as never)).toBeUndefined();
  });

  it("property: an id cookie with any one character replaced, cut or extended opens as nothing", async () => {
    const { sealed } = await ids().create();
    const reader = ids();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .tuple(fc.nat(sealed.length - 1), fc.constantFrom(...`${B64}.=+/ `.split("")))
            .map(([at, c]) => `${sealed.slice(0, at)}${c}${sealed.slice(at + 1)}`),
          fc.nat(sealed.length - 1).map((n) => sealed.slice(0, n)),
          fc.string({ minLength: 1, maxLength: 10 }).map((tail) => `${sealed}${tail}`),
          segment(44, 44),
        ),
        async (variant) => {
          fc.pre(variant !== sealed);
          expect(await reader.open(variant)).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  });

  it("open an id of the previous release as not current, in its exact spelling only", async () => {
    const { id, key, sealed } = previous.sessionId;
    expect(await ids(previous.secret).open(sealed)).toEqual({ id, key, current: false });
    expect(await ids(SECRET).open(sealed)).toBeUndefined();
    // 44 bytes are 59 characters: the last one carries 2 unused bits, which atob ignores.
    for (const flip of [1, 2, 3]) {
      const twin = sealed.slice(0, -1) + B64[B64.indexOf(sealed.at(-1)!) ^ flip];
      expect(atob(twin.replace(/-/g, "+").replace(/_/g, "/"))).toBe(atob(sealed.replace(/-/g, "+").replace(/_/g, "/")));
      expect(await ids(previous.secret).open(twin)).toBeUndefined();
    }
  });
});
