import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { installCommand, missingMessage, missingPackages } from "../scripts/prerequisites.mjs";
import { RedisServer } from "./helpers/redis.ts";

const root = join(import.meta.dirname, "..");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A directory holding `files`: name → [script, executable]. */
function binDir(files: Record<string, [string, boolean]>): string {
  const dir = mkdtempSync(join(tmpdir(), "ncs-bin-"));
  dirs.push(dir);
  for (const [name, [script, executable]] of Object.entries(files)) {
    writeFileSync(join(dir, name), script);
    chmodSync(join(dir, name), executable ? 0o755 : 0o644);
  }
  return dir;
}

describe("what the tests need besides npm packages", () => {
  const tools = binDir({ "redis-server": ["#!/bin/sh\n", true], chromium: ["#!/bin/sh\n", true] });
  const empty = binDir({ "redis-server": ["#!/bin/sh\n", false] });

  it("finds redis-server on PATH and the Chromium PLAYWRIGHT_CHROMIUM_PATH names", () => {
    expect(missingPackages({ env: { PATH: tools, PLAYWRIGHT_CHROMIUM_PATH: join(tools, "chromium") } })).toEqual([]);
  });

  it("names each one missing: no executable redis-server on PATH, no Chromium where it is said to be", () => {
    expect(missingPackages({ env: { PATH: empty, PLAYWRIGHT_CHROMIUM_PATH: join(tools, "chromium") } })).toEqual(["redis-server"]);
    expect(missingPackages({ env: { PATH: tools, PLAYWRIGHT_CHROMIUM_PATH: join(empty, "chromium") } })).toEqual(["chromium"]);
    expect(missingPackages({ env: { PATH: "", PLAYWRIGHT_CHROMIUM_PATH: join(empty, "chromium") } })).toEqual(["redis-server", "chromium"]);
  });

  it("gives the one command that installs them, with sudo unless root", () => {
    expect(installCommand(["redis-server", "chromium"], 0)).toBe("apt-get update && apt-get install -y redis-server chromium");
    expect(installCommand(["redis-server"], 1000)).toBe("sudo apt-get update && sudo apt-get install -y redis-server");
    const message = missingMessage(["redis-server", "chromium"], 1000);
    expect(message).toContain("sudo apt-get update && sudo apt-get install -y redis-server chromium");
    expect(message).toContain("PLAYWRIGHT_CHROMIUM_PATH");
    expect(missingMessage(["redis-server"], 1000)).not.toContain("PLAYWRIGHT_CHROMIUM_PATH");
  });

  it("npm test stops at once, before any stage, with that command when something is missing", () => {
    const result = spawnSync(process.execPath, [join(root, "scripts/test.mjs")], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, PATH: empty, PLAYWRIGHT_CHROMIUM_PATH: join(empty, "chromium") },
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).not.toContain("==");
    expect(result.stderr.trim()).toBe(missingMessage(["redis-server", "chromium"]));
  });
});

describe("the Redis test server says why it did not start", () => {
  const withPath = async (path: string) => {
    const saved = process.env.PATH;
    process.env.PATH = path;
    try {
      return await RedisServer.start().then(
        async (server) => {
          await server.stop();
          return "started";
        },
        (error: Error) => error.message,
      );
    } finally {
      process.env.PATH = saved;
    }
  };

  it("not installed: says so and how to install it", async () => {
    expect(await withPath(binDir({}))).toBe(
      `redis-server did not start: it is not installed (not found on PATH). Install it with: ${installCommand(["redis-server"])}`,
    );
  });

  it("exited without a word: says so and with which code", async () => {
    expect(await withPath(binDir({ "redis-server": ["#!/bin/sh\nexit 3\n", true] }))).toBe(
      "redis-server did not start: it exited with code 3, printing nothing",
    );
  });
});
