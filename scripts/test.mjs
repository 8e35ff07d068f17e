// `npm test`: type check, unit + integration tests (vitest), end-to-end tests (Playwright).
// Ends with one line, "N passed, N failed", summing both runners.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

// The packages' own entry scripts, run with this Node (the pinned 24), not a shell shim's.
const bin = (name) => join(import.meta.dirname, "..", "node_modules", ".bin", name);
const run = (label, args) => {
  console.log(`\n== ${label}`);
  const started = Date.now();
  const result = spawnSync(process.execPath, args, { stdio: "inherit", env: { ...process.env, FORCE_COLOR: "0" } });
  console.log(`== ${label}: ${result.status === 0 ? "ok" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return result.status === 0;
};

const reports = "test-results";
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const ok = [
  run("type check", [bin("tsc"), "--noEmit", "-p", "tsconfig.json"]),
  run("vitest (unit + integration)", [
    bin("vitest"),
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${reports}/vitest.json`,
  ]),
  run("playwright (end to end)", [bin("playwright"), "test"]),
];

let passed = 0;
let failed = 0;
const read = (file) => (existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined);
const vitest = read(`${reports}/vitest.json`);
if (vitest) {
  passed += vitest.numPassedTests;
  failed += vitest.numFailedTests;
}
const playwright = read(`${reports}/playwright.json`);
if (playwright) {
  passed += playwright.stats.expected + (playwright.stats.flaky ?? 0);
  failed += playwright.stats.unexpected;
}
if (!ok.every(Boolean) && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(ok.every(Boolean) ? 0 : 1);
