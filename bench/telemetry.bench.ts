// What events, a logger and OpenTelemetry tracing cost a session read in middleware. Four
// instances of the app, measured side by side in interleaved rounds in this one process:
//   off:     nothing configured (what the session-read benchmark measures)
//   events:  a handler of every event and a logger of every level (no-op functions)
//   traced:  nothing configured in the options, the OpenTelemetry SDK registered (tracer
//            provider with a span processor and an exporter that drops what it gets, the
//            AsyncLocalStorage context manager) while it is measured, and only then
//   envelope: a NextRequest with the same Cookie header, NextResponse.next() out
// warm: the same session again; cold: sessions each instance has not seen (two RS256 verifies,
// each a span when traced).
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import * as contenders from "./support/contenders.ts";
import { APP_URL, type Contender, passedOn, requestWith, sessionCookies } from "./support/contenders.ts";
import { type CognitoSessionOptions, createCognitoSession } from "../src/index.ts";
import { activeTracer, traced } from "../src/lib/tracing.ts";
import { fmt, fmtRatio, fmtSpread, summarize, writeResult } from "./support/stats.ts";
import { CLIENT_ID, createTestPool, ISSUER, USER_POOL_ID } from "./support/tokens.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const COLD_PER_ROUND = 60;
const WARM_MS = 150;
const SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

const pool = await createTestPool();
const appWith = (options: CognitoSessionOptions = {}) =>
  createCognitoSession({
    userPoolId: USER_POOL_ID,
    clientId: CLIENT_ID,
    issuer: ISSUER,
    jwksUri: pool.jwksUri,
    secret: SECRET,
    appUrl: APP_URL,
    protect: { "/dashboard/:path*": {} },
    env: {},
    ...options,
  });

let spansExported = 0;
const provider = new BasicTracerProvider({
  spanProcessors: [
    new SimpleSpanProcessor({
      export: (spans, done) => {
        spansExported += spans.length;
        done({ code: 0 });
      },
      shutdown: async () => {},
    }),
  ],
});
const contextManager = new AsyncLocalStorageContextManager();
const tracingOn = () => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
};
const tracingOff = () => {
  trace.disable();
  context.disable();
};

const noop = () => {};
const everything: CognitoSessionOptions = {
  events: { signIn: noop, signOut: noop, refresh: noop, refreshFailed: noop, sessionEnded: noop, tokenRejected: noop },
  logger: { debug: noop, info: noop, warn: noop, error: noop },
};

interface Row {
  name: string;
  what: string;
  middleware: Contender["middleware"];
  traced: boolean;
  warm: number[];
  cold: number[];
}
const writer = appWith();
const cookieOf = async (tokens: ReturnType<typeof pool.mint>) => (await sessionCookies(writer, tokens)).set.map((c) => `${c.name}=${c.value}`).join("; ");
const envelope = await contenders.envelope(pool);
const rows: Row[] = [
  { name: "off", what: "nothing configured", middleware: appWith().middleware, traced: false, warm: [], cold: [] },
  {
    name: "events + logger",
    what: "a no-op handler of every event, a no-op logger of every level",
    middleware: appWith(everything).middleware,
    traced: false,
    warm: [],
    cold: [],
  },
  {
    name: "traced",
    what: "the OpenTelemetry SDK registered while measured (spans made, processed, dropped)",
    middleware: appWith().middleware,
    traced: true,
    warm: [],
    cold: [],
  },
  { name: "envelope", what: envelope.what, middleware: envelope.middleware, traced: false, warm: [], cold: [] },
];
const [OFF, EVENTS, TRACED, ENVELOPE] = rows as [Row, Row, Row, Row];

const warmCookie = await cookieOf(pool.mint());
const coldCookies = await Promise.all(Array.from({ length: (ROUNDS + 1) * COLD_PER_ROUND }, () => cookieOf(pool.mint())));

async function timeEach(row: Row, cookies: readonly string[]): Promise<number> {
  const start = process.hrtime.bigint();
  for (const cookie of cookies) await row.middleware(requestWith(cookie));
  return Number(process.hrtime.bigint() - start) / 1000 / cookies.length;
}

async function timeRepeated(row: Row, cookie: string): Promise<number> {
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < BigInt(WARM_MS) * 1_000_000n) {
    for (let i = 0; i < 20; i++) await row.middleware(requestWith(cookie));
    n += 20;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / 1000 / n;
}

/** Time `row` with tracing registered only while it runs, if it is the traced one. */
async function measured<T>(row: Row, work: () => Promise<T>): Promise<T> {
  if (row.traced) tracingOn();
  try {
    return await work();
  } finally {
    if (row.traced) tracingOff();
  }
}

// Refuse to time what does not do the work: each instance lets the session through.
for (const row of rows) {
  const response = await measured(row, () => row.middleware(requestWith(warmCookie)));
  if (!passedOn(response)) throw new Error(`${row.name}: a valid session was not let through`);
}
// A discarded round first (JIT, key import), on cold sessions of its own.
const discard = coldCookies.slice(ROUNDS * COLD_PER_ROUND);
for (const row of rows) {
  await measured(row, async () => {
    await timeRepeated(row, warmCookie);
    await timeEach(row, discard);
  });
}
spansExported = 0;

for (let round = 0; round < ROUNDS; round++) {
  const order = rows.map((_, i) => rows[(i + round) % rows.length]!);
  const slice = coldCookies.slice(round * COLD_PER_ROUND, (round + 1) * COLD_PER_ROUND);
  for (const row of order) {
    await measured(row, async () => {
      row.cold.push(await timeEach(row, slice));
      row.warm.push(await timeRepeated(row, warmCookie));
    });
  }
}
if (spansExported === 0) throw new Error("benchmark: the traced instance made no span");
const spansPerCold = spansExported / (ROUNDS * COLD_PER_ROUND);

// One span alone: the library's own span helper around an async no-op, with and without a provider.
const SPAN_LOOPS = 20_000;
const nothing = async () => 1;
async function timeSpans(): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < SPAN_LOOPS; i++) {
    const tracer = activeTracer();
    await (tracer === undefined ? nothing() : traced(tracer, "ncs.verify", { "ncs.token.use": "access" }, 0, nothing));
  }
  return Number(process.hrtime.bigint() - start) / 1000 / SPAN_LOOPS;
}
const spanRuns: number[] = [];
for (let round = 0; round <= ROUNDS; round++) {
  const without = await timeSpans();
  tracingOn();
  const within = await timeSpans();
  tracingOff();
  if (round > 0) spanRuns.push(within - without);
}
const perSpan = summarize(spanRuns);

/** Median over rounds of a − b, each pair taken in the same round. */
const paired = (a: readonly number[], b: readonly number[]) => summarize(a.map((v, i) => v - b[i]!));
const overEnvelope = paired(OFF.warm, ENVELOPE.warm);
const eventsWarm = paired(EVENTS.warm, OFF.warm);
const tracedWarm = paired(TRACED.warm, OFF.warm);
const eventsCold = paired(EVENTS.cold, OFF.cold);
const tracedCold = paired(TRACED.cold, OFF.cold);
/** Per-run ratios, steadier than differences when the machine is busy: everything slows alike. */
const tracedColdRatio = summarize(TRACED.cold.map((v, i) => v / OFF.cold[i]!));
const eventsWarmRatio = summarize(EVENTS.warm.map((v, i) => v / OFF.warm[i]!));
const tracedWarmRatio = summarize(TRACED.warm.map((v, i) => v / OFF.warm[i]!));

const goals = [
  {
    goal: "warm session read in middleware, events and tracing off, ≤ the envelope (same Cookie header) + 10 µs",
    met: overEnvelope.median <= 10,
    figure: `${fmt(summarize(OFF.warm).median)} µs against ${fmt(summarize(ENVELOPE.warm).median)} µs: +${fmt(overEnvelope.median)} µs`,
  },
];

writeResult({
  bench: "telemetry",
  title: "Events, logger and tracing: what they add to a session read in middleware",
  tables: [
    {
      title: `µs per request: median of ${ROUNDS} runs (lowest–highest run)`,
      columns: ["instance", "warm µs", "cold µs", "what"],
      rows: rows.map((r) => [r.name, fmtSpread(summarize(r.warm)), r === ENVELOPE ? "" : fmtSpread(summarize(r.cold)), r.what]),
    },
    {
      title: "Added cost, µs per request: median of per-run differences against `off` (lowest–highest run)",
      columns: ["added by", "warm", "cold", "warm ×off", "cold ×off"],
      rows: [
        [
          "events + logger",
          fmtSpread(eventsWarm),
          fmtSpread(eventsCold),
          fmtRatio(eventsWarmRatio.median),
          fmtRatio(summarize(EVENTS.cold.map((v, i) => v / OFF.cold[i]!)).median),
        ],
        [
          `tracing (${fmt(spansPerCold, 2)} spans per cold read, ${fmt(tracedCold.median / spansPerCold)} µs each)`,
          fmtSpread(tracedWarm),
          fmtSpread(tracedCold),
          fmtRatio(tracedWarmRatio.median),
          fmtRatio(tracedColdRatio.median),
        ],
        ["one span, measured alone", "", fmtSpread(perSpan), "", ""],
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
    { measure: "tracing on, warm session read (µs added)", ours: fmt(tracedWarm.median), against: "off, same run", ratio: "" },
    { measure: "tracing on, cold session read (µs added)", ours: fmt(tracedCold.median), against: "off, same run", ratio: fmtRatio(tracedColdRatio.median) },
    { measure: "tracing on, one span (µs)", ours: fmt(perSpan.median), against: "no provider, same run", ratio: "" },
  ],
  notes: [
    `One span measured alone: ${SPAN_LOOPS} spans around an async no-op, the way the library starts them (activeTracer(), traced()), less the same no-op without a provider, per run.`,
    `Node ${process.version}, in-process (Next's NextRequest/NextResponse). A warm read makes no span (the session cache answers); a cold one makes a span per token verified.`,
    "The traced instance's spans go through @opentelemetry/sdk-trace-base's BasicTracerProvider and SimpleSpanProcessor to an exporter that drops them: the cost of making and ending spans, not of shipping them.",
  ],
  figures: {
    rounds: ROUNDS,
    coldPerRound: COLD_PER_ROUND,
    warmMs: WARM_MS,
    rows,
    overEnvelope,
    eventsWarm,
    tracedWarm,
    eventsCold,
    tracedCold,
    spansPerCold,
    tracedColdRatio,
    eventsWarmRatio,
    tracedWarmRatio,
    perSpan,
  },
});
console.log(
  `\ntelemetry: warm off ${fmt(summarize(OFF.warm).median)} µs (+${fmt(overEnvelope.median)} µs over the envelope); ` +
    `added warm: events ${fmt(eventsWarm.median)} µs (${fmtRatio(eventsWarmRatio.median)}), tracing ${fmt(tracedWarm.median)} µs (${fmtRatio(tracedWarmRatio.median)}); ` +
    `added cold: events ${fmt(eventsCold.median)} µs, tracing ${fmt(tracedCold.median)} µs (${fmtRatio(tracedColdRatio.median)}, ${fmt(spansPerCold, 2)} spans); one span ${fmt(perSpan.median)} µs`,
);
for (const g of goals) console.log(`${g.met ? "met" : "MISSED"}: ${g.goal}: ${g.figure}`);
await pool.close();
