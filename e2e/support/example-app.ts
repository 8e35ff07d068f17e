import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { type CognitoLocalInfo, envFor, startCognitoLocal } from "../../scripts/cognito-local.mjs";
import { freePort } from "../../test/helpers/ports.ts";

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, "../..");
const nextBin = require.resolve("next/dist/bin/next");

/** `middleware.ts` on Edge (the example as committed) or `proxy.ts` on Node (Next 16). */
export type Variant = "middleware" | "proxy";

export interface RunningExample {
  baseURL: string;
  cognito: CognitoLocalInfo;
  /** The session secret the app runs with, for tests that seal their own cookies. */
  secret: string;
  /** Everything the app and cognito-local printed, for diagnosing a failure. */
  log: () => string;
  stop: () => Promise<void>;
}

const PROXY_SOURCE = `import { auth } from "./auth";

export const proxy = auth.middleware;

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
`;

/** The app folder for a variant: app-example itself, or a copy with proxy.ts instead of middleware.ts. */
function appDir(variant: Variant): string {
  if (variant === "middleware") return join(root, "app-example");
  const dir = join(root, ".e2e-app-proxy");
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(root, "app-example"), dir, {
    recursive: true,
    filter: (src) => !/[\\/](\.next[^\\/]*|next-env\.d\.ts)$/.test(src),
  });
  rmSync(join(dir, "middleware.ts"));
  writeFileSync(join(dir, "proxy.ts"), PROXY_SOURCE);
  return dir;
}

// Values that pass config validation at build time; the running app reads the real ones.
const BUILD_ENV = {
  COGNITO_USER_POOL_ID: "local_build",
  COGNITO_CLIENT_ID: "buildclient",
  COGNITO_ISSUER: "http://127.0.0.1:1/local_build",
  COGNITO_DOMAIN: "http://127.0.0.1:1",
  COGNITO_ENDPOINT: "http://127.0.0.1:1/",
  SESSION_SECRET: "build-time-secret-build-time-secret",
  APP_URL: "http://localhost:3000",
};

const built = new Set<Variant>();

/** Build the variant once per process (`next build`, production mode, its own distDir). */
export function buildExample(variant: Variant): { dir: string; distDir: string } {
  const distDir = `.next-e2e-${variant}`;
  const dir = variant === "middleware" ? join(root, "app-example") : join(root, ".e2e-app-proxy");
  if (built.has(variant) && existsSync(join(dir, distDir, "BUILD_ID"))) return { dir, distDir };
  const source = appDir(variant);
  const result = spawnSync(process.execPath, [nextBin, "build", source], {
    cwd: root,
    env: { ...process.env, ...BUILD_ENV, NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`next build (${variant}) failed:\n${result.stdout}\n${result.stderr}`);
  built.add(variant);
  return { dir: source, distDir };
}

async function waitFor(url: string, child: ChildProcess, log: () => string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${log()}`);
    try {
      await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(2000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`next start did not answer in time:\n${log()}`);
}

/**
 * Build (once) and start the example app in production mode against a fresh embedded
 * Cognito, both on free loopback ports. Stop both by PID with `stop()`.
 */
export async function startExample(
  options: { variant?: Variant; accessTokenTtl?: number; env?: Record<string, string> } = {},
): Promise<RunningExample> {
  const variant = options.variant ?? "middleware";
  const { dir, distDir } = buildExample(variant);
  const port = await freePort();
  const baseURL = `http://localhost:${port}`;
  const idp = await startCognitoLocal({
    port: await freePort(),
    appUrl: baseURL,
    ...(options.accessTokenTtl ? { accessTokenTtl: options.accessTokenTtl } : {}),
  });
  const secret = randomBytes(32).toString("base64url");
  let output = "";
  const app = spawn(process.execPath, [nextBin, "start", dir, "-p", String(port), "-H", "127.0.0.1"], {
    cwd: root,
    env: {
      ...process.env,
      ...envFor(idp.info, baseURL),
      SESSION_SECRET: secret,
      NEXT_DIST_DIR: distDir,
      NEXT_TELEMETRY_DISABLED: "1",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  app.stdout!.on("data", (d) => (output += d));
  app.stderr!.on("data", (d) => (output += d));
  const cognitoLog = () => {
    try {
      return readFileSync(join(idp.dir, "cognito-local.log"), "utf8");
    } catch {
      return "";
    }
  };
  const log = () => `${output}\n--- cognito-local ---\n${cognitoLog()}`;
  const stop = async () => {
    if (app.exitCode === null) {
      const exited = new Promise((r) => app.once("exit", r));
      app.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (app.exitCode === null) app.kill("SIGKILL");
    }
    await idp.stop();
  };
  try {
    await waitFor(`http://127.0.0.1:${port}/`, app, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseURL, cognito: idp.info, secret, log, stop };
}

mkdirSync(join(root, "test-results"), { recursive: true });
