import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { engineFloor, nodeRelease } from "./helpers/node-release.ts";
import { packLibrary } from "./helpers/pack.ts";

const root = resolve(import.meta.dirname, "..");
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const pkg = readJson(join(root, "package.json")) as {
  name: string;
  exports: Record<string, string | Record<string, string>>;
  dependencies: Record<string, string>;
};

/** Every file `exports` names, without the leading "./". */
const exportedFiles = Object.values(pkg.exports)
  .flatMap((target) => (typeof target === "string" ? [target] : Object.values(target)))
  .map((path) => path.replace(/^\.\//, ""));

/** The import specifiers of the entry points: "next-cognito-session", "next-cognito-session/redis", … */
const entryPoints = Object.keys(pkg.exports)
  .filter((key) => key !== "./package.json")
  .map((key) => (key === "." ? pkg.name : `${pkg.name}/${key.slice(2)}`));

/** What each entry point must export at run time (a value, not only types). */
const expectedExport: Record<string, string> = {
  [pkg.name]: "createCognitoSession",
  [`${pkg.name}/middleware`]: "createCognitoMiddleware",
  [`${pkg.name}/redis`]: "RedisStore",
  [`${pkg.name}/testing`]: "mintUserTokens",
  [`${pkg.name}/client`]: "SessionProvider",
};

/** [major, minor, patch] of a version, or of the bound of a ">=" range; missing parts are 0. */
const lowerBound = (range: string) => {
  const match = /^(?:>=\s*)?v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
  if (!match) throw new Error(`"${range}" is not a plain ">=" bound: compare it by hand`);
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
};
const atLeast = (a: number[], b: number[]) => (a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!) >= 0;

describe("engines.node", () => {
  it("admits no Node release that a runtime dependency refuses", () => {
    const floor = lowerBound(engineFloor());
    const refused = Object.keys(pkg.dependencies).flatMap((name) => {
      const needs: string | undefined = readJson(join(root, "node_modules", name, "package.json")).engines?.node;
      return needs && !atLeast(floor, lowerBound(needs)) ? [`${name} needs ${needs}`] : [];
    });
    expect(refused).toEqual([]);
  });
});

describe("the package npm pack makes", () => {
  let files: string[] = [];

  beforeAll(() => {
    // A clean clone has no dist/, a working copy may hold a stale one: prepack must build it afresh.
    const dist = join(root, "dist");
    rmSync(dist, { recursive: true, force: true });
    mkdirSync(dist);
    writeFileSync(join(dist, "stale-build-output.js"), "export {};\n");
    files = packLibrary().files.map((file) => file.path);
  }, 300_000);

  it("ships the built library, its types, LICENSE, README.md and package.json", () => {
    expect(files).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json", "dist/index.js", "dist/index.d.ts"]));
  });

  it("ships nothing else: no sources, tests, end-to-end tests, benchmarks, example app, scripts or stale build output", () => {
    // Source maps are not emitted, so src/ has nothing to serve; dist/ is tsc's readable ES2022.
    const outside = files.filter((path) => !path.startsWith("dist/") && !["LICENSE", "README.md", "package.json"].includes(path));
    expect(outside).toEqual([]);
    for (const folder of ["src/", "test/", "e2e/", "bench/", "app-example/", "scripts/"]) {
      expect(files.filter((path) => path.startsWith(folder))).toEqual([]);
    }
    expect(files).not.toContain("dist/stale-build-output.js");
    expect(files.filter((path) => path.startsWith("dist/") && !/\.(js|d\.ts)$/.test(path))).toEqual([]);
  });

  it("ships every file package.json exports", () => {
    expect(exportedFiles.length).toBeGreaterThan(entryPoints.length);
    expect(exportedFiles.filter((path) => !files.includes(path))).toEqual([]);
  });

  /** The packages dist/ imports, statically or dynamically (`import(/* … *\/ "redis")` too). */
  const importedPackages = () => {
    const specifiers = new Set<string>();
    for (const file of readdirSync(join(root, "dist"), { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".js")) continue;
      const code = readFileSync(join(root, "dist", file), "utf8");
      for (const [, spec] of code.matchAll(/\b(?:from|import)\s*\(?\s*(?:\/\*.*?\*\/\s*)*"([^"]+)"/g)) {
        if (!spec!.startsWith(".")) specifiers.add(spec!);
      }
    }
    return [...specifiers];
  };

  // A bundler resolves every import it sees, dynamic ones included: an app without the optional
  // OpenTelemetry API would fail to build. The library reaches it through its global registration.
  it("names no @opentelemetry package anywhere in dist/, as an import or otherwise", () => {
    expect(importedPackages().filter((spec) => spec.startsWith("@opentelemetry/"))).toEqual([]);
    for (const file of readdirSync(join(root, "dist"), { recursive: true, encoding: "utf8" })) {
      if (file.endsWith(".js")) expect(readFileSync(join(root, "dist", file), "utf8"), file).not.toMatch(/["']@opentelemetry\//);
    }
  });

  // Outside a bundler (vitest, node --test, Jest with ESM) `next/server` without `.js` does not
  // resolve: next has no exports map. The package imports itself here through its own exports,
  // and resolves every package its code imports, the dynamic imports included.
  // (import.meta.resolve maps a subpath to a URL without looking for the file, hence existsSync.)
  const script = (packages: string[]) => `import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
const out = { unresolved: [] };
for (const entry of ${JSON.stringify(entryPoints)}) out[entry] = Object.keys(await import(entry));
for (const spec of ${JSON.stringify(packages)}) {
  let url = "";
  try { url = import.meta.resolve(spec); } catch {}
  if (!url || (url.startsWith("file:") && !existsSync(fileURLToPath(url)))) out.unresolved.push(spec);
}
console.log(JSON.stringify(out));`;
  const runtimes: Array<[string, () => string]> = [
    [`Node ${process.versions.node} (the suite's)`, () => process.execPath],
    [`Node ${engineFloor()} (the lowest engines.node admits)`, () => nodeRelease(engineFloor())],
  ];
  it.each(runtimes)(
    "every entry point imports, and every package it imports resolves, in plain Node ESM on %s",
    (_, node) => {
      const packages = importedPackages();
      expect(packages).toEqual(expect.arrayContaining(["next/server.js", "next/headers.js", "redis"]));
      const result = spawnSync(node(), ["--input-type=module", "-e", script(packages)], { cwd: root, encoding: "utf8" });
      expect(result.stderr).toBe("");
      const exported = JSON.parse(result.stdout) as Record<string, string[]>;
      for (const entry of entryPoints) expect(exported[entry], entry).toContain(expectedExport[entry]);
      expect(exported.unresolved).toEqual([]);
    },
    180_000,
  );
});
