// Where the packed-package test keeps its tarball and apps: one folder per Playwright run,
// under the OS temp dir, outside the repository.
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const folderOf = (runnerPid: number) => join(tmpdir(), `ncs-packed-${runnerPid}`);

/** Whether the process `pid` still runs. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The run's folder, for a test in a Playwright worker. Named after the runner's pid (the
 * worker's parent), so a worker started after a failure finds the tarball and the installs
 * made before it; folders of runs killed before their teardown are removed.
 */
export function workspace(): string {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^ncs-packed-(\d+)$/.exec(name)?.[1]);
    if (pid && pid !== process.ppid && !alive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  const dir = folderOf(process.ppid);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Playwright's global teardown (playwright.config.ts), in the runner: the run's folder goes
 * with it. KEEP_PACKED_APPS=1 keeps it, to look into a failure.
 */
export default function removeWorkspace(): void {
  if (!process.env.KEEP_PACKED_APPS) rmSync(folderOf(process.pid), { recursive: true, force: true });
}
