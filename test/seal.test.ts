// Seals are bound to their purpose and read only in the one form they are written in:
// iron ignores what follows a `~` and decodes base64 leniently, so without that one seal
// would open as endless distinct strings, each a cache entry of its own.
import fc from "fast-check";
import { sealData, unsealData } from "iron-session";
import { describe, expect, it } from "vitest";
import { Secret } from "../src/config/secret.ts";
import { isCanonicalSeal, type SealPurpose, SEAL_PURPOSES, Sealer } from "../src/persistence/seal.ts";
import { SessionIds } from "../src/persistence/session-id.ts";

const SECRET = "seal-test-secret-0123456789-abcdefghij";
const sealer = () => new Sealer([new Secret(SECRET)]);
/** What is read again and again, so kept opened; what anyone's requests carry is not. */
const CACHED_PURPOSES: readonly SealPurpose[] = ["session", "stored-session", "refresh-result"];
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A seal's eight `*`-separated parts. */
const partsOf = (sealed: string) => sealed.split("*");

/** The same characters with the last one swapped for a twin that decodes to the same bytes (its unused low bits set). */
function twin(b64: string, bits: number, flip: number): string {
  const last = B64.indexOf(b64.at(-1)!);
  return b64.slice(0, -1) + B64[last ^ (flip & ((1 << bits) - 1) || 1)];
}

/** Spellings of `sealed` that iron opens as the same seal, or that differ from it only outside the MAC. */
function variants(sealed: string): string[] {
  const parts = partsOf(sealed);
  const withPart = (index: number, value: string) => parts.map((p, i) => (i === index ? value : p)).join("*");
  return [
    `${sealed}~2`,
    `${sealed}~`,
    `${sealed}~anything at all`,
    `${sealed}=`,
    ` ${sealed}`,
    `${sealed}\t`,
    ...[1, 2, 3].map((flip) => withPart(7, twin(parts[7]!, 2, flip))),
    withPart(7, `${parts[7]!.slice(0, 20)} ${parts[7]!.slice(20)}`),
    withPart(7, `${parts[7]!}=`),
    ...[1, 2, 3].map((flip) => withPart(3, twin(parts[3]!, 4, flip))),
    withPart(6, parts[6]!.toUpperCase()),
    withPart(2, parts[2]!.toUpperCase()),
    withPart(1, `0${parts[1]}`),
    `${sealed}*`,
    // The encrypted data's last character, when its length leaves unused bits.
    ...(parts[4]!.length % 4 === 0 ? [] : [withPart(4, twin(parts[4]!, parts[4]!.length % 4 === 2 ? 4 : 2, 1))]),
  ];
}

/** A seal made directly with iron-session and the Sealer's own password, holding `envelope` as given. */
async function forge(like: string, envelope: unknown): Promise<string> {
  const id = Number(partsOf(like)[1]);
  const marked = await sealData(envelope as object, { password: { [id]: SECRET }, ttl: 60 });
  return marked.slice(0, marked.indexOf("~"));
}

describe("a seal is bound to its purpose", () => {
  it("opens only as the purpose it was sealed for, for every pair of purposes, opened cold or warm", async () => {
    for (const made of SEAL_PURPOSES) {
      const maker = sealer();
      const sealed = await maker.seal(made, { made }, 60);
      for (const asked of SEAL_PURPOSES) {
        const expected = made === asked ? { made } : undefined;
        // Warm: the maker may hold it opened. Cold: a fresh instance decrypts it.
        expect(await maker.unseal(asked, sealed), `${made} as ${asked}, warm`).toEqual(expected);
        expect(await sealer().unseal(asked, sealed), `${made} as ${asked}, cold`).toEqual(expected);
        expect(maker.peek(asked, sealed)?.v, `${made} peeked as ${asked}`).toEqual(made === asked && CACHED_PURPOSES.includes(made) ? { made } : undefined);
      }
    }
  });

  it("refuses a seal of another envelope format: the one before purposes, none, a later one, a malformed one", async () => {
    const reference = await sealer().seal("session", {}, 60);
    const exp = Math.floor(Date.now() / 1000) + 60;
    // The control: an envelope of the current format made the same way opens.
    expect(await sealer().unseal("session", await forge(reference, { f: 1, p: "session", exp, v: { ok: 1 } }))).toEqual({ ok: 1 });
    const refused: Array<[string, unknown]> = [
      ["before purposes (sessions sealed then end once)", { v: { ok: 1 }, exp }],
      ["no format", { p: "session", exp, v: { ok: 1 } }],
      ["a later format", { f: 2, p: "session", exp, v: { ok: 1 } }],
      ["the format as text", { f: "1", p: "session", exp, v: { ok: 1 } }],
      ["no purpose", { f: 1, exp, v: { ok: 1 } }],
      ["an unknown purpose", { f: 1, p: "admin", exp, v: { ok: 1 } }],
      ["no expiry", { f: 1, p: "session", v: { ok: 1 } }],
      ["an expiry as text", { f: 1, p: "session", exp: String(exp), v: { ok: 1 } }],
      ["no value", { f: 1, p: "session", exp }],
    ];
    for (const [label, envelope] of refused) {
      const reader = sealer();
      expect(await reader.unseal("session", await forge(reference, envelope)), label).toBeUndefined();
      expect(reader.cachedSeals, label).toBe(0);
    }
  });
});

describe("a seal is read in its one canonical form", () => {
  it("writes canonical seals, without iron-session's `~2` marker", async () => {
    const maker = sealer();
    for (const purpose of SEAL_PURPOSES) {
      for (const size of [0, 1, 2, 3, 100, 3_000]) {
        const sealed = await maker.seal(purpose, "x".repeat(size), 60);
        expect(sealed).not.toContain("~");
        expect(isCanonicalSeal(sealed), `${purpose}, ${size}`).toBe(true);
      }
    }
  });

  it("refuses trailing data, iron-session's marker and every other spelling, and caches none of them", async () => {
    const maker = sealer();
    const sealed = await maker.seal("session", { r: "refresh" }, 60);
    const reader = sealer();
    expect(await reader.unseal("session", sealed)).toEqual({ r: "refresh" });
    expect(reader.cachedSeals).toBe(1);
    let aliases = 0;
    for (const variant of variants(sealed)) {
      expect(variant).not.toBe(sealed);
      // What iron alone makes of it: most of these are the very same seal to it.
      const opened = (await unsealData<{ v?: unknown }>(variant, { password: { [Number(partsOf(sealed)[1])]: SECRET }, ttl: 0 })).v;
      if (opened !== undefined) aliases++;
      expect(isCanonicalSeal(variant), JSON.stringify(variant.slice(-50))).toBe(false);
      expect(await reader.unseal("session", variant), JSON.stringify(variant.slice(-50))).toBeUndefined();
      expect(reader.peek("session", variant)).toBeUndefined();
    }
    expect(aliases).toBeGreaterThanOrEqual(8);
    expect(reader.cachedSeals).toBe(1);
  });

  it("property: N distinct spellings of one seal grow the cache by 0 entries, and none of them opens", async () => {
    const maker = sealer();
    const purpose: SealPurpose = "session";
    const sealed = await maker.seal(purpose, { r: "refresh" }, 60);
    const reader = sealer();
    await reader.unseal(purpose, sealed);
    const parts = partsOf(sealed);
    const spelling = fc.oneof(
      // Anything after iron-session's marker, or after the seal itself.
      fc.string({ maxLength: 40 }).map((tail) => `${sealed}~${tail}`),
      fc.string({ minLength: 1, maxLength: 40 }).map((tail) => `${sealed}${tail}`),
      fc.string({ minLength: 1, maxLength: 5 }).map((head) => `${head}${sealed}`),
      // The MAC's last character for a twin, with whitespace or padding added anywhere in it.
      fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(42), fc.constantFrom("", " ", "\t", "=", "\n")).map(([flip, at, extra]) => {
        const mac = flip === 0 ? parts[7]! : twin(parts[7]!, 2, flip);
        return [...parts.slice(0, 7), `${mac.slice(0, at)}${extra}${mac.slice(at)}`].join("*");
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(spelling, { minLength: 1, maxLength: 30 }), async (spellings) => {
        for (const variant of spellings) {
          if (variant === sealed) continue;
          expect(await reader.unseal(purpose, variant)).toBeUndefined();
        }
        expect(reader.cachedSeals).toBe(1);
      }),
      { numRuns: 60 },
    );
  });

  it("keeps the opened seals within its byte budget, the newest always at hand", async () => {
    const reader = new Sealer([new Secret(SECRET)], { cacheBytes: 100_000 });
    const maker = sealer();
    for (let i = 0; i < 30; i++) {
      const sealed = await maker.seal("session", { r: `${i}`.repeat(6_000) }, 60);
      expect(await reader.unseal("session", sealed)).toBeDefined();
      expect(reader.peek("session", sealed)).toBeDefined();
    }
    // Each weighs its 8 KB seal twice (the string, what it holds): a handful fit, not thirty.
    expect(reader.cachedSeals).toBeGreaterThan(2);
    expect(reader.cachedSeals).toBeLessThan(8);
  });

  it("caches only the purposes read on every request, and never a seal refused for its purpose", async () => {
    const maker = sealer();
    const transaction = await maker.seal("transaction", { state: "s" }, 60);
    expect(maker.cachedSeals).toBe(0);
    const reader = sealer();
    expect(await reader.unseal("session", transaction)).toBeUndefined();
    expect(await reader.unseal("transaction", transaction)).toEqual({ state: "s" });
    expect(reader.cachedSeals).toBe(0);
    const session = await maker.seal("session", { r: "r" }, 60);
    expect(maker.cachedSeals).toBe(1);
    expect(await reader.unseal("stored-session", session)).toBeUndefined();
    expect(reader.cachedSeals).toBe(0);
    expect(await reader.unseal("session", session)).toEqual({ r: "r" });
    expect(reader.cachedSeals).toBe(1);
  });
});

describe("a server-side session id cookie is read in its one canonical form", () => {
  it("refuses another base64 spelling of the same bytes, which atob would decode alike", async () => {
    const ids = new SessionIds([new Secret(SECRET)]);
    const { sealed, opened } = await ids.create();
    expect(await ids.open(sealed)).toEqual(opened);
    // 44 bytes are 59 characters: the last one carries 2 unused bits.
    expect(sealed).toHaveLength(59);
    for (const flip of [1, 2, 3]) {
      const spelling = twin(sealed, 2, flip);
      expect(atob(spelling.replace(/-/g, "+").replace(/_/g, "/"))).toBe(atob(sealed.replace(/-/g, "+").replace(/_/g, "/")));
      expect(await ids.open(spelling)).toBeUndefined();
    }
  });
});
