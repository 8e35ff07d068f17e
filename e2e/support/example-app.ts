import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { type CodeFeed, type CognitoLocalInfo, envFor, startCognitoLocal } from "../../scripts/cognito-local.mjs";
import { freePort } from "../../test/helpers/ports.ts";
import { type IdentityLocalInfo, identityEnvFor, startIdentityLocal } from "../../scripts/identity-local.mjs";
import type { TestIdentityPool } from "../../src/testing/identity-pool.ts";
import { writeTracedFiles } from "./traced-app.ts";

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, "../..");
const nextBin = require.resolve("next/dist/bin/next");

/**
 * `proxy.ts` on Node (the example as committed, Next 16's convention), `middleware.ts` on
 * Edge (Next 15's, still supported on 16), and for the benchmarks' baselines `none` (no
 * middleware; pages and handlers still verify) and `bare` (a middleware.ts that only passes
 * requests on: what Next's middleware costs alone).
 */
export type Variant = "middleware" | "proxy" | "none" | "bare" | "traced";

export interface RunningExample {
  baseURL: string;
  cognito: CognitoLocalInfo;
  /** The embedded identity pool and S3 the app uses (the packed-package app runs without). */
  identity?: IdentityLocalInfo;
  /** The embedded identity pool itself: what it was asked and what it issued. */
  identityPool?: TestIdentityPool;
  /** The codes its embedded Cognito delivers (sign-up, reset, MFA, attribute); none when the Cognito was handed in. */
  codes?: CodeFeed | undefined;
  /** The session secret the app runs with, for tests that seal their own cookies. */
  secret: string;
  /** Everything the app and cognito-local printed, for diagnosing a failure. */
  log: () => string;
  stop: () => Promise<void>;
}

const BARE_SOURCE = `import { NextResponse } from "next/server";

export const middleware = () => NextResponse.next();

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
`;

/** The Edge variant, as the README shows it: the middleware alone, without the server APIs auth.ts carries. */
const MIDDLEWARE_SOURCE = `import { createCognitoMiddleware } from "next-cognito-session/middleware";
import { authOptions, type Custom } from "./auth.config";

export const middleware = createCognitoMiddleware<Custom>(authOptions);

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
`;

/** Where a variant is built from: app-example itself, or a copy beside it named by `tag`. */
const sourceDir = (variant: Variant, tag: string) => (variant === "proxy" ? join(root, "app-example") : join(root, `.${tag}-app-${variant}`));

/** The app folder for a variant: app-example itself, or a copy with middleware.ts (Edge, or do-nothing) or none. */
function appDir(variant: Variant, tag: string): string {
  const dir = sourceDir(variant, tag);
  if (variant === "proxy") return dir;
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(root, "app-example"), dir, {
    recursive: true,
    filter: (src) => !/[\\/](\.next[^\\/]*|next-env\.d\.ts)$/.test(src),
  });
  // `traced`: proxy.ts kept, and the OpenTelemetry SDK registered in instrumentation.ts (e2e/support/traced-app.ts).
  if (variant === "traced") return writeTracedFiles(dir);
  rmSync(join(dir, "proxy.ts"));
  if (variant === "middleware") writeFileSync(join(dir, "middleware.ts"), MIDDLEWARE_SOURCE);
  if (variant === "bare") writeFileSync(join(dir, "middleware.ts"), BARE_SOURCE);
  return dir;
}

/** Values that pass config validation at build time; the running app reads the real ones. */
export const BUILD_ENV = {
  COGNITO_USER_POOL_ID: "local_build",
  COGNITO_CLIENT_ID: "buildclient",
  COGNITO_ISSUER: "http://127.0.0.1:1/local_build",
  COGNITO_DOMAIN: "http://127.0.0.1:1",
  COGNITO_ENDPOINT: "http://127.0.0.1:1/",
  SESSION_SECRET: "build-time-secret-build-time-secret",
  APP_URL: "http://localhost:3000",
};

const built = new Set<string>();

/**
 * Build the variant once per process (`next build`, production mode, its own distDir).
 * `tag` names the build's folders (`.next-<tag>-<variant>`), so the e2e run and the
 * benchmarks never build into each other's.
 */
export function buildExample(variant: Variant, tag = "e2e"): { dir: string; distDir: string } {
  const distDir = `.next-${tag}-${variant}`;
  const dir = sourceDir(variant, tag);
  if (built.has(distDir) && existsSync(join(dir, distDir, "BUILD_ID"))) return { dir, distDir };
  const source = appDir(variant, tag);
  const result = spawnSync(process.execPath, [nextBin, "build", source], {
    cwd: root,
    env: { ...process.env, ...BUILD_ENV, NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`next build (${variant}) failed:\n${result.stdout}\n${result.stderr}`);
  built.add(distDir);
  return { dir: source, distDir };
}

/** Resolve once `url` answers at all; throw with the log if `child` exits or `ms` pass first. */
export async function waitFor(url: string, child: ChildProcess, log: () => string, ms = 60_000): Promise<void> {
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
  options: {
    variant?: Variant;
    accessTokenTtl?: number;
    env?: Record<string, string>;
    tag?: string;
    /** An embedded Cognito already running (several instances of one app); it is left running by `stop()`. */
    idp?: CognitoLocalInfo;
  } = {},
): Promise<RunningExample> {
  const variant = options.variant ?? "middleware";
  const { dir, distDir } = buildExample(variant, options.tag);
  const port = await freePort();
  const baseURL = `http://localhost:${port}`;
  const idp = options.idp
    ? { info: options.idp, dir: "", stop: async () => {}, codes: undefined }
    : await startCognitoLocal({
        port: await freePort(),
        appUrl: baseURL,
        ...(options.accessTokenTtl ? { accessTokenTtl: options.accessTokenTtl } : {}),
      });
  const identity = await startIdentityLocal(idp.info, { appUrl: baseURL }).catch(async (error) => {
    await idp.stop();
    throw error;
  });
  const secret = options.env?.SESSION_SECRET ?? randomBytes(32).toString("base64url");
  let output = "";
  const app = spawn(process.execPath, [nextBin, "start", dir, "-p", String(port), "-H", "127.0.0.1"], {
    cwd: root,
    env: {
      ...process.env,
      ...envFor(idp.info, baseURL),
      ...identityEnvFor(identity.info),
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
    await identity.stop();
    await idp.stop();
  };
  try {
    await waitFor(`http://127.0.0.1:${port}/`, app, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseURL, cognito: idp.info, codes: idp.codes, identity: identity.info, identityPool: identity.pool, secret, log, stop };
}

mkdirSync(join(root, "test-results"), { recursive: true });
