// Next.js config for the example app (app-example/ re-exports it). The library's source
// lives outside app-example/, so the bundler's root is this folder.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));

/** @type {import("next").NextConfig} */
const config = {
  // Lets two builds (middleware.ts and proxy.ts variants, two instances) live side by side.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  reactStrictMode: true,
  // Lets auth.requireSession() render forbidden.tsx (`forbidden()`) for a signed-in user who may not see a page.
  experimental: { authInterrupts: true },
  turbopack: { root },
  outputFileTracingRoot: root,
};

export default config;
