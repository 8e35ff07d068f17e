import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

/** What `npm pack --json` reports of the tarball it made (or, dry, would make). */
export interface PackReport {
  filename: string;
  files: Array<{ path: string; size: number }>;
}

/**
 * `npm pack` the repository as a user's clean clone would be packed: the `prepack` script
 * builds dist/ first. With `destination`, the tarball lands there; without, a dry run.
 */
export function packLibrary(destination?: string): PackReport {
  const args = ["pack", "--json", ...(destination ? ["--pack-destination", destination] : ["--dry-run"])];
  const result = spawnSync("npm", args, {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
    shell: process.platform === "win32",
  });
  // The lifecycle scripts' banners and tsc's complaints go to stderr; stdout is the JSON alone.
  if (result.status !== 0) throw new Error(`npm ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  const [report] = JSON.parse(result.stdout) as PackReport[];
  return report!;
}
