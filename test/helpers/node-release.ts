import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const cache = join(root, "node_modules", ".cache", "node-releases");

/** The lowest Node release `engines.node` admits (">=22.13.0" → "22.13.0"). */
export function engineFloor(): string {
  const range: string = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).engines.node;
  const floor = /^>=\s*(\d+\.\d+\.\d+)$/.exec(range.trim());
  if (!floor) throw new Error(`engines.node is "${range}": expected ">=X.Y.Z"`);
  return floor[1]!;
}

/**
 * The binary of a given Node release, from the registry package the npm `node` package itself
 * installs (`node-<os>-<arch>`), unpacked once under node_modules/.cache. Lets the suite run the
 * library on the lowest Node it declares, whatever Node runs the suite.
 */
export function nodeRelease(version: string): string {
  const platform = process.platform === "win32" ? "win" : process.platform;
  const arch = platform === "win" && process.arch === "ia32" ? "x86" : process.arch;
  const prefix = process.platform === "darwin" && process.arch === "arm64" ? "node-bin" : "node";
  const dir = join(cache, `${prefix}-${platform}-${arch}-${version}`);
  if (!existsSync(join(dir, "package.json"))) {
    mkdirSync(cache, { recursive: true });
    const work = mkdtempSync(join(cache, "unpack-"));
    try {
      const spec = `${prefix}-${platform}-${arch}@${version}`;
      const pack = spawnSync("npm", ["pack", spec, "--prefer-offline", "--json", "--pack-destination", work], {
        encoding: "utf8",
        shell: process.platform === "win32",
      });
      if (pack.status !== 0) throw new Error(`npm pack ${spec} failed:\n${pack.stderr}`);
      const [{ filename }] = JSON.parse(pack.stdout) as [{ filename: string }];
      const untar = spawnSync("tar", ["-xzf", join(work, filename), "-C", work], { encoding: "utf8" });
      if (untar.status !== 0) throw new Error(`tar could not unpack ${filename}:\n${untar.stderr}`);
      // Another run may have unpacked the same release meanwhile: keep whichever landed first.
      if (!existsSync(join(dir, "package.json"))) renameSync(join(work, "package"), dir);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const { bin } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { bin: { node: string } };
  const binary = join(dir, bin.node);
  const probe = spawnSync(binary, ["--version"], { encoding: "utf8" });
  if (probe.stdout.trim() !== `v${version}`) throw new Error(`${binary} reports ${probe.stdout.trim() || probe.stderr}, not v${version}`);
  return binary;
}
