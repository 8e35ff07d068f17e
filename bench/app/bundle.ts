// Middleware bundle size: the example's middleware against minimal apps doing the same
// protection with the Amplify adapter, Auth0 v4 and Auth.js v5 (bench/peers/), and against
// Next's do-nothing middleware, all built the same way (`next build`, production, Turbopack).
// Next 16 prints no size for the middleware, so the size is that of the files its
// middleware manifest lists for the Edge function: raw, and gzipped as a CDN would serve it.
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { buildExample } from "../../e2e/support/example-app.ts";
import { TAG } from "../support/example.ts";
import { versionOf } from "../support/contenders.ts";
import { fmt, fmtRatio, writeResult } from "../support/stats.ts";

const require = createRequire(import.meta.url);
const root = resolve(import.meta.dirname, "../..");
const peers = join(root, "bench", "peers");

/** Build a peer: the shared app shell plus its middleware.js, in a folder beside app-example. */
function buildPeer(name: string): { dir: string; distDir: string } {
  const dir = join(root, `.${TAG}-app-peer-${name}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(peers, "app"), dir, { recursive: true });
  cpSync(join(peers, name, "middleware.js"), join(dir, "middleware.js"));
  const result = spawnSync(process.execPath, [require.resolve("next/dist/bin/next"), "build", dir], {
    cwd: root,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`next build (${name}) failed:\n${result.stdout}\n${result.stderr}`);
  return { dir, distDir: ".next" };
}

/** Bytes of the files the build's middleware manifest lists for the middleware. */
function middlewareBytes({ dir, distDir }: { dir: string; distDir: string }) {
  const base = join(dir, distDir);
  const manifest = JSON.parse(readFileSync(join(base, "server", "middleware-manifest.json"), "utf8"));
  const entry = manifest.middleware?.["/"];
  if (!entry) throw new Error(`${dir}: the build has no Edge middleware`);
  const files: string[] = [
    ...entry.files,
    ...(entry.wasm ?? []).map((w: { filePath: string }) => w.filePath),
    ...(entry.assets ?? []).map((a: { filePath: string }) => a.filePath),
  ];
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    raw += statSync(join(base, file)).size;
    gzip += gzipSync(readFileSync(join(base, file)), { level: 9 }).length;
  }
  return { files: files.length, raw, gzip };
}

const started = Date.now();
const builds = [
  { name: "next-cognito-session (the example's middleware.ts)", ours: true, size: middlewareBytes(buildExample("middleware", TAG)) },
  {
    name: `@aws-amplify/adapter-nextjs ${versionOf("@aws-amplify/adapter-nextjs")} + aws-amplify ${versionOf("aws-amplify")}`,
    size: middlewareBytes(buildPeer("amplify")),
  },
  { name: `@auth0/nextjs-auth0 ${versionOf("@auth0/nextjs-auth0/server")}`, size: middlewareBytes(buildPeer("auth0")) },
  { name: `next-auth ${versionOf("next-auth")}`, size: middlewareBytes(buildPeer("authjs")) },
  { name: "Next alone (do-nothing middleware)", baseline: true, size: middlewareBytes(buildExample("bare", TAG)) },
];
const ours = builds[0]!;
const bare = builds.at(-1)!;
const kb = (bytes: number) => `${fmt(bytes / 1024)} KB`;
const libraries = builds.filter((b) => !b.baseline);
const smallest = libraries.every((b) => b === ours || b.size.gzip > ours.size.gzip);

writeResult({
  bench: "bundle",
  title: "Middleware bundle size",
  tables: [
    {
      title:
        "Edge middleware bundle (files in the middleware manifest) after `next build`; above Next = minus Next's do-nothing middleware; ×ours = that row over ours, gzipped",
      columns: ["middleware", "files", "raw", "gzip", "above Next, gzip", "×ours (gzip)"],
      rows: builds.map((b) => [
        b.name,
        String(b.size.files),
        kb(b.size.raw),
        kb(b.size.gzip),
        b.baseline ? "" : kb(b.size.gzip - bare.size.gzip),
        b === ours || b.baseline ? "" : fmtRatio(b.size.gzip / ours.size.gzip),
      ]),
    },
  ],
  headline: libraries.slice(1).map((b, i) => ({
    measure: i === 0 ? "middleware bundle, gzip (raw)" : "",
    ours: i === 0 ? `${kb(ours.size.gzip)} (${kb(ours.size.raw)})` : "",
    against: `${b.name}: ${kb(b.size.gzip)} (${kb(b.size.raw)})`,
    ratio: fmtRatio(b.size.gzip / ours.size.gzip),
  })),
  goals: [
    {
      goal: "the smallest middleware bundle of the three",
      met: smallest,
      figure: libraries.map((b) => `${b.name.split(" (")[0]} ${kb(b.size.gzip)}`).join(", "),
    },
  ],
  charts: [
    {
      title: "Middleware bundle, gzipped (KB, lower is better)",
      unit: "KB",
      bars: builds.map((b) => ({ label: b.name.replace(/ \(the example's middleware\.ts\)/, ""), value: b.size.gzip / 1024, ours: b === ours })),
    },
  ],
  notes: [
    "Each peer app (bench/peers/) is the same two-page shell with the library's documented middleware protecting /dashboard; the example's middleware also mounts sign-in, callback and sign-out and refreshes sessions.",
    "Next 16's build output names the middleware but prints no size, so the figure is the sum of the Edge function's files from .next/server/middleware-manifest.json; Next's own runtime is in every row, as the do-nothing row shows.",
  ],
  figures: { builds, seconds: (Date.now() - started) / 1000 },
});
console.log(`\nbundle, gzip: ${builds.map((b) => `${b.name} ${kb(b.size.gzip)}`).join("; ")}`);
