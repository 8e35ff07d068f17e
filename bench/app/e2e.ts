// End to end: the example app built for production and loaded with autocannon on
// loopback, a protected page and /api/me, with the middleware on and with the same app
// built without any middleware (its page and handler still verify the session
// themselves). Rounds alternate the two apps so drift on a shared machine hits both.
import autocannon from "autocannon";
import type { RunningExample } from "../../e2e/support/example-app.ts";
import { browserHeaders, get, sessionCookie, startBenchExample } from "../support/example.ts";
import { fmt, fmtRatio, fmtSpread, type Spread, summarize, writeResult } from "../support/stats.ts";

const ROUNDS = Number(process.env.BENCH_E2E_ROUNDS ?? 7);
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 3);
const CONNECTIONS = 10;
const ROUTES = ["/dashboard", "/api/me"] as const;
const GOAL = 0.95;

type Route = (typeof ROUTES)[number];
// Ours as middleware.ts (Edge) and as proxy.ts (Node); Next's middleware doing nothing; none at all.
const MODES = [
  { key: "on", variant: "middleware", label: "middleware.ts (Edge)", ours: true },
  { key: "proxy", variant: "proxy", label: "proxy.ts (Node)", ours: true },
  { key: "bare", variant: "bare", label: "do-nothing middleware (NextResponse.next())", ours: false },
  { key: "off", variant: "none", label: "no middleware", ours: false },
] as const;
type Mode = (typeof MODES)[number]["key"];

const apps = {} as Record<Mode, RunningExample>;
const cookies = {} as Record<Mode, string>;
try {
  for (const mode of MODES) {
    apps[mode.key] = await startBenchExample(mode.variant);
    cookies[mode.key] = await sessionCookie(apps[mode.key]);
  }

  // Every app must serve the signed-in user on both routes, and ours must guard them.
  for (const { key } of MODES) {
    for (const route of ROUTES) {
      const { status, body } = await get(apps[key], route, cookies[key]);
      if (status !== 200 || !body.includes("alice@example.com")) throw new Error(`${key} ${route}: signed-in request got ${status}`);
    }
  }
  for (const { key } of MODES.filter((m) => m.ours)) {
    const page = await get(apps[key], "/dashboard");
    if (page.status < 300 || page.status > 399) throw new Error(`${key}: /dashboard without a session got ${page.status}, not a redirect`);
    const api = await get(apps[key], "/api/me");
    if (api.status !== 401) throw new Error(`${key}: /api/me without a session got ${api.status}, not 401`);
  }

  const load = async (mode: Mode, route: Route, seconds: number) => {
    const result = await autocannon({
      url: new URL(route, apps[mode].baseURL).href,
      connections: CONNECTIONS,
      duration: seconds,
      headers: browserHeaders(route, cookies[mode]),
    });
    const failed = result.non2xx + result.errors + result.timeouts;
    if (failed > 0) throw new Error(`${mode} ${route}: ${failed} of ${result.requests.total} requests failed`);
    return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
  };

  // Warm every app on both routes (JIT, caches, Next's lazy route loading); discarded.
  for (const route of ROUTES) for (const { key } of MODES) await load(key, route, 2);

  const samples = new Map<string, Array<{ rps: number; p50: number; p99: number }>>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const route of ROUTES) {
      // Rotate the order each round so no mode always runs first or last.
      const order = MODES.map((_, i) => MODES[(i + round) % MODES.length]!.key);
      for (const mode of order) {
        const sample = await load(mode, route, SECONDS);
        console.log(`round ${round + 1} ${route} ${mode}: ${fmt(sample.rps)} req/s, p50 ${sample.p50} ms, p99 ${sample.p99} ms`);
        const key = `${route} ${mode}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
      }
    }
  }

  const of = (route: Route, mode: Mode) => {
    const s = samples.get(`${route} ${mode}`)!;
    return { rps: summarize(s.map((x) => x.rps)), p50: summarize(s.map((x) => x.p50)), p99: summarize(s.map((x) => x.p99)) };
  };
  const figures = ROUTES.map((route) => {
    const by = Object.fromEntries(MODES.map(({ key }) => [key, of(route, key)])) as Record<Mode, ReturnType<typeof of>>;
    // Each round measured every mode back to back: the ratio is taken within a round, then
    // the median over rounds, so load from elsewhere on the machine cancels out as far as it can.
    const ratios = (mode: Mode, base: Mode) => {
      const [m, b] = [samples.get(`${route} ${mode}`)!, samples.get(`${route} ${base}`)!];
      return summarize(m.map((x, i) => x.rps / b[i]!.rps));
    };
    const over = (mode: Mode, base: Mode) => ratios(mode, base).median;
    return { route, by, over, ratios };
  });
  const ms = (s: Spread) => `${fmtSpread(s)} ms`;
  const fmtRatios = (s: Spread) => `${fmtRatio(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;

  writeResult({
    bench: "e2e",
    title: "End to end: the example app under load, with and without the middleware",
    tables: [
      {
        title: `autocannon, ${CONNECTIONS} connections, ${SECONDS} s per run, median of ${ROUNDS} runs (lowest–highest); ratios: requests per second over the no-middleware app's, and over Next's do-nothing middleware, within each round, median over rounds (lowest–highest)`,
        columns: ["route", "middleware", "req/s", "p50 latency", "p99 latency", "÷ no middleware", "÷ do-nothing middleware"],
        rows: figures.flatMap((f) =>
          MODES.map(({ key, label }) => [
            f.route,
            label,
            fmtSpread(f.by[key].rps),
            ms(f.by[key].p50),
            ms(f.by[key].p99),
            key === "off" ? "" : fmtRatios(f.ratios(key, "off")),
            key === "off" || key === "bare" ? "" : fmtRatios(f.ratios(key, "bare")),
          ]),
        ),
      },
    ],
    headline: figures.flatMap((f, i) => [
      {
        measure: i === 0 ? "throughput with the middleware, steady state (req/s)" : "",
        ours: `${f.route}, middleware.ts: ${fmt(f.by.on.rps.median)}`,
        against: `no middleware: ${fmt(f.by.off.rps.median)}; do-nothing middleware: ${fmt(f.by.bare.rps.median)}`,
        ratio: `${fmtRatio(f.over("on", "off"))}; ${fmtRatio(f.over("on", "bare"))}`,
      },
      {
        measure: "",
        ours: `${f.route}, proxy.ts: ${fmt(f.by.proxy.rps.median)}`,
        against: `no middleware: ${fmt(f.by.off.rps.median)}`,
        ratio: fmtRatio(f.over("proxy", "off")),
      },
    ]),
    goals: figures.flatMap((f) =>
      (["on", "proxy"] as const).map((mode) => ({
        goal: `${mode === "on" ? "middleware.ts" : "proxy.ts"} costs at most ${Math.round((1 - GOAL) * 100)}% of throughput on ${f.route}`,
        met: f.over(mode, "off") >= GOAL,
        figure: `${fmt((1 - f.over(mode, "off")) * 100, 2)}% (${fmt(f.by[mode].rps.median)} vs ${fmt(f.by.off.rps.median)} req/s; Next's do-nothing middleware alone: ${fmt((1 - f.over("bare", "off")) * 100, 2)}%)`,
      })),
    ),
    charts: [
      {
        title: "Example app under load: requests per second (higher is better)",
        unit: "req/s",
        bars: figures.flatMap((f) =>
          MODES.map(({ key, label, ours }) => ({
            label: `${f.route}, ${label}`,
            value: f.by[key].rps.median,
            low: f.by[key].rps.min,
            high: f.by[key].rps.max,
            ours,
          })),
        ),
      },
    ],
    notes: [
      "`next start` (production build, Turbopack) on 127.0.0.1, each app with its own cognito-local; middleware.ts runs in Next's Edge sandbox, proxy.ts in Node. The load generator shares the 2 cores with the server.",
      "Without middleware the page still calls getServerSession() and /api/me still runs withAuth(), so both verify the session themselves: the difference is what the middleware adds, Next's own cost of running a middleware included (the do-nothing row).",
      "Steady state: the session is valid for an hour, so no refresh happens during the runs; verified tokens and unsealed cookies are cached after the first request.",
    ],
    figures: {
      rounds: ROUNDS,
      seconds: SECONDS,
      connections: CONNECTIONS,
      routes: figures.map(({ route, by }) => ({ route, ...by })),
      samples: Object.fromEntries(samples),
    },
  });
  console.log(
    `\nend to end: ${figures.map((f) => `${f.route} middleware.ts/none ${fmtRatio(f.over("on", "off"))}, proxy.ts/none ${fmtRatio(f.over("proxy", "off"))}, do-nothing/none ${fmtRatio(f.over("bare", "off"))}`).join("; ")}`,
  );
} finally {
  for (const { key } of MODES) await apps[key]?.stop();
}
