// What the tests need besides npm packages: Debian's `redis-server` (the Redis tests start
// their own) and a Chromium (Playwright drives it; it cannot download its own here).
// `npm test` looks for both before it starts anything; the Redis test helper names the same
// install command when it cannot start the server.
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Where Debian and Ubuntu install Chromium. */
const SYSTEM_CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

/**
 * The Chromium the end-to-end tests launch: `PLAYWRIGHT_CHROMIUM_PATH`, else the system's;
 * undefined leaves Playwright to launch its own build.
 * @param {Record<string, string | undefined>} [env]
 * @returns {string | undefined}
 */
export function chromiumPath(env = process.env) {
  return env.PLAYWRIGHT_CHROMIUM_PATH || SYSTEM_CHROMIUM.find((path) => existsSync(path));
}

/**
 * Whether an executable named `name` is on `env.PATH`.
 * @param {string} name
 * @param {Record<string, string | undefined>} [env]
 */
export function onPath(name, env = process.env) {
  return (env.PATH ?? "").split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The one command that installs Debian's `packages`, prefixed with sudo unless run as root.
 * @param {readonly string[]} packages
 * @param {number | undefined} [uid]
 */
export function installCommand(packages, uid = process.getuid?.()) {
  const sudo = uid === 0 ? "" : "sudo ";
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(" ")}`;
}

/**
 * The Debian packages the tests need and this machine lacks, in install order.
 * `playwrightChromium` is where Playwright's own browser would be, used when neither
 * `PLAYWRIGHT_CHROMIUM_PATH` nor a system Chromium is there.
 * @param {{ env?: Record<string, string | undefined>, playwrightChromium?: string }} [options]
 * @returns {string[]}
 */
export function missingPackages({ env = process.env, playwrightChromium } = {}) {
  const missing = [];
  if (!onPath("redis-server", env)) missing.push("redis-server");
  const chromium = chromiumPath(env) ?? playwrightChromium;
  if (!chromium || !existsSync(chromium)) missing.push("chromium");
  return missing;
}

/**
 * What `npm test` prints, before running anything, when packages are missing.
 * @param {readonly string[]} missing
 * @param {number | undefined} [uid]
 */
export function missingMessage(missing, uid = process.getuid?.()) {
  const names = missing.join(" and ");
  const lines = [
    `npm test needs ${names} (Debian ${missing.length === 1 ? "package" : "packages"}), not found on this machine. Install with:`,
    `  ${installCommand(missing, uid)}`,
  ];
  if (missing.includes("chromium")) lines.push("or point PLAYWRIGHT_CHROMIUM_PATH at a Chromium executable.");
  lines.push("Then run npm test again.");
  return lines.join("\n");
}
