// Refresh storm: 100 requests at once carrying one expired session, against the example app
// built for production, with a counting proxy between the app and its cognito-local. How
// many refresh calls reach Cognito (goal: 1), and how much latency the refresh adds over the
// same burst with a valid session (a second app whose tokens live an hour).
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { RunningExample } from "../../e2e/support/example-app.ts";
import { CountingProxy } from "../../test/helpers/counting-proxy.ts";
import { get, sessionCookie, startBenchExample } from "../support/example.ts";
import { fmt, fmtSpread, quantile, summarize, writeResult } from "../support/stats.ts";

const ROUNDS = Number(process.env.BENCH_STORM_ROUNDS ?? 5);
const BURST = 100;
// Longer than the refresh margin (60 s), as every real pool's are (5 minutes at least): a
// token fresh from a refresh must not count as due for another one.
const TTL = 75;

/**
 * An app whose refresh and API calls go through a counting proxy to its own cognito-local;
 * added to `started` so that whatever happens next, it is stopped.
 */
async function behindProxy(accessTokenTtl: number | undefined, started: Array<{ app: RunningExample; proxy: CountingProxy }>) {
  const proxy = await CountingProxy.start();
  try {
    const app = await startBenchExample("middleware", {
      ...(accessTokenTtl ? { accessTokenTtl } : {}),
      env: { COGNITO_DOMAIN: proxy.url, COGNITO_ENDPOINT: `${proxy.url}/` },
    });
    proxy.upstream = app.cognito.domain;
    started.push({ app, proxy });
    return { app, proxy };
  } catch (error) {
    await proxy.stop();
    throw error;
  }
}

/** BURST requests at once with `cookie`, half to the page and half to the API; each one's latency in ms. */
async function burst(app: RunningExample, cookie: string): Promise<number[]> {
  return Promise.all(
    Array.from({ length: BURST }, async (_, i) => {
      const path = i % 2 === 0 ? "/dashboard" : "/api/me";
      const start = performance.now();
      const { status, body } = await get(app, path, cookie);
      const ms = performance.now() - start;
      if (status !== 200 || !body.includes("alice@example.com")) throw new Error(`${path} in a burst got ${status}`);
      return ms;
    }),
  );
}

const started: Array<{ app: RunningExample; proxy: CountingProxy }> = [];
try {
  const storm = await behindProxy(TTL, started);
  const steady = await behindProxy(undefined, started);
  const rounds: Array<{ refreshCalls: number; cognitoCalls: number; storm: number[]; steady: number[] }> = [];
  // One session per run, signed in up front; then let every access token lapse, clock tolerance included.
  const sessions = [];
  for (let round = 0; round < ROUNDS; round++) sessions.push(await sessionCookie(storm.app));
  await sleep((TTL + 6) * 1000);
  for (let round = 0; round < ROUNDS; round++) {
    const expired = sessions[round]!;
    const calls = storm.proxy.calls.length;
    const refreshes = storm.proxy.refreshes;
    const stormMs = await burst(storm.app, expired);
    const refreshCalls = storm.proxy.refreshes - refreshes;
    const cognitoCalls = storm.proxy.calls.length - calls;

    const valid = await sessionCookie(steady.app);
    const before = steady.proxy.calls.length;
    const steadyMs = await burst(steady.app, valid);
    if (steady.proxy.calls.length !== before) throw new Error("a burst with a valid session called Cognito");
    rounds.push({ refreshCalls, cognitoCalls, storm: stormMs, steady: steadyMs });
    const q = (ms: number[], p: number) =>
      quantile(
        [...ms].sort((x, y) => x - y),
        p,
      );
    console.log(
      `round ${round + 1}: ${refreshCalls} refresh call(s), ${cognitoCalls} call(s) to Cognito in all; ` +
        `p50 ${fmt(q(stormMs, 0.5))} ms vs ${fmt(q(steadyMs, 0.5))} ms, p99 ${fmt(q(stormMs, 0.99))} ms vs ${fmt(q(steadyMs, 0.99))} ms`,
    );
  }

  const quantiles = { p50: 0.5, p99: 0.99, max: 1 } as const;
  type Figure = keyof typeof quantiles;
  const at = (ms: number[], k: Figure) =>
    quantile(
      [...ms].sort((x, y) => x - y),
      quantiles[k],
    );
  const latency = (k: Figure) => ({
    storm: summarize(rounds.map((r) => at(r.storm, k))),
    steady: summarize(rounds.map((r) => at(r.steady, k))),
    added: summarize(rounds.map((r) => at(r.storm, k) - at(r.steady, k))),
  });
  const figures = { p50: latency("p50"), p99: latency("p99"), max: latency("max") };
  const calls = summarize(rounds.map((r) => r.refreshCalls));
  const allOne = rounds.every((r) => r.refreshCalls === 1);

  writeResult({
    bench: "refresh-storm",
    title: `Refresh storm: ${BURST} concurrent requests with one expired session`,
    tables: [
      {
        title: `${BURST} requests at once (half /dashboard, half /api/me), ${ROUNDS} runs, each with a freshly expired session; medians (lowest–highest run), ms`,
        columns: ["figure", "expired session (refreshes)", "valid session", "added by the refresh"],
        rows: [
          ["refresh calls reaching Cognito", fmtSpread(calls), "0", ""],
          ...(["p50", "p99", "max"] as const).map((k) => [
            `${k} latency`,
            fmtSpread(figures[k].storm),
            fmtSpread(figures[k].steady),
            fmtSpread(figures[k].added),
          ]),
        ],
      },
    ],
    headline: [
      {
        measure: `refresh storm: calls to Cognito for ${BURST} concurrent requests with one expired session`,
        ours: `${fmt(calls.median)} (max ${calls.max})`,
        against: `p99 latency ${fmt(figures.p99.storm.median)} ms vs ${fmt(figures.p99.steady.median)} ms with a valid session`,
        ratio: `+${fmt(figures.p99.added.median)} ms p99`,
      },
    ],
    goals: [
      { goal: `one call to Cognito per storm of ${BURST} requests`, met: allOne, figure: `calls per run: ${rounds.map((r) => r.refreshCalls).join(", ")}` },
    ],
    charts: [
      {
        title: `Refresh storm: latency of ${BURST} concurrent requests, expired vs valid session (ms, median of runs)`,
        unit: "ms",
        bars: (["p50", "p99"] as const).flatMap((k) => [
          { label: `${k}, one expired session`, value: figures[k].storm.median, low: figures[k].storm.min, high: figures[k].storm.max, ours: true },
          { label: `${k}, valid session`, value: figures[k].steady.median, low: figures[k].steady.min, high: figures[k].steady.max },
        ]),
      },
    ],
    notes: [
      `Example app built for production (middleware.ts, Edge), its refresh and Cognito API calls through a counting proxy to cognito-local; access tokens live ${TTL} s and the storm starts once the session's access token has lapsed.`,
      "Calls are counted at the proxy: every refresh_token grant at /oauth2/token and every refresh through the Cognito API. Concurrent requests share one refresh (single-flight) and every response carries the new cookies.",
      "Peers: the Amplify adapter refreshes per request without deduplication (by design, amplify-js PR #13387); Auth.js leaves refresh to the app's jwt callback; neither is measured here.",
    ],
    figures: { burst: BURST, latency: figures, rounds },
  });
  console.log(`\nrefresh storm: ${rounds.map((r) => r.refreshCalls).join(", ")} refresh call(s) per run; added p99 ${fmt(figures.p99.added.median)} ms`);
} finally {
  for (const { app, proxy } of started) {
    await app.stop();
    await proxy.stop();
  }
}
