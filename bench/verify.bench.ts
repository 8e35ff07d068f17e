// Cost of verifying one Cognito access token, against the runtime's own RS256 primitive and
// the verifiers people use, all on the same token set in one process, in interleaved rounds:
//   node crypto.verify / subtle.verify: the raw RS256 check over pre-decoded bytes, key cached
//   jose jwtVerify, aws-jwt-verify verify: full verification, key or JWKS cached
//   iron-session unsealData: opening a sealed cookie of the same tokens
//   ours, cold: TokenVerifier on a token it has never seen (node:crypto, and WebCrypto as on Edge)
//   ours, warm read: Cookie header to a typed Session, the tokens seen before
import { createPublicKey, verify as nodeVerify, webcrypto } from "node:crypto";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import { sealData, unsealData } from "iron-session";
import { importJWK, jwtVerify } from "jose";
import { resolveConfig } from "../src/config/resolve.ts";
import { createCore } from "../src/session/core.ts";
import { parseCookieHeader } from "../src/persistence/jar.ts";
import { JwksCache } from "../src/verify/jwks.ts";
import { defaultRuntime, type Runtime, webRuntime } from "../src/verify/runtime.ts";
import { TokenVerifier } from "../src/verify/verifier.ts";
import { fmt, fmtRatio, fmtSpread, type Spread, summarize, writeResult } from "./support/stats.ts";
import { CLIENT_ID, createTestPool, ISSUER, USER_POOL_ID } from "./support/tokens.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 41);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 400);
/** Tokens per timed pass; each round times every row on the next slice of the set. */
const CHUNK = 100;
const SECRET = "bench-secret-0123456789-abcdefghijklmnop";

const pool = await createTestPool();
const sets = Array.from({ length: TOKENS }, () => pool.mint());
const tokens = sets.map((s) => s.accessToken);
const jwk = pool.jwks.keys[0]! as import("node:crypto").JsonWebKey & JsonWebKey;

// Pre-decoded inputs for the raw primitives: only the RSA check is timed.
const raw = tokens.map((t) => {
  const dot = t.lastIndexOf(".");
  return { data: Buffer.from(t.slice(0, dot)), signature: Buffer.from(t.slice(dot + 1), "base64url") };
});
const keyObject = createPublicKey({ key: jwk, format: "jwk" });
const cryptoKey = await webcrypto.subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
const joseKey = await importJWK(jwk, "RS256");

const aws = CognitoJwtVerifier.create({ userPoolId: USER_POOL_ID, tokenUse: "access", clientId: CLIENT_ID });
aws.cacheJwks(pool.jwks as never);

const sealed = await Promise.all(sets.map((s) => sealData({ r: s.refreshToken, i: s.idToken }, { password: SECRET, ttl: 3600 })));

/** Keys fetched once per runtime, then a fresh verifier (empty token cache) per round: every verify is cold. */
async function coldVerifier(runtime: Runtime) {
  const jwks = new JwksCache(pool.jwksUri, { runtime });
  const make = () => new TokenVerifier({ pools: [{ issuer: ISSUER, clientIds: [CLIENT_ID], jwks }], clockTolerance: 5, runtime });
  await make().verify(tokens[0]!, "access");
  return make;
}
const nodeRuntime = defaultRuntime();
if (nodeRuntime.name !== "node") throw new Error("benchmark: node:crypto is not in use");
const coldNode = await coldVerifier(nodeRuntime);
const coldWeb = await coldVerifier(webRuntime);

// The warm read: the app's own core, its cookies written by its own code, each read once before.
const core = createCore(
  resolveConfig({
    userPoolId: USER_POOL_ID,
    clientId: CLIENT_ID,
    issuer: ISSUER,
    jwksUri: pool.jwksUri,
    secret: SECRET,
    appUrl: "http://localhost:3000",
    env: {},
  }),
);
const cookieHeaders = await Promise.all(
  sets.map(async (s) => {
    const { set } = await core.storage.write(new Map(), { ...s, endsAt: Math.floor(Date.now() / 1000) + 86400 });
    return set.map((c) => `${c.name}=${c.value}`).join("; ");
  }),
);
const readSession = async (header: string) => {
  const read = await core.reader.fromCookies(parseCookieHeader(header));
  if (read.status !== "valid") throw new Error(`benchmark: session not read (${read.status})`);
  return read.session;
};
for (const header of cookieHeaders) await readSession(header);

interface Row {
  name: string;
  what: string;
  /** Microseconds per token for one pass over tokens `from` to `from + CHUNK`. */
  pass: (from: number) => Promise<number>;
  /** Must accept a valid token and refuse a forged one before it is timed. */
  check?: (token: string) => Promise<unknown>;
}

const perToken = async (from: number, each: (i: number) => unknown): Promise<number> => {
  const start = process.hrtime.bigint();
  for (let i = from; i < from + CHUNK; i++) await each(i);
  return Number(process.hrtime.bigint() - start) / 1000 / CHUNK;
};
const mustBeTrue = (ok: boolean) => {
  if (!ok) throw new Error("benchmark: a valid signature did not verify");
};

/** Our verifier on tokens it has not seen: a new one (empty token cache, keys held) per pass. */
function cold(name: string, what: string, make: () => TokenVerifier): Row {
  return {
    name,
    what,
    pass: (from) => {
      const verifier = make();
      return perToken(from, (i) => verifier.verify(tokens[i]!, "access"));
    },
    check: (t) => make().verify(t, "access"),
  };
}

const rows: Row[] = [
  {
    name: "node crypto.verify (raw RS256)",
    what: "the RSA check alone, pre-decoded bytes, cached KeyObject",
    pass: async (from) => {
      const start = process.hrtime.bigint();
      for (let i = from; i < from + CHUNK; i++) mustBeTrue(nodeVerify("sha256", raw[i]!.data, keyObject, raw[i]!.signature));
      return Number(process.hrtime.bigint() - start) / 1000 / CHUNK;
    },
  },
  {
    name: "node crypto.verify from the token text",
    what: "the same, plus what any verifier must do first: split, encode, decode the signature",
    pass: async (from) => {
      const start = process.hrtime.bigint();
      for (let i = from; i < from + CHUNK; i++) {
        const token = tokens[i]!;
        const dot = token.lastIndexOf(".");
        mustBeTrue(nodeVerify("sha256", Buffer.from(token.slice(0, dot)), keyObject, Buffer.from(token.slice(dot + 1), "base64url")));
      }
      return Number(process.hrtime.bigint() - start) / 1000 / CHUNK;
    },
  },
  {
    name: "WebCrypto subtle.verify (raw RS256)",
    what: "the RSA check alone, pre-decoded bytes, cached CryptoKey",
    pass: (from) => perToken(from, async (i) => mustBeTrue(await webcrypto.subtle.verify("RSASSA-PKCS1-v1_5", cryptoKey, raw[i]!.signature, raw[i]!.data))),
  },
  {
    name: "jose jwtVerify",
    what: "full JWT verification (iss, alg), key imported once",
    pass: (from) => perToken(from, (i) => jwtVerify(tokens[i]!, joseKey, { issuer: ISSUER, algorithms: ["RS256"] })),
    check: (t) => jwtVerify(t, joseKey, { issuer: ISSUER, algorithms: ["RS256"] }),
  },
  {
    name: "aws-jwt-verify verify",
    what: "full Cognito access-token verification, JWKS cached",
    pass: (from) => perToken(from, (i) => aws.verify(tokens[i]!)),
    check: (t) => aws.verify(t),
  },
  {
    name: "iron-session unsealData",
    what: "opening a sealed cookie of the refresh and ID token",
    pass: (from) => perToken(from, (i) => unsealData(sealed[i]!, { password: SECRET, ttl: 0 })),
  },
  cold("ours, cold (node:crypto)", "TokenVerifier.verify on a token never seen: every check, then cached", coldNode),
  cold("ours, cold (WebCrypto, Edge path)", "the same on the WebCrypto runtime the Edge middleware uses", coldWeb),
  {
    name: "ours, warm session read",
    what: "Cookie header to a typed Session (access + sealed ID token), seen before",
    pass: (from) => perToken(from, (i) => readSession(cookieHeaders[i]!)),
  },
];

// Refuse to time a verifier that does not verify.
const forged = `${tokens[0]!.slice(0, -6)}${tokens[0]!.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA"}`;
for (const row of rows) {
  if (!row.check) continue;
  await row.check(tokens[0]!);
  if (
    await row.check(forged).then(
      () => true,
      () => false,
    )
  )
    throw new Error(`benchmark: ${row.name} accepted a forged token`);
}

/**
 * Read every input of a pass (token, Cookie header, seal, the raw rows' bytes) once,
 * untimed, before the pass: a server handles a request's bytes just after receiving them,
 * while they are in the CPU's caches. Without this, each row would also be timed fetching
 * its input from memory after the rows before had pushed it out, which a server never pays.
 * The same for every row. (The reads look for a NUL, which no input holds.)
 */
function touchInputs(from: number): void {
  for (let i = from; i < from + CHUNK; i++) {
    const strings = [tokens[i]!, cookieHeaders[i]!, sealed[i]!];
    if (strings.some((s) => s.includes("\0")) || raw[i]!.data.includes(0) || raw[i]!.signature.length === 0) {
      throw new Error("benchmark: an input is not what it should be");
    }
  }
}

const started = Date.now();
const runs = new Map(rows.map((r) => [r, [] as number[]]));
// Discarded: JIT warm-up, the same for every row, so each is timed in the steady state a
// server reaches. V8 compiles a function with its top tier (TurboFan) after about 3,000
// calls, later when type feedback still changes; five passes over the set (2,000 calls)
// left our functions on the middle tier. A server verifies that many tokens in seconds.
const WARMUP_TOKENS = Number(process.env.BENCH_WARMUP_TOKENS ?? 12_000);
const WARMUP_PASSES = Math.ceil(WARMUP_TOKENS / TOKENS);
for (let pass = 0; pass < WARMUP_PASSES; pass++) {
  for (const row of rows) for (let from = 0; from < TOKENS; from += CHUNK) await row.pass(from);
}
for (let round = 0; round < ROUNDS; round++) {
  const from = (round * CHUNK) % TOKENS;
  // Rotate the order so no row always runs right after the same other one.
  for (let k = 0; k < rows.length; k++) {
    const row = rows[(k + round) % rows.length]!;
    touchInputs(from);
    runs.get(row)!.push(await row.pass(from));
  }
}

const byName = (name: string) => rows.find((r) => r.name.startsWith(name))!;
const figure = (name: string): Spread => summarize(runs.get(byName(name))!);
/** Median over rounds of a/b measured in the same round: steadier than a ratio of medians on a shared machine. */
const paired = (a: string, b: string) => {
  const [x, y] = [runs.get(byName(a))!, runs.get(byName(b))!];
  return summarize(x.map((v, i) => v / y[i]!)).median;
};
const RAW_NODE = "node crypto.verify (raw";
const RAW_WEB = "WebCrypto subtle.verify (raw";
const AWS = "aws-jwt-verify";
const COLD_NODE = "ours, cold (node";
const COLD_WEB = "ours, cold (WebCrypto";
const WARM = "ours, warm";
const warm = figure(WARM);
const coldNodeRatio = paired(COLD_NODE, RAW_NODE);
const coldWebRatio = paired(COLD_WEB, RAW_WEB);
const warmSpeedup = paired(AWS, WARM);

const goals = [
  { goal: "warm session read median ≤ 5 µs", met: warm.median <= 5, figure: `${fmt(warm.median)} µs` },
  { goal: "warm session read ≥ 10× faster than aws-jwt-verify", met: warmSpeedup >= 10, figure: fmtRatio(warmSpeedup) },
  { goal: "cold verify ≤ 1.3× node crypto.verify", met: coldNodeRatio <= 1.3, figure: fmtRatio(coldNodeRatio) },
  { goal: "cold verify on WebCrypto ≤ 1.3× subtle.verify", met: coldWebRatio <= 1.3, figure: fmtRatio(coldWebRatio) },
];

writeResult({
  bench: "verify",
  title: "Verifying a Cognito access token: per-token cost",
  tables: [
    {
      title: `µs per token: median of ${ROUNDS} passes of ${CHUNK} tokens (lowest–highest pass); × = median of that row over the raw primitive, pass by pass`,
      columns: ["what", "µs per token", "× node crypto.verify", "× subtle.verify", "measures"],
      rows: rows.map((row) => [
        row.name,
        fmtSpread(summarize(runs.get(row)!)),
        fmtRatio(paired(row.name, RAW_NODE)),
        fmtRatio(paired(row.name, RAW_WEB)),
        row.what,
      ]),
    },
    {
      title: "Goals",
      columns: ["goal", "this run", "met"],
      rows: goals.map((g) => [g.goal, g.figure, g.met ? "yes" : "no"]),
    },
  ],
  headline: [
    {
      measure: "token verify, cold (µs)",
      ours: fmt(figure(COLD_NODE).median),
      against: `node crypto.verify alone: ${fmt(figure(RAW_NODE).median)}`,
      ratio: fmtRatio(1 / coldNodeRatio),
    },
    { measure: "", ours: "", against: `aws-jwt-verify: ${fmt(figure(AWS).median)}`, ratio: fmtRatio(paired(AWS, COLD_NODE)) },
    { measure: "session read, warm (µs)", ours: fmt(warm.median), against: `aws-jwt-verify: ${fmt(figure(AWS).median)}`, ratio: fmtRatio(warmSpeedup) },
  ],
  goals,
  charts: [
    {
      title: "Verifying a Cognito access token (µs per token, lower is better)",
      unit: "µs",
      bars: rows.map((row) => {
        const s = summarize(runs.get(row)!);
        return { label: row.name, value: s.median, low: s.min, high: s.max, ours: row.name.startsWith("ours") };
      }),
    },
  ],
  notes: [
    `Node ${process.version}; ${TOKENS} Cognito-shaped access tokens (${tokens[0]!.length} B, RS256, 2048-bit key), the same for every row; warm reads also carry the sealed ID and refresh token (${cookieHeaders[0]!.length} B Cookie header).`,
    "The raw rows time only the RSA check over bytes decoded beforehand: the floor any verifier of these tokens pays. Ours, cold, includes decoding, every header and claim check, the JWKS lookup and caching the result.",
    "The WebCrypto row of ours runs the runtime module Edge middleware uses, here on Node's WebCrypto, against subtle.verify measured in the same passes.",
    "Ratios are medians of per-pass ratios (rows timed back to back on the same tokens), which a busy machine disturbs less than a ratio of medians.",
    `Before timing, every row ran over ${WARMUP_PASSES * TOKENS} tokens, enough for V8 to compile the hot functions of every row with its top tier, as on a server that has been up a few seconds.`,
  ],
  figures: {
    rounds: ROUNDS,
    warmupTokens: WARMUP_PASSES * TOKENS,
    tokens: TOKENS,
    chunk: CHUNK,
    rows: rows.map((r) => ({ name: r.name, ...summarize(runs.get(r)!), perNodeVerify: paired(r.name, RAW_NODE), perSubtleVerify: paired(r.name, RAW_WEB) })),
    seconds: (Date.now() - started) / 1000,
  },
});
console.log(
  `\nverify: cold ${fmt(figure(COLD_NODE).median)} µs = ${fmtRatio(coldNodeRatio)} node crypto.verify; ` +
    `WebCrypto cold ${fmtRatio(coldWebRatio)} subtle.verify; warm read ${fmt(warm.median)} µs, ` +
    `${fmtRatio(warmSpeedup)} faster than aws-jwt-verify`,
);
await pool.close();
