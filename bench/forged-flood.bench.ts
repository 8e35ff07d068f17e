// Memory under a flood of forged cookies. 100,000 distinct cookie sets, each shaped like a
// real session's to the character, are sent through the middleware one after another:
//   - an access token under the pool's own header (a key it has) with plausible claims of
//     the app's issuer and client, signed by no one;
//   - the sealed cookie of a real session with characters of its MAC made up;
//   - every tenth carries a real access token instead, so the seal is opened and refused too.
// None is a session, so none may leave anything behind: no cache entry, and a heap, after a
// full collection, within a stated bound of where it started. Needs --expose-gc (npm run
// bench gives it).
import { randomBytes } from "node:crypto";
import { coreOf } from "../src/internal.ts";
import { passedOn, requestWith, ourApp, sessionCookies } from "./support/contenders.ts";
import { fmt, writeResult } from "./support/stats.ts";
import { CLIENT_ID, createTestPool, ISSUER } from "./support/tokens.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("benchmark: run with --expose-gc (npm run bench does)");

const FLOOD = Number(process.env.BENCH_FLOOD ?? 100_000);
/** Every tenth forged set carries a real access token, so its forged seal is opened (and refused). */
const REAL_ACCESS_EVERY = 10;
/** The most the heap may grow over the whole flood: under 84 bytes per forged request. */
const BOUND_MIB = 8;
const MIB = 1024 * 1024;

const pool = await createTestPool();
const auth = ourApp(pool);
const core = coreOf(auth);
const real = (await sessionCookies(ourApp(pool), pool.mint())).set.map(({ name, value }) => [name, value] as const);
const accessName = core.cookieNames.access;
const realAccess = real.find(([name]) => name === accessName)![1];
const [header] = realAccess.split(".");
const b64 = (text: string) => Buffer.from(text).toString("base64url");

/** The forged cookie set number `i`: distinct from every other, well formed, not a session. */
function forged(i: number): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub: `${i.toString(16).padStart(8, "0")}-${randomBytes(14).toString("hex")}`,
    iss: ISSUER,
    client_id: CLIENT_ID,
    token_use: "access",
    scope: "openid profile email",
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: randomBytes(16).toString("hex"),
    username: `user-${i}`,
  };
  const access = i % REAL_ACCESS_EVERY === 0 ? realAccess : `${header}.${b64(JSON.stringify(claims))}.${randomBytes(256).toString("base64url")}`;
  const pairs = real.map(([name, value], at) => {
    if (name === accessName) return `${name}=${access}`;
    // The last chunk of the seal ends in its MAC: 16 characters of it made up, the shape kept.
    if (at !== real.length - 1) return `${name}=${value}`;
    return `${name}=${value.slice(0, -17)}${randomBytes(12).toString("base64url")}${value.slice(-1)}`;
  });
  return pairs.join("; ");
}

async function send(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const response = await auth.middleware(requestWith(forged(i)));
    // Refused, and told to drop the cookies: sent to sign in, never let through.
    if (passedOn(response) || response.status !== 307 || response.headers.getSetCookie().length === 0) {
      throw new Error(`benchmark: forged cookie set ${i} was not refused (${response.status})`);
    }
  }
}

function collectedHeap(): number {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage().heapUsed;
}

const started = Date.now();
// Warm-up: code compiled, keys fetched and imported, lazily made tables made.
await send(FLOOD, FLOOD + 2_000);
const before = collectedHeap();
const start = process.hrtime.bigint();
await send(0, FLOOD);
const perRequest = Number(process.hrtime.bigint() - start) / 1000 / FLOOD;
const after = collectedHeap();
const grown = (after - before) / MIB;
const entries = { sessions: core.reader.cache.size, sessionBytes: core.reader.cache.bytes, verifiedTokens: core.verifier.cachedTokens };

const goals = [
  {
    goal: `a flood of ${FLOOD.toLocaleString("en-US")} distinct forged cookie sets leaves the heap within ${BOUND_MIB} MiB of where it started`,
    met: grown <= BOUND_MIB,
    figure: `heap ${fmt(before / MIB)} MiB before, ${fmt(after / MIB)} MiB after: ${grown >= 0 ? "+" : ""}${fmt(grown)} MiB`,
  },
  {
    goal: "no forged cookie set leaves a cache entry",
    met: entries.sessions === 0 && entries.verifiedTokens <= 1,
    figure: `session cache ${entries.sessions} entries; verified tokens ${entries.verifiedTokens} (the one real access token)`,
  },
];

writeResult({
  bench: "forged-flood",
  title: "Memory under a flood of forged cookies",
  tables: [
    {
      title: `${FLOOD.toLocaleString("en-US")} distinct forged cookie sets through auth.middleware, heap after a full collection`,
      columns: ["measure", "figure"],
      rows: [
        ["heap before", `${fmt(before / MIB)} MiB`],
        ["heap after", `${fmt(after / MIB)} MiB`],
        ["grown", `${fmt(grown)} MiB (bound ${BOUND_MIB} MiB)`],
        ["session cache", `${entries.sessions} entries, ${entries.sessionBytes} bytes`],
        ["verified-token cache", `${entries.verifiedTokens} tokens`],
        ["per forged request", `${fmt(perRequest)} µs`],
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
    {
      measure: `heap growth after ${FLOOD.toLocaleString("en-US")} forged cookie sets (MiB)`,
      ours: `${grown >= 0 ? "+" : ""}${fmt(grown)}`,
      against: `bound: ${BOUND_MIB}`,
      ratio: "",
    },
  ],
  notes: [
    `Node ${process.version}, in-process; each forged set is ${forged(1).length} B of Cookie header, as long as a real session's, sent to a protected page, answered with a redirect to sign-in that deletes the cookies.`,
    `Every ${REAL_ACCESS_EVERY}th set carries a real access token with a forged seal, so the seal is opened and refused; the others' access tokens are refused first, by their signature.`,
    "Heap used after four forced full collections (--expose-gc), before the flood (after a warm-up of 2,000 forged sets) and after it.",
  ],
  figures: { flood: FLOOD, before, after, grownMiB: grown, perRequestMicros: perRequest, entries, seconds: (Date.now() - started) / 1000 },
});
console.log(
  `\nforged flood: ${FLOOD} sets, heap ${fmt(before / MIB)} → ${fmt(after / MIB)} MiB (${grown >= 0 ? "+" : ""}${fmt(grown)} MiB, bound ${BOUND_MIB}); ` +
    `session cache ${entries.sessions} entries, verified tokens ${entries.verifiedTokens}; ${fmt(perRequest)} µs per forged request`,
);
for (const g of goals) console.log(`${g.met ? "met" : "MISSED"}: ${g.goal}: ${g.figure}`);
await pool.close();
