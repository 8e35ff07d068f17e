// A new Next app outside the repository that uses the library as a user gets it: the tarball
// `npm pack` makes, installed from the registry next to `next`, `react` and `react-dom`, with
// the README's setup files, built for production and served against the embedded Cognito.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { envFor, startCognitoLocal } from "../../scripts/cognito-local.mjs";
import { packLibrary } from "../../test/helpers/pack.ts";
import { freePort } from "../../test/helpers/ports.ts";
import { BUILD_ENV, type RunningExample, waitFor } from "./example-app.ts";

const root = resolve(import.meta.dirname, "../..");
const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const repoPackage = readJson(join(root, "package.json"));
const installedVersion = (name: string): string => readJson(join(root, "node_modules", name, "package.json")).version;

/** The Next the repository develops with (its pinned devDependency). */
export const HIGHEST_NEXT: string = repoPackage.devDependencies.next;

/**
 * The lowest Next the `next` peer range admits. Each of its alternatives is `^X.Y.Z` or
 * `>=X.Y.Z`, so that is the smallest version the range names.
 */
export const LOWEST_NEXT: string = (() => {
  const range: string = repoPackage.peerDependencies.next;
  const alternatives = range.split("||").map((part) => part.trim());
  const bounds = alternatives.map((part) => /^(?:\^|>=\s*)(\d+)\.(\d+)\.(\d+)$/.exec(part));
  if (bounds.some((bound) => !bound)) throw new Error(`peerDependencies.next "${range}": expected "^X.Y.Z" or ">=X.Y.Z" alternatives`);
  const versions = bounds.map((bound) => bound!.slice(1, 4).map(Number));
  versions.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!);
  return versions[0]!.join(".");
})();

/** `npm pack` the repository into `dir` (prepack builds dist/ from clean), once per run. */
export function packTarball(dir: string): string {
  const tarball = join(dir, `${repoPackage.name}-${repoPackage.version}.tgz`);
  if (!existsSync(tarball)) packLibrary(dir);
  if (!existsSync(tarball)) throw new Error(`npm pack did not write ${tarball}`);
  return tarball;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}) in ${cwd}:\n${result.stdout}\n${result.stderr}`);
}

/** `npm install` in `cwd`, asynchronously: installs of several apps can overlap. */
function npmInstall(cwd: string): Promise<void> {
  const args = ["install", "--prefer-offline", "--no-audit", "--no-fund"];
  return new Promise((resolve, reject) => {
    const child = spawn("npm", args, { cwd, stdio: ["ignore", "pipe", "pipe"], shell: process.platform === "win32" });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`npm ${args.join(" ")} failed (${code}) in ${cwd}:\n${output}`))));
  });
}

/**
 * A new app folder for `nextVersion`, with its own package.json: the tarball, `next`, and the
 * React, TypeScript and type packages the repository uses, installed from the registry. Made
 * once per run and Next version; the builds swap its source files.
 */
export async function installApp(dir: string, tarball: string, nextVersion: string): Promise<string> {
  const app = join(dir, `next-${nextVersion}`);
  const done = join(app, ".installed");
  if (existsSync(done)) return app;
  rmSync(app, { recursive: true, force: true });
  mkdirSync(app, { recursive: true });
  const packageJson = {
    name: "packed-app",
    private: true,
    scripts: { build: "next build", start: "next start" },
    dependencies: {
      [repoPackage.name]: `file:${tarball}`,
      next: nextVersion,
      react: installedVersion("react"),
      "react-dom": installedVersion("react-dom"),
    },
    devDependencies: {
      typescript: installedVersion("typescript"),
      "@types/node": installedVersion("@types/node"),
      "@types/react": installedVersion("@types/react"),
      "@types/react-dom": installedVersion("@types/react-dom"),
    },
  };
  writeFileSync(join(app, "package.json"), `${JSON.stringify(packageJson, null, 2)}\n`);
  await npmInstall(app);
  writeFileSync(done, "");
  return app;
}

/**
 * The README's complete setup files (`auth.config.ts`, `auth.ts`, `middleware.ts`, `proxy.ts`),
 * taken from its code blocks by their first-line comment, so the README's own code is what runs.
 */
function readmeFiles(): Record<string, string> {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const files: Record<string, string> = {};
  for (const [, code] of readme.matchAll(/```tsx?\n([\s\S]*?)```/g)) {
    const name = /^\/\/ (?:or )?([\w.-]+\.ts)\b/.exec(code!)?.[1];
    if (name && !(name in files)) files[name] = code!;
  }
  for (const name of ["auth.config.ts", "auth.ts", "middleware.ts", "proxy.ts"]) {
    if (!files[name]) throw new Error(`README.md has no code block starting "// ${name}" any more`);
  }
  // The embedded Cognito puts no `nonce` in ID tokens: the one relaxation the README tells
  // users of it to set (see "Pointing it at a real user pool").
  const config = files["auth.config.ts"]!.replace(
    /\n} satisfies CognitoSessionOptions;/,
    '\n  dev: { allowMissingNonce: process.env.COGNITO_LOCAL === "1" },\n} satisfies CognitoSessionOptions;',
  );
  if (config === files["auth.config.ts"]) throw new Error("README.md's auth.config.ts no longer ends with `} satisfies CognitoSessionOptions;`");
  files["auth.config.ts"] = config;
  return files;
}

/** Marks the protected page renders, so a test can tell it from a sign-in redirect or an error. */
export const DASHBOARD_MARKER = "data-packed-dashboard";

const PAGES: Record<string, string> = {
  "tsconfig.json": `${JSON.stringify(
    {
      compilerOptions: {
        target: "ES2017",
        lib: ["dom", "dom.iterable", "esnext"],
        allowJs: true,
        skipLibCheck: true,
        strict: true,
        noEmit: true,
        esModuleInterop: true,
        module: "esnext",
        moduleResolution: "bundler",
        resolveJsonModule: true,
        isolatedModules: true,
        jsx: "preserve",
        incremental: true,
        plugins: [{ name: "next" }],
      },
      include: ["next-env.d.ts", "**/*.ts", "**/*.tsx", ".next/types/**/*.ts"],
      exclude: ["node_modules"],
    },
    null,
    2,
  )}\n`,
  "app/layout.tsx": `import { SessionProvider } from "next-cognito-session/client";
import { auth } from "../auth";

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <SessionProvider session={await auth.getClientSession()}>{children}</SessionProvider>
      </body>
    </html>
  );
}
`,
  "app/client-email.tsx": `"use client";
import { useSession } from "next-cognito-session/client";

export function ClientEmail() {
  const { status, session } = useSession();
  return <p data-testid="client-email">{status === "signed-in" ? session.user?.email : status}</p>;
}
`,
  // The Pages Router, next to the App Router, as many apps have it.
  "pages/api/legacy-me.ts": `import type { NextApiRequest, NextApiResponse } from "next";
import { auth } from "../../auth";

export default auth.withAuth({}, (_req: NextApiRequest, res: NextApiResponse, { session }) => {
  res.status(200).json({ email: session.user?.email ?? null });
});
`,
  "app/page.tsx": `import { auth } from "../auth";

export default async function Home() {
  const session = await auth.getServerSession();
  // @ts-expect-error: the shipped declarations type the session, so a misspelt field does not compile
  session?.user?.emial;
  const tenant: string | undefined = session?.user?.["custom:tenant"];
  return (
    <main>
      <p data-testid="session">{session?.user ? \`signed in as \${session.user.email}\` : "signed out"}</p>
      <p data-testid="tenant">{tenant ?? "no tenant"}</p>
    </main>
  );
}
`,
  // Protected by the middleware's "/dashboard/:path*" rule alone, as the README's example has it.
  "app/dashboard/[id]/page.tsx": `import { auth } from "../../../auth";
import { ClientEmail } from "../../client-email";

export default async function Dashboard({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const session = await auth.getServerSession();
  return (
    <main ${DASHBOARD_MARKER}="">
      <h1 data-testid="dashboard">Dashboard {id}</h1>
      <p data-testid="email">{session?.user?.email ?? "no session"}</p>
      <ClientEmail />
      <form method="post" action="/auth/sign-out">
        <button type="submit">Sign out</button>
      </form>
    </main>
  );
}
`,
  "app/api/me/route.ts": `import { auth } from "../../../auth";

export const GET = auth.withAuth({}, (_request, { session }) =>
  Response.json({ email: session.user?.email ?? null, groups: session.groups }),
);
`,
  "app/api/orders/route.ts": `import { auth } from "../../../auth";

export const GET = auth.withAuth({ scopes: ["orders/read"] }, (_request, { session }) => Response.json(session.user));
`,
};

/** Which file hands requests to the library's middleware. */
export type Convention = "proxy" | "middleware";

/**
 * Write the app's source for `convention` (proxy.ts on Node, or middleware.ts on Edge; never
 * both) and `next build` it with `node`, from a clean `.next`.
 */
export function buildApp(app: string, convention: Convention, node: string): void {
  const files = { ...readmeFiles(), ...PAGES };
  delete files[convention === "proxy" ? "middleware.ts" : "proxy.ts"];
  for (const stale of ["middleware.ts", "proxy.ts", ".next"]) rmSync(join(app, stale), { recursive: true, force: true });
  // The app is built without the optional peer the library traces through: the build shows it needs none.
  if (existsSync(join(app, "node_modules", "@opentelemetry", "api"))) throw new Error(`@opentelemetry/api is installed in ${app}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(app, name)), { recursive: true });
    writeFileSync(join(app, name), text);
  }
  run(node, [join(app, "node_modules/next/dist/bin/next"), "build"], app, {
    ...process.env,
    ...BUILD_ENV,
    NEXT_TELEMETRY_DISABLED: "1",
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

/**
 * `next start` the built app with `node` on a free loopback port, against a fresh embedded
 * Cognito whose client calls back to it. `stop()` ends both by PID.
 */
export async function startApp(app: string, node: string): Promise<RunningExample & { dir: string }> {
  const port = await freePort();
  const baseURL = `http://localhost:${port}`;
  const idp = await startCognitoLocal({ port: await freePort(), appUrl: baseURL });
  const secret = randomBytes(32).toString("base64url");
  let output = "";
  const child = spawn(node, [join(app, "node_modules/next/dist/bin/next"), "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: app,
    env: { ...process.env, ...envFor(idp.info, baseURL), SESSION_SECRET: secret, NEXT_TELEMETRY_DISABLED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const log = () => {
    let cognito = "";
    try {
      cognito = readFileSync(join(idp.dir, "cognito-local.log"), "utf8");
    } catch {}
    return `${output}\n--- cognito-local ---\n${cognito}`;
  };
  const stop = async () => {
    await stopChild(child);
    await idp.stop();
  };
  try {
    await waitFor(`http://127.0.0.1:${port}/`, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir: app, baseURL, cognito: idp.info, secret, log, stop };
}
