// `npm test`'s closing line from the runners' JSON reports: every test counts once, as
// passed, failed, or did not run (skipped, cut short by a failed hook or an interrupted run,
// in a file that could not load, or never reached because its runner stopped early).

/**
 * @typedef {{ passed: number, failed: number, didNotRun: number, notes: string[] }} Counts
 * @typedef {Counts & { failedStages: string[] }} Sum
 */

/** The first line of a message, without terminal colours, for a note. */
const firstLine = (text) =>
  String(text ?? "")
    .replace(/\u001b\[[\d;]*m/g, "")
    .trim()
    .split("\n")[0]
    ?.trim() || "no message";

/**
 * Counts for a runner that stopped before writing its report: its `count` listed tests did
 * not run, or one stands for them when they could not be listed.
 * @param {string} runner
 * @param {number} count
 * @returns {Counts}
 */
function noReport(runner, count) {
  return {
    passed: 0,
    failed: 0,
    didNotRun: Math.max(count, 1),
    notes: [
      count > 0
        ? `${runner} stopped before writing its report: its ${count} tests did not run`
        : `${runner} stopped before writing its report, and its tests could not be listed: counted as one that did not run`,
    ],
  };
}

/**
 * Counts from a vitest JSON report (`--reporter=json`). `listed`, the output of
 * `vitest list --json`, tells how many tests a file that could not load holds, and how
 * many there were when no report was written; without it each such case counts as one.
 * @param {any} report
 * @param {Array<{ file: string }> | undefined} [listed]
 * @returns {Counts}
 */
export function vitestCounts(report, listed) {
  const inFile = (file) => listed?.filter((test) => test.file === file).length ?? 0;
  if (!report) return noReport("vitest", listed?.length ?? 0);
  const counts = {
    passed: report.numPassedTests ?? 0,
    failed: report.numFailedTests ?? 0,
    // Tests under a failed beforeAll are reported as pending: they never ran.
    didNotRun: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    notes: [],
  };
  for (const file of report.testResults ?? []) {
    // A file that failed with no test results failed to load: none of its tests is in the totals.
    if (file.status !== "failed" || (file.assertionResults ?? []).length > 0) continue;
    const count = inFile(file.name);
    counts.didNotRun += Math.max(count, 1);
    counts.notes.push(
      `vitest: ${file.name} could not run (${firstLine(file.message)}): ${count > 0 ? `its ${count} tests` : "counted as one test that"} did not run`,
    );
  }
  return counts;
}

/**
 * Counts from a Playwright JSON report. Playwright counts as `skipped` both the tests it
 * skipped and those it never reached (`did not run`: a failed beforeAll, an interrupted
 * run). Errors outside any test (a spec that does not load, a run stopped early) are noted;
 * they are not tests, and a run they failed counts as failed in {@link total}. `listed`, the
 * JSON of `playwright test --list --reporter=json`, tells how many tests there were when no
 * report was written.
 * @param {any} report
 * @param {any} [listed]
 * @returns {Counts}
 */
export function playwrightCounts(report, listed) {
  if (!report) return noReport("playwright", listed ? playwrightTests(listed) : 0);
  const stats = report.stats ?? {};
  return {
    passed: (stats.expected ?? 0) + (stats.flaky ?? 0),
    failed: stats.unexpected ?? 0,
    didNotRun: stats.skipped ?? 0,
    notes: (report.errors ?? []).map((error) => `playwright: ${firstLine(error.message)}`),
  };
}

/** The tests in a Playwright JSON report's suites, at any depth. */
function playwrightTests(report) {
  const count = (suite) =>
    (suite.specs ?? []).reduce((n, spec) => n + (spec.tests ?? []).length, 0) + (suite.suites ?? []).reduce((n, child) => n + count(child), 0);
  return (report.suites ?? []).reduce((n, suite) => n + count(suite), 0);
}

/**
 * The sum over `npm test`'s stages. A stage that failed with no failed test and no test that
 * did not run (the lint, the layer check, the type check, or a runner that exited non-zero
 * with everything green) counts as one failure, so a failed run never closes on `0 failed`.
 * Every stage that failed is named in `failedStages`, in the order they ran.
 * @param {Array<{ label: string, ok: boolean, counts?: Counts }>} stages
 * @returns {Sum}
 */
export function total(stages) {
  const sum = { passed: 0, failed: 0, didNotRun: 0, notes: [], failedStages: [] };
  for (const { label, ok, counts } of stages) {
    if (!ok) sum.failedStages.push(label);
    if (counts) {
      sum.passed += counts.passed;
      sum.failed += counts.failed;
      sum.didNotRun += counts.didNotRun;
      sum.notes.push(...counts.notes);
    }
    if (!ok && (counts?.failed ?? 0) === 0 && (counts?.didNotRun ?? 0) === 0) {
      sum.failed += 1;
      sum.notes.push(`${label} failed: counted as one failure`);
    }
  }
  return sum;
}

/**
 * `N passed, N failed`, then `, N did not run` when any did not, then `; failed stages: …`
 * naming each stage that failed, when any did.
 * @param {Counts & { failedStages?: string[] }} counts
 */
export function closingLine({ passed, failed, didNotRun, failedStages = [] }) {
  const stages = failedStages.length > 0 ? `; failed stages: ${failedStages.join(", ")}` : "";
  return `${passed} passed, ${failed} failed${didNotRun > 0 ? `, ${didNotRun} did not run` : ""}${stages}`;
}
