// Per-request cost of reading a session inside the middleware function: a NextRequest
// with the library's cookies in, a response out. Every library is set up in this one
// process against the same stand-in pool and the same tokens, and measured in
// interleaved rounds, so each ratio compares figures taken side by side.
//   warm: the same session again (what a signed-in user's second and later requests cost)
//   cold: a session this process has never seen (first request after sign-in or refresh)
import * as contenders from "./support/contenders.ts";
import { type Contender, passedOn, requestWith } from "./support/contenders.ts";
import { fmt, fmtRatio, fmtSpread, type Spread, summarize, writeResult } from "./support/stats.ts";
import { createTestPool, type TokenSet } from "./support/tokens.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const COLD_PER_ROUND = 60;
const WARM_MS = 150;

const pool = await createTestPool();
const all: Contender[] = [
  await contenders.ours(pool),
  await contenders.amplify(pool),
  await contenders.authjs(),
  await contenders.auth0(),
  await contenders.ironSession(),
  await contenders.floor(pool),
  await contenders.envelope(),
];
const OURS = all[0]!;
// Rows that verify the Cognito tokens themselves, and so must refuse a forged one.
const VERIFYING = new Set([OURS, all[1]!, all[5]!]);

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
await quiet(async () => {
  // A discarded round first: JIT, key import, JWKS fetch, lazy module loads.
  for (const contender of all) {
    const { warm, cold } = cookies.get(contender)!;
    await timeRepeated(contender, warm);
    await timeEach(contender, cold.slice(ROUNDS * COLD_PER_ROUND));
  }
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order so no library always runs right after the same other one.
    const order = all.map((_, i) => all[(i + round) % all.length]!);
    for (const contender of order) {
      const { warm, cold } = cookies.get(contender)!;
      const slice = cold.slice(round * COLD_PER_ROUND, (round + 1) * COLD_PER_ROUND);
      runs.get(contender)!.cold.push(await timeEach(contender, slice));
      runs.get(contender)!.warm.push(await timeRepeated(contender, warm));
    }
  }
});

const figures = all.map((contender) => {
  const r = runs.get(contender)!;
  return { name: contender.name, what: contender.what, warm: summarize(r.warm), cold: summarize(r.cold) };
});
const ours = figures[0]!;
const ratio = (s: Spread, base: Spread) => s.median / base.median;

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
  ],
  headline: (["warm", "cold"] as const).flatMap((mode) =>
    figures.slice(1, -1).map((f, i) => ({
      measure: i === 0 ? `session read in middleware, ${mode} (µs per request)` : "",
      ours: i === 0 ? fmt(ours[mode].median) : "",
      against: `${f.name}: ${fmt(f[mode].median)}`,
      ratio: fmtRatio(ratio(f[mode], ours[mode])),
    })),
  ),
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
    `Node ${process.version}, in-process (Next's NextRequest/NextResponse, not the Edge sandbox); every row includes building the NextRequest, as "no auth (envelope)" shows.`,
    `Same tokens for every row: a Cognito-shaped set (access ${warmTokens.accessToken.length} B, ID ${warmTokens.idToken.length} B, refresh ${warmTokens.refreshToken.length} B) signed with a test RS256 key; each library's cookies made by its own code.`,
    "Amplify verifies with aws-jwt-verify against its JWKS, served on loopback over TLS under Cognito's host name; Auth.js, Auth0 and iron-session trust their own encrypted/sealed cookie and verify no Cognito token per request.",
    `Warm: one session repeated for ≥${WARM_MS} ms per run; cold: ${COLD_PER_ROUND} sessions never seen before per run. Ratios above 1 mean the row costs more than ours.`,
    ...(warnings > 0
      ? [`Auth0 printed ${warnings} cookie-size warnings during the runs (silenced; its __session cookie for this token set is over 4 KB).`]
      : []),
  ],
  figures: { rounds: ROUNDS, coldPerRound: COLD_PER_ROUND, warmMs: WARM_MS, rows: figures, seconds: (Date.now() - started) / 1000 },
});
console.log(
  `\nsession read, ours: warm ${fmt(ours.warm.median)} µs, cold ${fmt(ours.cold.median)} µs; ` +
    figures
      .slice(1)
      .map((f) => `${f.name} warm ${fmtRatio(ratio(f.warm, ours.warm))}, cold ${fmtRatio(ratio(f.cold, ours.cold))}`)
      .join("; "),
);
await pool.close();
