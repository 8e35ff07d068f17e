// Per-request cost of reading a session inside the middleware function: a NextRequest
// with the library's cookies in, a response out. Every library is set up in this one
// process against the same stand-in pool and the same tokens, and measured in
// interleaved rounds, so each ratio compares figures taken side by side.
//   warm: the same session again (what a signed-in user's second and later requests cost)
//   cold: a session this process has never seen (first request after sign-in or refresh)
// Against the envelope (a NextRequest carrying the same Cookie header, NextResponse.next()
// out) for the warm goal; the cold path measured again with its unseal answered from a table,
// for what it costs besides the unseal.
import * as contenders from "./support/contenders.ts";
import { type Contender, passedOn, requestWith } from "./support/contenders.ts";
import { coreOf } from "../src/internal.ts";
import { parseCookieHeader } from "../src/persistence/jar.ts";
import { Sealer } from "../src/persistence/seal.ts";
import { fmt, fmtRatio, fmtSpread, type Spread, summarize, writeResult } from "./support/stats.ts";
import { createTestPool, type TokenSet } from "./support/tokens.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const COLD_PER_ROUND = 60;
const WARM_MS = 150;

const pool = await createTestPool();
const OURS = await contenders.ours(pool);
const AMPLIFY = await contenders.amplify(pool);
const FLOOR = await contenders.floor(pool);
const ENVELOPE = await contenders.envelope(pool);
const PEERS = [AMPLIFY, await contenders.authjs(), await contenders.auth0(), await contenders.ironSession()];
const all: Contender[] = [OURS, ...PEERS, FLOOR, ENVELOPE, await contenders.envelope()];
// Rows that verify the Cognito tokens themselves, and so must refuse a forged one.
const VERIFYING = new Set([OURS, AMPLIFY, FLOOR]);

// Auth0 warns on every write of a session cookie over 4 KB; keep stdout for the figures.
let warnings = 0;
const quiet = <T>(fn: () => Promise<T>) => {
  const warn = console.warn;
  console.warn = () => void warnings++;
  return fn().finally(() => (console.warn = warn));
};

/** Refuse to time anything that does not do the work it stands for. */
async function check(contender: Contender, tokens: TokenSet): Promise<void> {
  const ok = await contender.middleware(requestWith(await contender.cookie(tokens)));
  if (!passedOn(ok)) throw new Error(`${contender.name}: a valid session was not let through (${ok.status})`);
  const none = await contender.middleware(requestWith("other=1"));
  if (passedOn(none)) throw new Error(`${contender.name}: a request without a session was let through`);
  if (VERIFYING.has(contender)) {
    const forged = { ...tokens, accessToken: `${tokens.accessToken.slice(0, -4)}AAAA` };
    if (forged.accessToken === tokens.accessToken) forged.accessToken = `${tokens.accessToken.slice(0, -4)}BBBB`;
    const bad = await contender.middleware(requestWith(await contender.cookie(forged)));
    if (passedOn(bad)) throw new Error(`${contender.name}: a forged access token was let through`);
  }
}

/** Microseconds per request over `cookies`, each used once. */
async function timeEach(contender: Contender, cookies: readonly string[]): Promise<number> {
  const start = process.hrtime.bigint();
  for (const cookie of cookies) await contender.middleware(requestWith(cookie));
  return Number(process.hrtime.bigint() - start) / 1000 / cookies.length;
}

/** Microseconds per request, `cookie` sent again and again for at least WARM_MS. */
async function timeRepeated(contender: Contender, cookie: string): Promise<number> {
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < BigInt(WARM_MS) * 1_000_000n) {
    for (let i = 0; i < 20; i++) await contender.middleware(requestWith(cookie));
    n += 20;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / 1000 / n;
}

const started = Date.now();
const warmTokens = pool.mint();
for (const contender of all) await quiet(() => check(contender, warmTokens));

// Distinct sessions for the cold runs (and a few more to warm the JIT on the cold path).
const coldTokens = Array.from({ length: ROUNDS * COLD_PER_ROUND + COLD_PER_ROUND }, () => pool.mint());
const cookies = new Map<Contender, { warm: string; cold: string[] }>();
for (const contender of all) {
  cookies.set(contender, {
    warm: await contender.cookie(warmTokens),
    cold: await Promise.all(coldTokens.map((t) => contender.cookie(t))),
  });
}

const runs = new Map(all.map((c) => [c, { warm: [] as number[], cold: [] as number[] }]));

// The unseal alone, on the seals of the cold sessions, by a sealer that has opened none of them.
const reader = coreOf(contenders.ourApp(pool));
const coldSeals = cookies.get(OURS)!.cold.map((header) => reader.storage.sent(parseCookieHeader(header))!.slice(1).join(""));
const unsealRuns: number[] = [];
// The cold path without the unseal, measured directly: another instance of the app whose
// sealer answers every cold seal from a table opened beforehand (nothing else changed).
const opened = new Map<string, unknown>();
const opener = new Sealer(reader.config.secrets);
for (const seal of coldSeals) opened.set(seal, await opener.unseal("session", seal));
const withoutUnseal = contenders.ourApp(pool);
coreOf(withoutUnseal).sealer.unseal = async <T>(_purpose: string, sealed: string) => opened.get(sealed) as T | undefined;
const withoutUnsealRuns: number[] = [];
async function timeUnseals(seals: readonly string[]): Promise<number> {
  const sealer = new Sealer(reader.config.secrets);
  await sealer.seal("session", {}, 60); // the secret's keys derived before timing
  const start = process.hrtime.bigint();
  for (const seal of seals) if ((await sealer.unseal("session", seal)) === undefined) throw new Error("benchmark: a seal did not open");
  return Number(process.hrtime.bigint() - start) / 1000 / seals.length;
}
await quiet(async () => {
  // A discarded round first: JIT, key import, JWKS fetch, lazy module loads.
  for (const contender of all) {
    const { warm, cold } = cookies.get(contender)!;
    await timeRepeated(contender, warm);
    await timeEach(contender, cold.slice(ROUNDS * COLD_PER_ROUND));
  }
  await timeUnseals(coldSeals.slice(ROUNDS * COLD_PER_ROUND));
  await timeEach({ ...OURS, middleware: withoutUnseal.middleware }, cookies.get(OURS)!.cold.slice(ROUNDS * COLD_PER_ROUND));
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order so no library always runs right after the same other one.
    const order = all.map((_, i) => all[(i + round) % all.length]!);
    for (const contender of order) {
      const { warm, cold } = cookies.get(contender)!;
      const slice = cold.slice(round * COLD_PER_ROUND, (round + 1) * COLD_PER_ROUND);
      runs.get(contender)!.cold.push(await timeEach(contender, slice));
      runs.get(contender)!.warm.push(await timeRepeated(contender, warm));
    }
    unsealRuns.push(await timeUnseals(coldSeals.slice(round * COLD_PER_ROUND, (round + 1) * COLD_PER_ROUND)));
    withoutUnsealRuns.push(
      await timeEach({ ...OURS, middleware: withoutUnseal.middleware }, cookies.get(OURS)!.cold.slice(round * COLD_PER_ROUND, (round + 1) * COLD_PER_ROUND)),
    );
  }
});

const figures = all.map((contender) => {
  const r = runs.get(contender)!;
  return { name: contender.name, what: contender.what, warm: summarize(r.warm), cold: summarize(r.cold) };
});
const figureOf = (contender: Contender) => figures[all.indexOf(contender)]!;
const ours = figureOf(OURS);
const envelope = figureOf(ENVELOPE);
const floor = figureOf(FLOOR);
const ratio = (s: Spread, base: Spread) => s.median / base.median;
/** Median over rounds of a − b measured in the same round: steadier than a difference of medians on a shared machine. */
const pairedDifference = (a: readonly number[], b: readonly number[]) => summarize(a.map((v, i) => v - b[i]!));
const overEnvelope = pairedDifference(runs.get(OURS)!.warm, runs.get(ENVELOPE)!.warm);
const unseal = summarize(unsealRuns);
const coldBesidesUnseal = pairedDifference(runs.get(OURS)!.cold, unsealRuns);
const coldWithoutUnseal = summarize(withoutUnsealRuns);
const coldWithoutUnsealOverFloor = pairedDifference(withoutUnsealRuns, runs.get(FLOOR)!.cold);
const coldOverFloor = summarize(runs.get(OURS)!.cold.map((v, i) => v / runs.get(FLOOR)!.cold[i]!));
const fastestPeerCold = Math.min(...PEERS.map((peer) => figureOf(peer).cold.median));

const goals = [
  {
    goal: "warm session read in middleware ≤ the envelope (same Cookie header) + 10 µs",
    met: overEnvelope.median <= 10,
    figure: `${fmt(ours.warm.median)} µs against ${fmt(envelope.warm.median)} µs: +${fmt(overEnvelope.median)} µs`,
  },
  {
    goal: "cold session read in middleware ≤ 2× two raw RS256 verifies",
    met: coldOverFloor.median <= 2,
    figure: `${fmt(ours.cold.median)} µs against ${fmt(floor.cold.median)} µs: ${fmtRatio(coldOverFloor.median)} (the unseal alone ${fmt(unseal.median)} µs; the rest, measured without it, ${fmt(coldWithoutUnseal.median)} µs)`,
  },
  {
    goal: "cold session read faster than every peer's",
    met: ours.cold.median < fastestPeerCold,
    figure: `${fmt(ours.cold.median)} µs; fastest peer ${fmt(fastestPeerCold)} µs`,
  },
];

writeResult({
  bench: "session-read",
  title: "Reading a session in middleware: per-request cost",
  tables: [
    {
      title: `Per-request cost in middleware, µs per request: median of ${ROUNDS} runs (lowest–highest run); × = that row's median over ours, same run`,
      columns: ["library", "warm µs", "warm ×ours", "cold µs", "cold ×ours", "what is measured"],
      rows: figures.map((f) => [
        f.name,
        fmtSpread(f.warm),
        f === ours ? "1" : fmtRatio(ratio(f.warm, ours.warm)),
        fmtSpread(f.cold),
        f === ours ? "1" : fmtRatio(ratio(f.cold, ours.cold)),
        f.what,
      ]),
    },
    {
      title: "Where our time goes, µs per request: median of per-run differences (lowest–highest run)",
      columns: ["part", "µs", "how it is measured"],
      rows: [
        ["warm read beyond the envelope", fmtSpread(overEnvelope), "ours warm − envelope with the same Cookie header, run by run"],
        ["cold: the unseal of the sealed cookie", fmtSpread(unseal), "Sealer.unseal alone on the cold sessions' seals, by a sealer that opened none before"],
        [
          "cold: everything else",
          fmtSpread(coldBesidesUnseal),
          "ours cold − that unseal, run by run: the envelope, cookie parsing, two RS256 verifies, claims, the session, the cache entry",
        ],
        [
          "cold with the seal opened beforehand",
          fmtSpread(coldWithoutUnseal),
          "the same cold requests through an instance whose sealer answers from a table: the cold path but the unseal, measured directly",
        ],
        [
          "that, beyond the floor",
          fmtSpread(coldWithoutUnsealOverFloor),
          "cold with the seal opened beforehand − two raw RS256 verifies in middleware (the floor row), run by run",
        ],
      ],
    },
    {
      title: "Goals",
      columns: ["goal", "this run", "met"],
      rows: goals.map((g) => [g.goal, g.figure, g.met ? "yes" : "no"]),
    },
  ],
  goals,
  headline: [
    ...(["warm", "cold"] as const).flatMap((mode) =>
      [...PEERS, FLOOR].map((contender, i) => {
        const f = figureOf(contender);
        return {
          measure: i === 0 ? `session read in middleware, ${mode} (µs per request)` : "",
          ours: i === 0 ? fmt(ours[mode].median) : "",
          against: `${f.name}: ${fmt(f[mode].median)}`,
          ratio: fmtRatio(ratio(f[mode], ours[mode])),
        };
      }),
    ),
    {
      measure: "session read in middleware, warm, beyond the envelope (µs)",
      ours: `+${fmt(overEnvelope.median)}`,
      against: `envelope with the same Cookie header: ${fmt(envelope.warm.median)}`,
      ratio: "",
    },
  ],
  charts: [
    {
      title: "Session read in middleware, warm (µs per request, lower is better)",
      unit: "µs",
      bars: figures.map((f) => ({ label: f.name, value: f.warm.median, low: f.warm.min, high: f.warm.max, ours: f === ours })),
    },
    {
      title: "Session read in middleware, cold: a session not seen before (µs per request)",
      unit: "µs",
      bars: figures.map((f) => ({ label: f.name, value: f.cold.median, low: f.cold.min, high: f.cold.max, ours: f === ours })),
    },
  ],
  notes: [
    `Node ${process.version}, in-process (Next's NextRequest/NextResponse, not the Edge sandbox); every row includes building the NextRequest, as the envelope rows show.`,
    `Same tokens for every row: a Cognito-shaped set (access ${warmTokens.accessToken.length} B, ID ${warmTokens.idToken.length} B, refresh ${warmTokens.refreshToken.length} B) signed with a test RS256 key; each library's cookies made by its own code.`,
    "Amplify verifies with aws-jwt-verify against its JWKS, served on loopback over TLS under Cognito's host name; Auth.js, Auth0 and iron-session trust their own encrypted/sealed cookie and verify no Cognito token per request.",
    "The warm goal is measured against the envelope carrying our own Cookie header: building a NextRequest parses and checks every byte of the header, whatever the middleware does next, so the envelope with the access token alone is cheaper by what the larger header costs Next, not by anything the middleware does.",
    `Warm: one session repeated for ≥${WARM_MS} ms per run; cold: ${COLD_PER_ROUND} sessions never seen before per run. Ratios above 1 mean the row costs more than ours.`,
    ...(warnings > 0
      ? [`Auth0 printed ${warnings} cookie-size warnings during the runs (silenced; its __session cookie for this token set is over 4 KB).`]
      : []),
  ],
  figures: {
    rounds: ROUNDS,
    coldPerRound: COLD_PER_ROUND,
    warmMs: WARM_MS,
    rows: figures,
    overEnvelope,
    unseal,
    coldBesidesUnseal,
    coldWithoutUnseal,
    coldWithoutUnsealOverFloor,
    coldOverFloor,
    seconds: (Date.now() - started) / 1000,
  },
});
console.log(
  `\nsession read, ours: warm ${fmt(ours.warm.median)} µs (+${fmt(overEnvelope.median)} µs over the envelope with the same Cookie header), ` +
    `cold ${fmt(ours.cold.median)} µs (unseal ${fmt(unseal.median)} µs; ${fmt(coldWithoutUnseal.median)} µs with the seal opened beforehand, ` +
    `+${fmt(coldWithoutUnsealOverFloor.median)} µs over the floor; ${fmtRatio(coldOverFloor.median)} two raw RS256 verifies); ` +
    figures
      .filter((f) => f !== ours)
      .map((f) => `${f.name} warm ${fmtRatio(ratio(f.warm, ours.warm))}, cold ${fmtRatio(ratio(f.cold, ours.cold))}`)
      .join("; "),
);
for (const g of goals) console.log(`${g.met ? "met" : "MISSED"}: ${g.goal}: ${g.figure}`);
await pool.close();
