// Figures for the benchmarks: medians over repeated runs with their spread, the machine
// they ran on, and the result file each benchmark writes for bench/report.mjs.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, platform, release, totalmem } from "node:os";
import { join } from "node:path";

/** A table of display-ready cells. */
export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
}

/** One panel of the report's chart: horizontal bars, optionally with a whisker per bar. */
export interface Chart {
  title: string;
  unit: string;
  bars: Array<{ label: string; value: number; low?: number; high?: number; ours?: boolean }>;
}

/** What each benchmark writes to `bench/results/<bench>.json`; bench/report.mjs merges them. */
export interface BenchResult {
  bench: string;
  title: string;
  date: string;
  machine: ReturnType<typeof machine>;
  tables: Table[];
  charts?: Chart[];
  /** Rows for the README's summary table; `ratio` is theirs over ours (above 1: ours costs less). */
  headline?: Array<{ measure: string; ours: string; against: string; ratio: string }>;
  /** Stated goals and whether this run met them. */
  goals?: Array<{ goal: string; met: boolean; figure: string }>;
  notes?: string[];
  /** The raw figures, for anyone who wants more than the tables show. */
  figures?: unknown;
}

export const RESULTS_DIR = join(import.meta.dirname, "..", "results");

/** A figure measured over several runs: the median, and the lowest and highest run. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function summarize(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError("no runs to summarize");
  const sorted = [...values].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), min: sorted[0]!, max: sorted.at(-1)!, runs: sorted.length };
}

/** The q-quantile of ascending `sorted`, interpolated. */
export function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** `value` with the number of significant digits a reader can use. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 10 ** digits) return Math.round(value).toLocaleString("en-US");
  return Number(value.toPrecision(digits)).toLocaleString("en-US", { maximumFractionDigits: 6 });
}

/** "12.3 (11.9–13.0)": median with the range of the runs. */
export const fmtSpread = (s: Spread, digits = 3) => `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;

/** "×1.23" */
export const fmtRatio = (ratio: number) => `×${fmt(ratio, 3)}`;

export function machine() {
  const cpu = cpus();
  return {
    node: process.version,
    os: `${platform()} ${release()}`,
    cpu: cpu[0]?.model.trim() ?? "unknown",
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

/** Print a table as aligned text, so every figure is on stdout too. */
export function printTable(title: string, columns: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (c ?? "").padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(columns));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

/** Write `bench/results/<name>.json` and print its tables. */
export function writeResult(result: Omit<BenchResult, "date" | "machine">): void {
  const full: BenchResult = { ...result, date: new Date().toISOString(), machine: machine() };
  for (const table of full.tables) printTable(table.title, table.columns, table.rows);
  for (const note of full.notes ?? []) console.log(`note: ${note}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${result.bench}.json`);
  writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
}
