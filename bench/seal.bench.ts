// Cost of opening one sealed session (a Cognito refresh and ID token), in one process, in
// interleaved rounds on the same token sets:
//   iron-session unsealData: the previous release's format (Fe26.2, two PBKDF2 derivations)
//   ours, Sealer.unseal: JWE dir + A256GCM through node:crypto, the Node path
//   ours on node:crypto / on WebCrypto: the same code above the cipher (decrypt, then decode
//     the plaintext) on each runtime's primitive; WebCrypto is what Edge middleware runs
//   jose compactDecrypt: the same seals opened by jose (WebCrypto underneath), and with zip DEF
// and the size of each seal for the same tokens.
import { createPublicKey, verify } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { compactDecrypt, CompactEncrypt } from "jose";
import { sealData, unsealData } from "iron-session";
import { Secret } from "../src/config/secret.ts";
import { type Cipher, defaultCipher, webCipher } from "../src/persistence/cipher.ts";
import { decodeEnvelope, encodeEnvelope } from "../src/persistence/envelope.ts";
import { decryptCompact, deriveKeys, KEY_INFO } from "../src/persistence/jwe.ts";
import { Sealer } from "../src/persistence/seal.ts";
import { fmt, fmtRatio, fmtSpread, summarize, writeResult } from "./support/stats.ts";
import { createTestPool } from "./support/tokens.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31);
const SETS = 200;
/** Seals per timed pass; each round times every row on the next slice of the set. */
const CHUNK = 50;
const SECRET = "bench-secret-0123456789-abcdefghijklmnop";

const pool = await createTestPool();
const tokens = Array.from({ length: SETS }, () => pool.mint());
const publicKey = createPublicKey({ key: pool.jwks.keys[0] as import("node:crypto").JsonWebKey, format: "jwk" });
await pool.close();
// For scale: the RSA check a cold session read pays twice (access and ID token), over pre-decoded bytes.
const signed = tokens.map(({ accessToken: t }) => ({
  data: Buffer.from(t.slice(0, t.lastIndexOf("."))),
  signature: Buffer.from(t.slice(t.lastIndexOf(".") + 1), "base64url"),
}));
const endsAt = Math.floor(Date.now() / 1000) + 30 * 86_400;
const values = tokens.map((t) => ({ r: t.refreshToken, i: t.idToken, e: endsAt }));

const node = defaultCipher();
if (node.name !== "node") throw new Error("benchmark: node:crypto is not in use");
const sealer = new Sealer([new Secret(SECRET)]);
const ours = await Promise.all(values.map((v) => sealer.seal("session", v, 30 * 86_400)));
const iron = await Promise.all(values.map((v) => sealData({ f: 1, p: "session", exp: endsAt, v }, { password: SECRET, ttl: 30 * 86_400 })));
const ikm = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), "HKDF", false, ["deriveBits"]);
const rawKey = new Uint8Array(
  await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: new TextEncoder().encode(KEY_INFO) }, ikm, 256),
);
const joseKey = await crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["decrypt", "encrypt"]);
const { kid } = (await deriveKeys([new Secret(SECRET)], node))[0]!;
const now = Date.now() / 1000;
const plaintexts = values.map((v) => encodeEnvelope("session", endsAt, v, node));
const zipped = await Promise.all(
  plaintexts.map((p) => new CompactEncrypt(p).setProtectedHeader({ alg: "dir", enc: "A256GCM", kid, zip: "DEF" }).encrypt(joseKey)),
);
const asText = await Promise.all(values.map((v) => sealer.seal("session", { ...v, note: "as JSON" }, 60)));

/** The Sealer's own steps above the cipher, on `cipher`. */
async function openOn(cipher: Cipher) {
  const keys = await deriveKeys([new Secret(SECRET)], cipher);
  return async (sealed: string) => {
    const opened = await decryptCompact(keys, sealed, cipher);
    return opened && decodeEnvelope(opened.plaintext, "session", now, cipher)?.value;
  };
}
const onNode = await openOn(node);
const onWeb = await openOn(webCipher);

interface Row {
  name: string;
  what: string;
  /** The token set sealed in seal `i`. */
  open: (i: number) => Promise<unknown>;
}
const fromJose = (plaintext: Uint8Array) => decodeEnvelope(plaintext, "session", now, node)?.value;
const rows: Row[] = [
  {
    name: "iron-session unsealData (previous format)",
    what: "Fe26.2: PBKDF2 ×2, HMAC, AES-CBC, JSON",
    open: async (i) => ((await unsealData(iron[i]!, { password: SECRET, ttl: 0 })) as { v?: unknown }).v,
  },
  { name: "ours, Sealer.unseal (node:crypto)", what: "JWE dir+A256GCM, strict parse, token set from bytes", open: (i) => sealer.unseal("session", ours[i]!) },
  { name: "ours on node:crypto", what: "decryptCompact + decodeEnvelope, node cipher", open: (i) => onNode(ours[i]!) },
  { name: "ours on WebCrypto (Edge path)", what: "the same code, WebCrypto cipher", open: (i) => onWeb(ours[i]!) },
  {
    name: "jose compactDecrypt",
    what: "the same seal opened by jose, plaintext decoded as ours",
    open: async (i) => fromJose((await compactDecrypt(ours[i]!, joseKey)).plaintext),
  },
  {
    name: "jose compactDecrypt, zip DEF",
    what: "the same plaintext deflated (jose inflates)",
    open: async (i) => fromJose((await compactDecrypt(zipped[i]!, joseKey)).plaintext),
  },
];

const RSA: Row = {
  name: "node crypto.verify (raw RS256), for scale",
  what: "one RSA check of an access token; a cold session read pays two",
  open: async (i) => verify("sha256", signed[i]!.data, publicKey, signed[i]!.signature),
};
// Refuse to time a row that does not open the seal to the tokens sealed.
if ((await RSA.open(1)) !== true) throw new Error("benchmark: a valid signature did not verify");
rows.push(RSA);
for (const row of rows) if (row !== RSA && !isDeepStrictEqual(await row.open(1), values[1])) throw new Error(`benchmark: ${row.name} did not open the seal`);

const pass = async (row: Row, from: number) => {
  const start = process.hrtime.bigint();
  for (let i = from; i < from + CHUNK; i++) await row.open(i);
  return Number(process.hrtime.bigint() - start) / 1000 / CHUNK;
};

const started = Date.now();
const runs = new Map(rows.map((r) => [r, [] as number[]]));
// Warm-up, the same for every row: V8's top tier for the hot functions (iron's warm-up is short, it is slow).
for (let w = 0; w < 20; w++)
  for (const row of rows) for (let from = 0; from < SETS; from += CHUNK) if (w < 2 || !row.name.startsWith("iron")) await pass(row, from);
for (let round = 0; round < ROUNDS; round++) {
  const from = (round * CHUNK) % SETS;
  for (let k = 0; k < rows.length; k++) {
    const row = rows[(k + round) % rows.length]!;
    runs.get(row)!.push(await pass(row, from));
  }
}

const byName = (name: string) => rows.find((r) => r.name.startsWith(name))!;
const paired = (a: string, b: string) => {
  const [x, y] = [runs.get(byName(a))!, runs.get(byName(b))!];
  return summarize(x.map((v, i) => v / y[i]!)).median;
};
const median = (name: string) => summarize(runs.get(byName(name))!).median;
const SEALER = "ours, Sealer.unseal";
const avg = (list: string[]) => Math.round(list.reduce((n, s) => n + s.length, 0) / list.length);
const sizes = [
  ["iron (previous format)", avg(iron.map((s) => s.slice(0, s.indexOf("~"))))],
  ["ours: JWE, token set as bytes", avg(ours)],
  ["ours with the tokens as JSON text", avg(asText)],
  ["ours with zip DEF (jose)", avg(zipped)],
] as const;

writeResult({
  bench: "seal",
  title: "Opening a sealed session (refresh + ID token): per-seal cost and size",
  tables: [
    {
      title: `µs per seal: median of ${ROUNDS} passes of ${CHUNK} seals (lowest–highest pass); × = that row over Sealer.unseal, pass by pass`,
      columns: ["what", "µs per seal", "× Sealer.unseal", "× one RS256 verify", "measures"],
      rows: rows.map((row) => [
        row.name,
        fmtSpread(summarize(runs.get(row)!)),
        fmtRatio(paired(row.name, SEALER)),
        fmtRatio(paired(row.name, RSA.name)),
        row.what,
      ]),
    },
    {
      title: "Characters of the seal, same tokens (mean over the set)",
      columns: ["format", "characters"],
      rows: sizes.map(([name, n]) => [name, String(n)]),
    },
  ],
  headline: [
    {
      measure: "opening a sealed session (µs)",
      ours: fmt(median(SEALER)),
      against: `iron-session unsealData: ${fmt(median("iron"))}`,
      ratio: fmtRatio(paired("iron", SEALER)),
    },
  ],
  charts: [
    {
      title: "Opening a sealed session (µs per seal, lower is better)",
      unit: "µs",
      bars: rows.map((row) => {
        const s = summarize(runs.get(row)!);
        return { label: row.name, value: s.median, low: s.min, high: s.max, ours: row.name.startsWith("ours") };
      }),
    },
  ],
  notes: [
    `Node ${process.version}; ${SETS} Cognito-shaped token sets (ID ${tokens[0]!.idToken.length} B, refresh ${tokens[0]!.refreshToken.length} B), the same for every row.`,
    "Ratios are medians of per-pass ratios (rows timed back to back on the same seals).",
    "zip DEF: deflating the plaintext saves a few percent (ID token claims compress, signatures and the refresh token's ciphertext do not) and costs an inflate per open; the format does not use it.",
  ],
  figures: {
    rounds: ROUNDS,
    chunk: CHUNK,
    rows: rows.map((r) => ({ name: r.name, ...summarize(runs.get(r)!), perSealer: paired(r.name, SEALER), perRsaVerify: paired(r.name, RSA.name) })),
    sizes: Object.fromEntries(sizes),
    seconds: (Date.now() - started) / 1000,
  },
});
console.log(
  `\nseal: Sealer.unseal ${fmt(median(SEALER))} µs = ${fmtRatio(paired(SEALER, RSA.name))} one RS256 verify; iron ${fmtRatio(paired("iron", SEALER))}, ` +
    `WebCrypto ${fmtRatio(paired("ours on WebCrypto", SEALER))}, jose ${fmtRatio(paired("jose compactDecrypt", SEALER))} of it`,
);
