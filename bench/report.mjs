// Merge bench/results/*.json into bench/results/report.md and bench/results/chart.svg, and
// put the headline table into README.md between its bench markers. Run by `npm run bench`
// after the benchmarks; `node bench/report.mjs` alone rebuilds the report from the last results.
//
// Each result file (written by bench/support/stats.ts `writeResult`) holds:
//   { bench, title, date, machine: { node, os, cpu, cores, memoryGiB },
//     tables: [{ title, columns: string[], rows: string[][] }],
//     charts?: [{ title, unit, bars: [{ label, value, low?, high?, ours? }] }],
//     goals?: [{ goal, met, figure }],
//     headline?: [{ measure, ours, against, ratio }],
//     notes?: string[], figures?: any }
// A file without `tables` is listed by name only, so any benchmark can drop its JSON here.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const dir = join(root, "bench", "results");
const README = join(root, "README.md");
const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";
// Reading order of the report; benchmarks not listed follow in name order.
const ORDER = ["session-read", "verify", "forged-flood", "e2e", "refresh-storm", "bundle", "cookie-bytes"];

const escapeCell = (s) => String(s).replace(/\|/g, "\\|").replace(/\n/g, " ");
const escapeXml = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function markdownTable(columns, rows) {
  return [
    `| ${columns.map(escapeCell).join(" | ")} |`,
    `| ${columns.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(escapeCell).join(" | ")} |`),
  ].join("\n");
}

function load() {
  if (!existsSync(dir)) return [];
  const results = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ file: f, ...JSON.parse(readFileSync(join(dir, f), "utf8")) }));
  const rank = (r) => {
    const i = ORDER.indexOf(r.bench ?? r.file.replace(/\.json$/, ""));
    return i === -1 ? ORDER.length : i;
  };
  return results.sort((a, b) => rank(a) - rank(b) || a.file.localeCompare(b.file));
}

/** A figure as a chart label shows it: whole numbers from 100 up, three digits below. */
function short(value) {
  if (value >= 100) return Math.round(value).toLocaleString("en-US");
  return Number(value.toPrecision(3)).toString();
}

/** All charts of all results as one SVG: one panel of horizontal bars per chart. */
function chartSvg(charts) {
  const width = 1000;
  const labelWidth = 390;
  const barArea = width - labelWidth - 110;
  const barHeight = 18;
  const gap = 6;
  let y = 16;
  const parts = [];
  for (const chart of charts) {
    parts.push(`<text x="16" y="${y + 14}" class="title">${escapeXml(chart.title)}</text>`);
    y += 28;
    const max = Math.max(...chart.bars.map((b) => Math.max(b.value, b.high ?? 0))) || 1;
    const scale = (v) => (v / max) * barArea;
    for (const bar of chart.bars) {
      const w = Math.max(1, scale(bar.value));
      parts.push(`<text x="${labelWidth - 8}" y="${y + 13}" text-anchor="end" class="label">${escapeXml(bar.label)}</text>`);
      parts.push(`<rect x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" class="${bar.ours ? "ours" : "peer"}"/>`);
      if (bar.low !== undefined && bar.high !== undefined && bar.high > bar.low) {
        const x1 = labelWidth + scale(bar.low);
        const x2 = labelWidth + scale(bar.high);
        const mid = y + barHeight / 2;
        parts.push(`<path d="M${x1.toFixed(1)} ${mid}H${x2.toFixed(1)}M${x1.toFixed(1)} ${mid - 4}v8M${x2.toFixed(1)} ${mid - 4}v8" class="whisker"/>`);
      }
      const end = labelWidth + Math.max(w, bar.high !== undefined ? scale(bar.high) : 0);
      parts.push(`<text x="${(end + 6).toFixed(1)}" y="${y + 13}" class="value">${escapeXml(`${short(bar.value)} ${chart.unit}`)}</text>`);
      y += barHeight + gap;
    }
    y += 18;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
    "<style>.title{font-size:14px;font-weight:600;fill:#111}.label{font-size:12px;fill:#333}.value{font-size:12px;fill:#333}" +
      ".ours{fill:#2563eb}.peer{fill:#9ca3af}.whisker{stroke:#111;stroke-width:1.2;fill:none}</style>",
    `<rect width="${width}" height="${y}" fill="#fff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

function report(results) {
  const lines = ["# Benchmark report", ""];
  const first = results.find((r) => r.machine);
  if (first) {
    const m = first.machine;
    lines.push(`Produced by \`npm run bench\` on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), ${m.os}, Node ${m.node}.`);
    const dates = results
      .map((r) => r.date)
      .filter(Boolean)
      .sort();
    if (dates.length)
      lines.push(
        `Runs from ${dates[0]} to ${dates.at(-1)}. Every figure is a median over repeated runs; ranges are the lowest and highest run; every ratio compares figures from the same run.`,
      );
    lines.push("");
  }
  lines.push("![benchmark chart](chart.svg)", "");
  for (const result of results) {
    lines.push(`## ${result.title ?? result.bench ?? result.file}`, "");
    if (!Array.isArray(result.tables)) {
      lines.push(`(${result.file}: no tables)`, "");
      continue;
    }
    for (const goal of result.goals ?? []) lines.push(`- ${goal.met ? "✅ met" : "❌ missed"}: ${goal.goal} (${goal.figure})`);
    if (result.goals?.length) lines.push("");
    for (const table of result.tables) lines.push(`**${table.title}**`, "", markdownTable(table.columns, table.rows), "");
    for (const note of result.notes ?? []) lines.push(`- ${note}`);
    if (result.notes?.length) lines.push("");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** The compact table the README shows: each result's headline rows and goals. */
function headline(results) {
  const rows = [];
  for (const result of results) for (const h of result.headline ?? []) rows.push([h.measure, h.ours, h.against, h.ratio]);
  const goals = results.flatMap((r) => r.goals ?? []);
  const m = results.find((r) => r.machine)?.machine;
  return [
    markdownTable(["measure", "next-cognito-session", "against", "ratio"], rows),
    "",
    "Ratio: for costs, times and sizes, the other figure over ours (above 1: ours is smaller); for throughput, ours over the other (below 1: ours serves fewer requests).",
    "",
    // Each goal with the figure this run measured for it.
    ...(goals.length
      ? [
          markdownTable(
            ["goal", "measured", "met"],
            goals.map((g) => [g.goal, g.figure, g.met ? "✅" : "❌"]),
          ),
          "",
        ]
      : []),
    m
      ? `Measured with \`npm run bench\` on ${m.cores} cores (${m.cpu}), Node ${m.node}, ${
          results
            .map((r) => r.date)
            .filter(Boolean)
            .sort()
            .at(-1)
            ?.slice(0, 10) ?? ""
        }.`
      : "",
  ].join("\n");
}

const results = load();
const charts = results.flatMap((r) => r.charts ?? []);
writeFileSync(join(dir, "report.md"), report(results));
writeFileSync(join(dir, "chart.svg"), chartSvg(charts));
console.log(`wrote ${join(dir, "report.md")} and ${join(dir, "chart.svg")} from ${results.length} result file(s)`);

if (existsSync(README)) {
  const readme = readFileSync(README, "utf8");
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start !== -1 && end > start) {
    const next = `${readme.slice(0, start + START.length)}\n${headline(results)}\n${readme.slice(end)}`;
    if (next !== readme) writeFileSync(README, next);
    console.log("updated the README's performance table");
  }
}
