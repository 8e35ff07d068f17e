// The JWS parser and verifier held against jose's jwtVerify as an oracle, on both runtimes
// (node:crypto and WebCrypto), over generated tokens: Cognito-shaped tokens signed with a
// test key, then altered in their header, claims, encoding, signature and structure, signed
// again or not. Invariant: our verifier accepts a token only if jose, given the same keys,
// algorithm, issuer, audience, clock and tolerance, accepts it, and then with the same
// claims. Where jose accepts and ours refuses, the token breaks one of the rules listed in
// `stricterRules` (Cognito's shape, DESIGN.md §2), and ours names that rule's error code;
// each rule has a listed example below the property.
import { sign as rsaSign } from "node:crypto";
import fc from "fast-check";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isCode } from "../src/lib/errors.ts";
import { generateTestKey, type TestKey } from "../src/testing/issuer.ts";
import type { TokenUse } from "../src/verify/claims.ts";
import { JwksCache } from "../src/verify/jwks.ts";
import { MAX_TOKEN_LENGTH } from "../src/verify/jwt.ts";
import type { Runtime } from "../src/verify/runtime.ts";
import { TokenVerifier } from "../src/verify/verifier.ts";
import { RUNTIMES } from "./helpers/verify.ts";

const NOW = 1_750_000_000;
const TOLERANCE = 5;
const ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Oracle1";
const CLIENT = "oracleclient";
/** Runs per runtime; each signs one or two tokens with RSA-2048. */
const RUNS = Number(process.env.ORACLE_RUNS ?? 400);

const key = generateTestKey("test-kid");
const other = generateTestKey("other-kid");
/** Not in the JWKS, though it claims the same kid. */
const stranger = generateTestKey("test-kid");
const KEYS = [key.publicJwk, other.publicJwk];

beforeAll(() => {
  // Both verifiers read one fixed clock; jose is also given it as currentDate.
  vi.useFakeTimers({ toFake: ["Date"], now: NOW * 1000 });
});
afterAll(() => {
  vi.useRealTimers();
});

const b64 = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64url");
const signed = (input: string, signer: TestKey) => `${input}.${b64(rsaSign("sha256", Buffer.from(input, "utf8"), signer.privateKey))}`;

function ourVerifier(runtime: Runtime): TokenVerifier {
  const jwks = new JwksCache("http://127.0.0.1/jwks.json", { runtime, fetch: async () => Response.json({ keys: KEYS }) });
  return new TokenVerifier({ pools: [{ issuer: ISSUER, clientIds: [CLIENT], jwks }], clockTolerance: TOLERANCE, runtime });
}

const joseKeys = createLocalJWKSet({ keys: KEYS as never });
function joseVerify(token: string, use: TokenUse) {
  return jwtVerify(token, joseKeys, {
    algorithms: ["RS256"],
    issuer: ISSUER,
    ...(use === "id" ? { audience: CLIENT } : {}),
    clockTolerance: TOLERANCE,
    currentDate: new Date(NOW * 1000),
  });
}

type Outcome = { ok: true; claims: unknown } | { ok: false; error: unknown };
const outcome = (promise: Promise<unknown>): Promise<Outcome> =>
  promise.then(
    (claims) => ({ ok: true, claims }),
    (error: unknown) => ({ ok: false, error }),
  );

// ---------------------------------------------------------------------------------------
// What ours checks beyond jose's defaults, each with the code ours refuses it with.

const KEY_CARRYING = ["jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256"];
const UNSAFE = new Set(["__proto__", "constructor", "prototype"]);

/** Nesting depth of a JSON value: the top object is 0, each object or array inside one more. */
function depth(value: unknown): number {
  if (value === null || typeof value !== "object") return -1;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depth(child) + 1);
  return deepest;
}

function hasUnsafeKey(value: unknown): boolean {
  if (value === null || typeof value !== "object") return false;
  return Object.keys(value).some((k) => UNSAFE.has(k)) || Object.values(value).some(hasUnsafeKey);
}

const finiteNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v);

/**
 * The rules of ours that `token` (which jose accepted) breaks. Cognito issues none of these
 * shapes: its tokens always carry a string kid and no key source, `crit` or deep nesting;
 * numeric times; a string `sub`, `token_use`, and `client_id` / a string `aud`.
 */
function stricterRules(token: string, use: TokenUse): Array<{ code: string; rule: string }> {
  const rules: Array<{ code: string; rule: string }> = [];
  const add = (code: string, rule: string) => rules.push({ code, rule });
  if (token.length > MAX_TOKEN_LENGTH) add("ERR_TOKEN_MALFORMED", "longer than 32 KB");
  // RFC 7515 §7.1 has no blanks or padding in a compact JWS; jose's decoder (atob) skips them.
  if (!/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)) add("ERR_TOKEN_MALFORMED", "blanks or padding around or in a segment");
  const [header, payload] = token
    .split(".")
    .slice(0, 2)
    .map((segment) => JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(segment.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))))) as [
    Record<string, unknown>,
    Record<string, unknown>,
  ];
  if (depth(header) > 16 || depth(payload) > 16) add("ERR_TOKEN_MALFORMED", "nested deeper than 16 levels");
  if (hasUnsafeKey(header) || hasUnsafeKey(payload)) add("ERR_TOKEN_MALFORMED", "a __proto__, constructor or prototype key");
  if (typeof header.kid !== "string" || header.kid === "") add("ERR_TOKEN_SIGNATURE", "no string kid");
  for (const name of KEY_CARRYING) if (name in header) add("ERR_TOKEN_SIGNATURE", `a ${name} header`);
  if ("crit" in header) add("ERR_TOKEN_SIGNATURE", "a crit header (no extension is understood)");
  for (const claim of ["exp", "iat", "nbf", "auth_time"]) {
    if (payload[claim] !== undefined && !finiteNumber(payload[claim])) add("ERR_TOKEN_CLAIM", `${claim} not a finite number`);
  }
  for (const claim of ["sub", "iss", "jti", "username", "cognito:username", "scope", "client_id"]) {
    if (payload[claim] !== undefined && typeof payload[claim] !== "string") add("ERR_TOKEN_CLAIM", `${claim} not a string`);
  }
  if (payload.token_use !== use) add("ERR_TOKEN_CLAIM", "token_use of another slot");
  if (typeof payload.sub !== "string" || payload.sub === "") add("ERR_TOKEN_CLAIM", "no sub");
  if (payload.exp === undefined) add("ERR_TOKEN_CLAIM", "no exp");
  if (payload.iat === undefined) add("ERR_TOKEN_CLAIM", "no iat");
  if (typeof payload.iat === "number" && payload.iat > NOW + TOLERANCE) add("ERR_TOKEN_CLAIM", "iat in the future");
  const audience = use === "access" ? payload.client_id : payload.aud;
  if (audience !== CLIENT) add("ERR_TOKEN_CLAIM", use === "access" ? "client_id of another client" : "aud not the client's id as a string");
  const groups = payload["cognito:groups"];
  if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === "string"))) {
    add("ERR_TOKEN_CLAIM", "cognito:groups not an array of strings");
  }
  return rules;
}

// ---------------------------------------------------------------------------------------
// Generated tokens.

/** A JSON value as raw text, so numbers JSON.stringify cannot write (1e400) can be sent. */
const rawJson = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v));
const rawTime = fc.oneof(
  fc.integer({ min: -5_000, max: 5_000 }).map((d) => String(NOW + d)),
  // The edges of the tolerance, where a comparison off by one would show.
  {
    weight: 3,
    arbitrary: fc.constantFrom(-TOLERANCE - 1, -TOLERANCE, -TOLERANCE + 1, 0, TOLERANCE - 1, TOLERANCE, TOLERANCE + 1).map((d) => String(NOW + d)),
  },
  fc.constantFrom(
    "1e400",
    "-1e400",
    "1e308",
    "0",
    "-0",
    `${NOW - TOLERANCE}.5`,
    `${NOW + TOLERANCE}.5`,
    `"${NOW + 60}"`,
    "null",
    "true",
    `[${NOW + 60}]`,
    "{}",
  ),
);
/** Values worth trying per claim, beside any JSON. */
const CLAIM_VALUES: Record<string, fc.Arbitrary<string>> = {
  iss: fc.constantFrom(ISSUER, `${ISSUER}/`, ISSUER.toUpperCase(), "https://evil.example/eu-west-1_Oracle1").map((v) => JSON.stringify(v)),
  sub: fc.constantFrom("user-2", "", " ").map((v) => JSON.stringify(v)),
  token_use: fc.constantFrom("access", "id", "ID", "refresh", "").map((v) => JSON.stringify(v)),
  client_id: fc.constantFrom(CLIENT, `${CLIENT} `, "otherclient", [CLIENT]).map((v) => JSON.stringify(v)),
  aud: fc.constantFrom(CLIENT, [CLIENT], [CLIENT, "otherclient"], ["otherclient"], "otherclient", "").map((v) => JSON.stringify(v)),
  exp: rawTime,
  iat: rawTime,
  nbf: rawTime,
  auth_time: rawTime,
  "cognito:groups": fc.constantFrom(["admins"], [], "admins", [1], [["admins"]], [null]).map((v) => JSON.stringify(v)),
};
const TIMES = new Set(["exp", "iat", "nbf", "auth_time"]);
const valueFor = (name: string) => (Object.hasOwn(CLAIM_VALUES, name) ? fc.oneof(CLAIM_VALUES[name]!, rawJson) : rawJson);

type Entry = [key: string, raw: string];

/** `entries` with each kept (mostly), dropped, given another value, or given twice (JSON.parse keeps the last). */
function mutateEntries(entries: Entry[]): fc.Arbitrary<Entry[]> {
  return fc
    .tuple(
      ...entries.map(([name, raw]) =>
        fc.oneof(
          // Times are where the edge cases are: changed more often.
          { weight: TIMES.has(name) ? 16 : 80, arbitrary: fc.constant<Entry[]>([[name, raw]]) },
          { weight: 1, arbitrary: fc.constant<Entry[]>([]) },
          { weight: 2, arbitrary: valueFor(name).map((v): Entry[] => [[name, v]]) },
          {
            weight: 1,
            arbitrary: valueFor(name).map((v): Entry[] => [
              [name, v],
              [name, raw],
            ]),
          },
          {
            weight: 1,
            arbitrary: valueFor(name).map((v): Entry[] => [
              [name, raw],
              [name, v],
            ]),
          },
        ),
      ),
    )
    .map((lists) => lists.flat());
}

const objectText = (entries: Entry[]) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`;

const extraName = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "nbf",
    "nbf",
    "auth_time",
    "cognito:groups",
    "jti",
    "username",
    "cognito:username",
    "scope",
    "aud",
    "client_id",
  ),
);
const extraClaims = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Entry[]>([]) },
  {
    weight: 1,
    arbitrary: fc.array(
      extraName.chain((name) => valueFor(name).map((raw): Entry => [name, raw])),
      { minLength: 1, maxLength: 3 },
    ),
  },
);
/** Arrays or objects nested around the 16-level limit. */
const nested = fc
  .tuple(fc.integer({ min: 14, max: 18 }), fc.boolean())
  .map(([levels, arrays]): Entry => ["deep", arrays ? `${"[".repeat(levels)}${"]".repeat(levels)}` : `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`]);
/** A claim that brings the token close to the 32 KB cap, on either side of it. */
const bulky = fc.integer({ min: 23_000, max: 24_700 }).map((length): Entry => ["custom:bulk", JSON.stringify("x".repeat(length))]);

function baseClaims(shape: TokenUse): Entry[] {
  const common: Entry[] = [
    ["iss", JSON.stringify(ISSUER)],
    ["sub", JSON.stringify("user-1")],
    ["iat", String(NOW - 10)],
    ["nbf", String(NOW - 10)],
    ["exp", String(NOW + 3_600)],
    ["auth_time", String(NOW - 10)],
    ["jti", JSON.stringify("jti-1")],
    ["cognito:groups", JSON.stringify(["staff"])],
  ];
  return shape === "access"
    ? [...common, ["token_use", '"access"'], ["client_id", JSON.stringify(CLIENT)], ["username", '"user-1"'], ["scope", '"openid email"']]
    : [...common, ["token_use", '"id"'], ["aud", JSON.stringify(CLIENT)], ["cognito:username", '"user-1"'], ["email", '"u@example.com"']];
}

const headerEntries: fc.Arbitrary<Entry[]> = fc
  .tuple(
    fc.oneof(
      { weight: 40, arbitrary: fc.constant('"RS256"') },
      { weight: 2, arbitrary: fc.constantFrom('"rs256"', '"HS256"', '"none"', '"RS384"', '"PS256"', '"ES256"', '""', "1", "null") },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    fc.oneof(
      { weight: 40, arbitrary: fc.constant('"test-kid"') },
      { weight: 3, arbitrary: fc.constantFrom('"other-kid"', '"unknown"', '""', "42", "null", '["test-kid"]', JSON.stringify("k".repeat(300)), '"TEST-KID"') },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    fc.oneof(
      { weight: 6, arbitrary: fc.constant([]) },
      {
        weight: 1,
        arbitrary: fc.array(
          fc.oneof(
            fc.tuple(fc.constantFrom(...KEY_CARRYING), rawJson),
            fc.tuple(fc.constant("crit"), fc.constantFrom('["b64"]', "[]", '["exp"]', '"b64"', '["x"]')),
            fc.tuple(fc.constantFrom("b64", "typ", "cty", "zip", "__proto__"), fc.oneof(fc.constantFrom("true", "false", '"JWT"', '"DEF"'), rawJson)),
          ),
          { minLength: 1, maxLength: 2 },
        ),
      },
    ),
  )
  .map(([alg, kid, extra]) => [...(alg === undefined ? [] : ([["alg", alg]] as Entry[])), ...(kid === undefined ? [] : ([["kid", kid]] as Entry[])), ...extra]);

/** Alterations of a segment's base64url text, made before it is signed. */
const encodingEdit = fc.oneof(
  { weight: 50, arbitrary: fc.constant(undefined) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      at: fc.nat(),
      text: fc.constantFrom("=", "+", "/", " ", "\n", "\t", "\u0141", "é", "%", "\u0000", "*", "."),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pad" as const), text: fc.constantFrom("=", "==") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("bits" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop" as const), at: fc.nat() }) },
);
type EncodingEdit = typeof encodingEdit extends fc.Arbitrary<infer T> ? T : never;

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** The same bytes in other text: the unused low bits of the last character set. */
function otherTrailingBits(segment: string): string {
  const unused = segment.length % 4 === 2 ? 4 : segment.length % 4 === 3 ? 2 : 0;
  if (unused === 0) return segment;
  const last = ALPHABET.indexOf(segment.at(-1)!);
  return `${segment.slice(0, -1)}${ALPHABET[(last & ~((1 << unused) - 1)) | ((1 << unused) - 1)]}`;
}

function applyEncoding(segment: string, edit: EncodingEdit): string {
  if (edit === undefined) return segment;
  switch (edit.kind) {
    case "insert": {
      const at = edit.at % (segment.length + 1);
      return `${segment.slice(0, at)}${edit.text}${segment.slice(at)}`;
    }
    case "pad":
      return `${segment}${edit.text}`;
    case "bits":
      return otherTrailingBits(segment);
    case "drop": {
      const at = edit.at % segment.length;
      return `${segment.slice(0, at)}${segment.slice(at + 1)}`;
    }
  }
}

/** Alterations of the signature, after signing. */
const signatureEdit = fc.oneof(
  { weight: 60, arbitrary: fc.constant((s: string) => s) },
  {
    weight: 1,
    arbitrary: fc.nat().map((at) => (s: string) => {
      const i = at % s.length;
      return `${s.slice(0, i)}${s[i] === "A" ? "B" : "A"}${s.slice(i + 1)}`;
    }),
  },
  { weight: 1, arbitrary: fc.constant((s: string) => s.slice(0, -1)) },
  { weight: 1, arbitrary: fc.constantFrom("A", "AA", "AAA", "=", "==", " ", ".").map((tail) => (s: string) => `${s}${tail}`) },
  { weight: 1, arbitrary: fc.constant(otherTrailingBits) },
  { weight: 1, arbitrary: fc.constantFrom("", "A".repeat(5_000), "\u0141".repeat(342)).map((v) => () => v) },
);

/** Alterations of the token's structure. */
const structureEdit = fc.oneof(
  { weight: 40, arbitrary: fc.constant((t: string) => t) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      (t: string) => `${t}.AAAA`,
      (t: string) => t.slice(0, t.lastIndexOf(".")),
      (t: string) => ` ${t}`,
      (t: string) => `${t}\n`,
      (t: string) => `.${t}`,
      (t: string) => `${t}.`,
    ),
  },
);

/** Marks a string value whose UTF-8 bytes are swapped for bytes that are not UTF-8. */
const NOT_UTF8 = "\u{E000}";

const tokens = fc
  .record({
    shape: fc.constantFrom<TokenUse>("access", "id"),
    /** Mostly the slot the token was shaped for. */
    slotMismatch: fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    header: headerEntries,
    extra: extraClaims,
    special: fc.oneof(
      { weight: 30, arbitrary: fc.constant<Entry[]>([]) },
      nested.map((e) => [e]),
      bulky.map((e) => [e]),
      fc.constant<Entry[]>([["name", JSON.stringify(`a${NOT_UTF8}b`)]]),
    ),
    headerEncoding: encodingEdit,
    payloadEncoding: encodingEdit,
    signer: fc.oneof({ weight: 12, arbitrary: fc.constant<TestKey | undefined>(key) }, fc.constantFrom<TestKey | undefined>(other, stranger, undefined)),
    signature: signatureEdit,
    structure: structureEdit,
  })
  .chain((spec) => mutateEntries(baseClaims(spec.shape)).map((claims) => ({ ...spec, claims })))
  .map(({ shape, slotMismatch, header, claims, extra, special, headerEncoding, payloadEncoding, signer, signature, structure }) => {
    const payloadBytes = Buffer.from(objectText([...claims, ...extra, ...special]), "utf8");
    const marker = Buffer.from(NOT_UTF8, "utf8");
    const at = payloadBytes.indexOf(marker);
    if (at !== -1) payloadBytes.set([0xff, 0xfe, 0x41], at);
    const h = applyEncoding(b64(objectText(header)), headerEncoding);
    const p = applyEncoding(b64(payloadBytes), payloadEncoding);
    // Unsigned: a signature of another token.
    const whole = signer ? signed(`${h}.${p}`, signer) : `${h}.${p}.${signed("e30.e30", key).split(".")[2]}`;
    const dot = whole.lastIndexOf(".");
    const token = structure(`${whole.slice(0, dot)}.${signature(whole.slice(dot + 1))}`);
    return { token, use: (slotMismatch ? (shape === "access" ? "id" : "access") : shape) as TokenUse };
  });

describe.each(RUNTIMES)("the verifier against jose (%s runtime)", (_name, runtime) => {
  const verifier = ourVerifier(runtime);

  it("accepts a token only if jose accepts it, with the same claims; any token jose accepts and it refuses breaks a listed rule, and is refused with that rule's code", async () => {
    const seen = { accepted: 0, refusedByBoth: 0, explained: 0 };
    await fc.assert(
      fc.asyncProperty(tokens, async ({ token, use }) => {
        const ours = await outcome(verifier.verify(token, use));
        const theirs = await outcome(joseVerify(token, use).then((r) => r.payload));
        if (ours.ok) {
          seen.accepted++;
          expect(theirs.ok, "ours accepted a token jose refuses").toBe(true);
          expect(ours.claims).toEqual((theirs as { claims: unknown }).claims);
          return;
        }
        // Every refusal is one of ours (no DOMException, no TypeError), whatever the input.
        expect(isCode(ours.error, "ERR_TOKEN_INVALID"), String(ours.error)).toBe(true);
        if (!theirs.ok) {
          seen.refusedByBoth++;
          return;
        }
        seen.explained++;
        const rules = stricterRules(token, use);
        expect(rules, "jose accepted and ours refused, breaking no listed rule").not.toEqual([]);
        expect(rules.map((r) => r.code)).toContain((ours.error as { code: string }).code);
      }),
      { numRuns: RUNS },
    );
    console.info(`${runtime.name}: ${JSON.stringify(seen)}`);
    // The generator reaches every outcome, or the property proves little.
    expect(seen.accepted).toBeGreaterThan(RUNS / 20);
    expect(seen.refusedByBoth).toBeGreaterThan(RUNS / 10);
    expect(seen.explained).toBeGreaterThan(RUNS / 20);
  });

  it("agrees with jose on every time near the edges of the clock tolerance (iat in the future aside)", async () => {
    // Whole and half seconds around now and around the tolerance on either side.
    const near = fc.oneof(
      fc.integer({ min: -3 * TOLERANCE, max: 3 * TOLERANCE }).map((d) => NOW + d),
      fc.integer({ min: -6 * TOLERANCE, max: 6 * TOLERANCE }).map((d) => NOW + d / 2),
    );
    const times = fc.record({ exp: near, nbf: fc.option(near, { nil: undefined }), iat: fc.option(near, { nil: undefined }) });
    await fc.assert(
      fc.asyncProperty(times, async ({ exp, nbf, iat }) => {
        const token = joseAccepts({ exp, nbf, iat: iat ?? NOW - 60 });
        const [ours, theirs] = await Promise.all([outcome(verifier.verify(token, "access")), outcome(joseVerify(token, "access"))]);
        const iatAhead = iat !== undefined && iat > NOW + TOLERANCE;
        expect(ours.ok).toBe(theirs.ok && !iatAhead);
      }),
      { numRuns: 150 },
    );
  });

  /** A token jose accepts: an access token signed with the test key, claims and header edited. */
  const joseAccepts = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) => {
    const payload = { iss: ISSUER, sub: "user-1", token_use: "access", client_id: CLIENT, iat: NOW - 10, exp: NOW + 3_600, ...claims };
    return signed(`${b64(JSON.stringify({ alg: "RS256", kid: "test-kid", ...header }))}.${b64(JSON.stringify(payload))}`, key);
  };

  // Every kind of token jose accepts and ours refuses, one example each.
  it.each<[string, () => { token: string; use?: TokenUse }, string]>([
    [
      "a segment padded with =",
      () => ({
        token: (() => {
          const [h, p] = joseAccepts().split(".");
          return signed(`${h}=.${p}`, key);
        })(),
      }),
      "ERR_TOKEN_MALFORMED",
    ],
    [
      "a blank in a segment",
      () => ({
        token: (() => {
          const [h, p] = joseAccepts().split(".") as [string, string];
          return signed(`${h}.${p.slice(0, 9)} ${p.slice(9)}`, key);
        })(),
      }),
      "ERR_TOKEN_MALFORMED",
    ],
    ["a token longer than 32 KB", () => ({ token: joseAccepts({ "custom:bulk": "x".repeat(25_000) }) }), "ERR_TOKEN_MALFORMED"],
    ["claims nested deeper than 16 levels", () => ({ token: joseAccepts({ deep: JSON.parse(`${"[".repeat(18)}${"]".repeat(18)}`) }) }), "ERR_TOKEN_MALFORMED"],
    ["a __proto__ claim", () => ({ token: joseAccepts(JSON.parse('{"__proto__": {"admin": true}}')) }), "ERR_TOKEN_MALFORMED"],
    [
      "a jku header (ours never takes a key source from a token)",
      () => ({ token: joseAccepts({}, { jku: "https://evil.example/jwks" }) }),
      "ERR_TOKEN_SIGNATURE",
    ],
    ["a jwk header", () => ({ token: joseAccepts({}, { jwk: { kty: "RSA" } }) }), "ERR_TOKEN_SIGNATURE"],
    ["crit b64 with b64 true (ours understands no extension)", () => ({ token: joseAccepts({}, { crit: ["b64"], b64: true }) }), "ERR_TOKEN_SIGNATURE"],
    [
      "exp of 1e400, which JSON reads as Infinity",
      () => ({
        token: joseAccepts().replace(/^([^.]+)\.[^.]+\.[^.]+$/, (_m, h) =>
          signed(`${h}.${b64(`{"iss":"${ISSUER}","sub":"u","token_use":"access","client_id":"${CLIENT}","iat":${NOW},"exp":1e400}`)}`, key),
        ),
      }),
      "ERR_TOKEN_CLAIM",
    ],
    ["iat in the future", () => ({ token: joseAccepts({ iat: NOW + 3_600 }) }), "ERR_TOKEN_CLAIM"],
    ["no iat", () => ({ token: joseAccepts({ iat: undefined }) }), "ERR_TOKEN_CLAIM"],
    ["no exp", () => ({ token: joseAccepts({ exp: undefined }) }), "ERR_TOKEN_CLAIM"],
    ["no sub", () => ({ token: joseAccepts({ sub: undefined }) }), "ERR_TOKEN_CLAIM"],
    ["auth_time as a string", () => ({ token: joseAccepts({ auth_time: String(NOW) }) }), "ERR_TOKEN_CLAIM"],
    ["an ID token in the access slot", () => ({ token: joseAccepts({ token_use: "id" }) }), "ERR_TOKEN_CLAIM"],
    ["another client's access token", () => ({ token: joseAccepts({ client_id: "otherclient" }) }), "ERR_TOKEN_CLAIM"],
    [
      "an ID token whose aud is an array holding the client",
      () => ({ token: joseAccepts({ token_use: "id", client_id: undefined, aud: [CLIENT] }), use: "id" }),
      "ERR_TOKEN_CLAIM",
    ],
    ["cognito:groups as a string", () => ({ token: joseAccepts({ "cognito:groups": "admins" }) }), "ERR_TOKEN_CLAIM"],
    ["scope as an array", () => ({ token: joseAccepts({ scope: ["openid"] }) }), "ERR_TOKEN_CLAIM"],
  ])("jose accepts and ours refuses %s", async (_what, make, code) => {
    const { token, use = "access" } = make();
    expect((await outcome(joseVerify(token, use))).ok).toBe(true);
    const ours = await outcome(verifier.verify(token, use));
    expect(ours.ok).toBe(false);
    expect((ours as { error: { code: string } }).error.code).toBe(code);
    expect(stricterRules(token, use).map((r) => r.code)).toContain(code);
  });

  it("agrees with jose on what they both accept: trailing bits of a signature are not read by either", async () => {
    const token = joseAccepts();
    const dot = token.lastIndexOf(".");
    const variant = `${token.slice(0, dot)}.${otherTrailingBits(token.slice(dot + 1))}`;
    expect(variant).not.toBe(token);
    for (const candidate of [token, variant]) {
      expect((await outcome(joseVerify(candidate, "access"))).ok).toBe(true);
      expect((await outcome(verifier.verify(candidate, "access"))).ok).toBe(true);
    }
  });
});
