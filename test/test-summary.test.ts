import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { closingLine, type Counts, playwrightCounts, total, vitestCounts } from "../scripts/test-summary.mjs";

// Reports written by vitest 5 and Playwright 1.65 for two small suites (paths shortened to
// /repo). vitest: a.test.ts has a describe whose beforeAll throws (two tests, one skip, one
// todo) and two plain tests, one failing; b.test.ts imports a missing module (two tests);
// c.test.ts has a top-level beforeAll that throws (one test): nine tests in all. Playwright:
// a.spec.ts has a describe whose beforeAll throws (two tests), a passing, a failing, a
// skipped and a fixme test; b.spec.ts two passing tests: eight in all, run once in full,
// once with --max-failures=1, and listed with --list. playwright-load-error: a run where a
// spec imports a missing module.
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/test-reports/${name}.json`, import.meta.url), "utf8"));
const sum = ({ passed, failed, didNotRun }: Counts) => passed + failed + didNotRun;

describe("vitest's report", () => {
  const report = fixture("vitest-broken");
  const listed = fixture("vitest-list");

  it("counts every declared test once: passed, failed, or did not run (under a failed hook, skipped, todo, or in a file that did not load)", () => {
    const counts = vitestCounts(report, listed);
    expect(counts).toMatchObject({ passed: 1, failed: 1, didNotRun: 7 });
    expect(sum(counts)).toBe(9);
    expect(counts.notes).toEqual([
      "vitest: /repo/test/b.test.ts could not run (Cannot find module './nope.ts' imported from /repo/test/b.test.ts): its 2 tests did not run",
    ]);
  });

  it("counts a file that did not load as one test when the tests cannot be listed", () => {
    const counts = vitestCounts(report, undefined);
    expect(counts).toMatchObject({ passed: 1, failed: 1, didNotRun: 6 });
    expect(counts.notes[0]).toMatch(/b\.test\.ts could not run .*counted as one test that did not run$/);
  });

  it("counts todo tests as not run", () => {
    expect(vitestCounts({ numPassedTests: 2, numFailedTests: 0, numPendingTests: 0, numTodoTests: 3, testResults: [] })).toEqual({
      passed: 2,
      failed: 0,
      didNotRun: 3,
      notes: [],
    });
  });

  it("with no report, counts the listed tests as not run, or one when none could be listed", () => {
    expect(vitestCounts(undefined, listed)).toMatchObject({ passed: 0, failed: 0, didNotRun: 7 });
    expect(vitestCounts(undefined, undefined)).toMatchObject({ passed: 0, failed: 0, didNotRun: 1 });
    expect(vitestCounts(undefined, []).notes[0]).toContain("could not be listed");
  });
});

describe("Playwright's report", () => {
  it("counts tests under a failed beforeAll, skipped and fixme ones as not run", () => {
    const counts = playwrightCounts(fixture("playwright-broken"));
    expect(counts).toEqual({ passed: 3, failed: 2, didNotRun: 3, notes: [] });
    expect(sum(counts)).toBe(8);
  });

  it("counts a test that passed on a retry (flaky) as passed", () => {
    expect(playwrightCounts({ stats: { expected: 2, flaky: 1, unexpected: 0, skipped: 0 } })).toMatchObject({ passed: 3, failed: 0, didNotRun: 0 });
  });

  it("counts the tests an interrupted run never reached as not run, and says why it stopped", () => {
    const counts = playwrightCounts(fixture("playwright-interrupted"));
    expect(counts).toEqual({ passed: 0, failed: 1, didNotRun: 7, notes: ["playwright: Testing stopped early after 1 maximum allowed failures."] });
  });

  it("notes an error outside any test; the run it failed counts as failed", () => {
    const counts = playwrightCounts(fixture("playwright-load-error"));
    expect(counts).toMatchObject({ passed: 0, failed: 0, didNotRun: 0 });
    expect(counts.notes).toEqual(["playwright: Error: Cannot find module '/repo/e2e2/nope.ts' imported from /repo/e2e2/c.spec.ts"]);
    expect(total([{ label: "playwright", ok: false, counts }])).toMatchObject({ failed: 1 });
  });

  it("with no report (the runner crashed), counts the listed tests as not run, or one when none could be listed", () => {
    expect(playwrightCounts(undefined, fixture("playwright-list"))).toMatchObject({ passed: 0, failed: 0, didNotRun: 8 });
    expect(playwrightCounts(undefined, undefined)).toMatchObject({ passed: 0, failed: 0, didNotRun: 1 });
  });
});

describe("the closing line", () => {
  const green: Counts = { passed: 5, failed: 0, didNotRun: 0, notes: [] };

  it("sums the stages; a failed stage with no failed or unrun test (the type check) counts as one failure", () => {
    expect(
      total([
        { label: "type check", ok: true },
        { label: "vitest", ok: true, counts: green },
      ]),
    ).toEqual({ ...green, failedStages: [] });
    expect(
      total([
        { label: "type check", ok: false },
        { label: "vitest", ok: true, counts: green },
      ]),
    ).toEqual({
      ...green,
      failed: 1,
      notes: ["type check failed: counted as one failure"],
      failedStages: ["type check"],
    });
    // A runner that failed its own tests adds nothing for the stage itself.
    const red = vitestCounts(fixture("vitest-broken"), fixture("vitest-list"));
    expect(
      total([
        { label: "vitest", ok: false, counts: red },
        { label: "playwright", ok: true, counts: green },
      ]),
    ).toMatchObject({
      passed: 6,
      failed: 1,
      didNotRun: 7,
      failedStages: ["vitest"],
    });
  });

  it("names every failed stage, the checks before the tests included, each counted once", () => {
    const sum = total([
      { label: "lint", ok: false },
      { label: "layer check", ok: false },
      { label: "type check", ok: true },
      { label: "vitest", ok: true, counts: green },
    ]);
    expect(sum).toEqual({
      ...green,
      failed: 2,
      notes: ["lint failed: counted as one failure", "layer check failed: counted as one failure"],
      failedStages: ["lint", "layer check"],
    });
    expect(closingLine(sum)).toBe("5 passed, 2 failed; failed stages: lint, layer check");
  });

  it("reads `N passed, N failed`, with `, N did not run` when any did not", () => {
    expect(closingLine(green)).toBe("5 passed, 0 failed");
    expect(closingLine({ passed: 1, failed: 1, didNotRun: 23, notes: [] })).toBe("1 passed, 1 failed, 23 did not run");
    expect(closingLine({ ...green, failedStages: [] })).toBe("5 passed, 0 failed");
    expect(closingLine({ passed: 1, failed: 1, didNotRun: 23, notes: [], failedStages: ["vitest"] })).toBe(
      "1 passed, 1 failed, 23 did not run; failed stages: vitest",
    );
  });
});
