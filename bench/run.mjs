// `npm run bench [-- name…]`: run every bench/*.bench.{mjs,ts} (or those whose name contains
// one of the arguments), each in its own Node process so none warms the JIT or caches for
// another, then merge their results with bench/report.mjs. Stops at the first failure.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const here = import.meta.dirname;
const filters = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((file) => /\.bench\.(?:mjs|ts)$/.test(file))
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (benches.length === 0) {
  console.error(`no benchmark matches ${filters.join(", ") || "bench/*.bench.{mjs,ts}"}`);
  process.exit(1);
}

// The library's sources are TypeScript with parameter properties, which need transforming,
// not just stripping; register.mjs resolves the `next/*` imports Node cannot find alone.
const register = join(here, "support", "register.mjs");
// --expose-gc: the forged-flood benchmark measures the heap after full collections.
const nodeArgs = [
  "--experimental-transform-types",
  "--disable-warning=ExperimentalWarning",
  "--expose-gc",
  ...(existsSync(register) ? ["--import", register] : []),
];

for (const bench of benches) {
  console.log(`\n=== ${bench}`);
  const { status, signal } = spawnSync(process.execPath, [...nodeArgs, join(here, bench)], { stdio: "inherit" });
  if (status !== 0) {
    console.error(`${bench} failed (${signal ?? `exit ${status}`})`);
    process.exit(status || 1);
  }
}

const report = join(here, "report.mjs");
if (existsSync(report)) {
  const { status } = spawnSync(process.execPath, [report], { stdio: "inherit" });
  process.exit(status ?? 1);
}
