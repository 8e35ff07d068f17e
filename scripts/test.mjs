// `npm test`: lint and format check (Biome), layer check (dependency-cruiser), type check,
// unit + integration tests (vitest), end-to-end tests (Playwright). First checks for what the
// tests need besides npm packages (redis-server, Chromium) and stops at once, naming the
// install command, when any is missing. Every stage runs even when one before it failed.
// Ends with one line, "N passed, N failed" (", N did not run" when some did not), summing
// both runners, with "; failed stages: …" naming each stage that failed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { scriptArgs } from "./npm-script.mjs";
import { chromiumPath, missingMessage, missingPackages } from "./prerequisites.mjs";
import { closingLine, playwrightCounts, total, vitestCounts } from "./test-summary.mjs";

// Playwright's own Chromium counts only where no system one is configured or installed.
const playwrightChromium = chromiumPath() ? undefined : (await import("@playwright/test")).chromium.executablePath();
const missing = missingPackages({ playwrightChromium });
if (missing.length > 0) {
  console.error(missingMessage(missing));
  process.exit(1);
}

// The packages' own entry scripts, run with this Node (the pinned 24), not a shell shim's.
const bin = (name) => join(import.meta.dirname, "..", "node_modules", ".bin", name);
const env = { ...process.env, FORCE_COLOR: "0" };
const run = (label, args) => {
  console.log(`\n== ${label}`);
  const started = Date.now();
  const result = spawnSync(process.execPath, args, { stdio: "inherit", env });
  console.log(`== ${label}: ${result.status === 0 ? "ok" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return result.status === 0;
};
/** A runner's test list (JSON on stdout), to count what did not run; undefined when it cannot list. */
const list = (args) => {
  const result = spawnSync(process.execPath, args, { encoding: "utf8", env, maxBuffer: 64 * 1024 * 1024 });
  try {
    return JSON.parse(result.stdout);
  } catch {
    return undefined;
  }
};
const read = (file) => {
  try {
    return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
  } catch {
    return undefined;
  }
};

const reports = "test-results";
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const stages = [];
stages.push({ label: "lint", ok: run("lint (npm run lint: Biome, formatter and linter)", scriptArgs("lint")) });
stages.push({ label: "layer check", ok: run("layer check (npm run check:layers: dependency-cruiser)", scriptArgs("check:layers")) });
stages.push({ label: "type check", ok: run("type check", scriptArgs("typecheck")) });

const vitestOk = run("vitest (unit + integration)", [
  bin("vitest"),
  "run",
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${reports}/vitest.json`,
]);
const vitest = read(`${reports}/vitest.json`);
// Listing is needed only to count the tests of a file that could not load, or of a run with no report.
const unloaded = !vitest || (vitest.testResults ?? []).some((file) => file.status === "failed" && (file.assertionResults ?? []).length === 0);
stages.push({ label: "vitest", ok: vitestOk, counts: vitestCounts(vitest, unloaded ? list([bin("vitest"), "list", "--json"]) : undefined) });

const playwrightOk = run("playwright (end to end)", [bin("playwright"), "test"]);
const playwright = read(`${reports}/playwright.json`);
stages.push({
  label: "playwright",
  ok: playwrightOk,
  counts: playwrightCounts(playwright, playwright ? undefined : list([bin("playwright"), "test", "--list", "--reporter=json"])),
});

const sum = total(stages);
if (sum.notes.length > 0) console.log(`\n${sum.notes.join("\n")}`);
console.log(`\n${closingLine(sum)}`);
process.exit(stages.every((stage) => stage.ok) ? 0 : 1);
