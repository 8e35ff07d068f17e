// The checks `npm test` runs before the type check can fail: each is run, as `npm run <name>`
// runs it, on a copy of src/ with a planted fault, and must report that fault under the rule
// that forbids it; the copy without a plant passes.
import { execFile } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { scriptArgs } from "../scripts/npm-script.mjs";

const root = join(import.meta.dirname, "..");

// The stack, lowest first, pinned here rather than read from the configuration under test.
const LAYERS = ["lib", "store", "config", "verify", "cognito", "persistence", "session", "http", "flows", "next"];
/** The entry points: the files directly in src/. */
const ENTRIES = readdirSync(join(root, "src")).filter((name) => name.endsWith(".ts"));
/** One module of `layer`, as a path under src/. */
const moduleOf = (layer: string) => `${layer}/${readdirSync(join(root, "src", layer)).filter((name) => name.endsWith(".ts"))[0]}`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A temporary copy of src/ and of `files` (the configuration a check reads), with the
 * repository's node_modules linked in and `plants` (path → text) written over it.
 */
function treeWith(files: string[], plants: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "ncs-checks-"));
  dirs.push(dir);
  for (const file of ["src", ...files]) cpSync(join(root, file), join(dir, file), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  for (const [path, text] of Object.entries(plants)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Runs package.json's script `name` in `dir`, with `extra` arguments: its exit status and output. */
function run(dir: string, name: string, extra: string[] = []): Promise<{ status: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...scriptArgs(name), ...extra],
      { cwd: dir, env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === "number" ? error.code : -1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe("the layer check (npm run check:layers)", () => {
  const CONFIG = [".dependency-cruiser.cjs", "tsconfig.json"];

  /**
   * Every violation the layer check reports in `dir`, as `rule: from → to` (then `, cycle: …`
   * for a cycle), sorted. Each is an error, which is what makes the check exit non-zero (shown
   * once, on the command as `npm run check:layers` runs it, below).
   */
  async function violations(dir: string): Promise<string[]> {
    const { output } = await run(dir, "check:layers", ["--output-type", "json"]);
    const report = JSON.parse(output) as {
      summary: { error: number; violations: Array<{ rule: { name: string }; from: string; to: string; cycle?: Array<{ name: string }> }> };
    };
    expect(report.summary.error).toBe(report.summary.violations.length);
    return report.summary.violations
      .map(({ rule, from, to, cycle }) => `${rule.name}: ${from} → ${to}${cycle ? `, cycle: ${cycle.map(({ name }) => name).join(" → ")}` : ""}`)
      .sort();
  }

  it("passes the real src/, copied as is", async () => {
    const dir = treeWith(CONFIG, {});
    expect(await violations(dir)).toEqual([]);
    expect(await run(dir, "check:layers")).toMatchObject({ status: 0 });
  });

  it("reports an import of any layer above under the importing layer's rule, and fails; imports of the same layer or below pass", async () => {
    const plants: Record<string, string> = {};
    const expected: string[] = [];
    LAYERS.forEach((layer, below) => {
      LAYERS.forEach((other, index) => {
        const from = `src/${layer}/planted-${other}.ts`;
        plants[from] = `import "../${moduleOf(other)}";\n`;
        if (index > below) expected.push(`no-upward-from-${layer}: ${from} → src/${moduleOf(other)}`);
      });
    });
    const dir = treeWith(CONFIG, plants);
    expect(expected).toHaveLength(45);
    expect(await violations(dir)).toEqual(expected.sort());
    const check = await run(dir, "check:layers");
    expect(check.status, check.output).not.toBe(0);
    expect(check.output).toContain("error no-upward-from-lib: src/lib/planted-store.ts → src/store/");
  });

  it("reports a cycle through a module of src/", async () => {
    const existing = moduleOf("lib");
    const dir = treeWith(CONFIG, { "src/lib/planted-cycle.ts": `import "../${existing}";\n` });
    appendFileSync(join(dir, "src", existing), `import "./planted-cycle.ts";\n`);
    // One violation per cycle, from whichever of its modules the checker reached first.
    expect(await violations(dir)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^no-cycles: (src/${existing} → src/lib/planted-cycle\\.ts, cycle: src/lib/planted-cycle\\.ts → src/${existing}` +
            `|src/lib/planted-cycle\\.ts → src/${existing}, cycle: src/${existing} → src/lib/planted-cycle\\.ts)$`,
        ),
      ),
    ]);
  });

  it("reports a next/* import outside src/next/, in every layer; a type-only one passes", async () => {
    const plants: Record<string, string> = {};
    const expected: string[] = [];
    for (const layer of LAYERS) {
      plants[`src/${layer}/planted-next.ts`] = `import { NextResponse } from "next/server.js";\nexport const planted = NextResponse;\n`;
      plants[`src/${layer}/planted-next-type.ts`] = `import type { NextRequest } from "next/server.js";\nexport type Planted = NextRequest;\n`;
      if (layer !== "next") expected.push(`next-only-in-next: src/${layer}/planted-next.ts`);
    }
    plants["src/flows/planted-next-headers.ts"] = `import { headers } from "next/headers.js";\nexport const planted = headers;\n`;
    expected.push("next-only-in-next: src/flows/planted-next-headers.ts");
    const dir = treeWith(CONFIG, plants);
    const found = await violations(dir);
    // Where next/ resolves depends on how node_modules is laid out (here a link): only its tail is fixed.
    expect(found.map((violation) => violation.replace(/ → .*node_modules\/next\/(server|headers)\.js$/, ""))).toEqual(expected.sort());
  });

  it("reports an entry point imported from inside any layer", async () => {
    expect(ENTRIES).toContain("index.ts");
    const plants: Record<string, string> = {};
    const expected: string[] = [];
    for (const layer of LAYERS) {
      for (const entry of ENTRIES) {
        const from = `src/${layer}/planted-entry-${entry}`;
        plants[from] = `import "../${entry}";\n`;
        expected.push(`entries-not-imported: ${from} → src/${entry}`);
        // An entry point is no layer: for every layer, it is also above.
        expected.push(`no-upward-from-${layer}: ${from} → src/${entry}`);
      }
    }
    const dir = treeWith(CONFIG, plants);
    expect(await violations(dir)).toEqual(expected.sort());
  });
});

describe("the lint (npm run lint)", () => {
  const CONFIG = ["biome.json", ".gitignore"];

  it("passes the real src/, copied as is", async () => {
    expect(await run(treeWith(CONFIG, {}), "lint")).toMatchObject({ status: 0 });
  });

  it.each([
    [
      "a lint error",
      "lint/suspicious/noAssignInExpressions",
      "export function planted(a: number): number {\n  let b = 0;\n  if ((b = a)) return b;\n  return 0;\n}\n",
    ],
    [
      "a lint warning (warnings fail too)",
      "lint/correctness/noUnusedVariables",
      "export function planted(a: number): number {\n  const unused = a;\n  return a;\n}\n",
    ],
    ["a file the formatter would change", "format", "export const planted = { a: 'single quotes' }\n"],
  ])("fails on %s, naming it", async (_, diagnostic, text) => {
    const check = await run(treeWith(CONFIG, { "src/lib/planted.ts": text }), "lint");
    expect(check.output).toMatch(new RegExp(`src/lib/planted\\.ts(:\\d+:\\d+)? ${diagnostic}`));
    expect(check.status, check.output).not.toBe(0);
  });

  it("checks the whole repository, not src/ alone", async () => {
    // Plain JavaScript, so that it is valid in every kind of file planted.
    const text = "export function planted(a) {\n  let b = 0;\n  if ((b = a)) return b;\n  return 0;\n}\n";
    const files = ["test/planted.test.ts", "e2e/planted.spec.ts", "bench/planted.mjs", "scripts/planted.mjs", "app-example/planted.tsx", "planted.ts"];
    const check = await run(treeWith(CONFIG, Object.fromEntries(files.map((file) => [file, text]))), "lint");
    for (const file of files) expect(check.output).toMatch(new RegExp(`${file.replaceAll(".", "\\.")}:\\d+:\\d+ lint/suspicious/noAssignInExpressions`));
    expect(check.status, check.output).not.toBe(0);
  });
});
