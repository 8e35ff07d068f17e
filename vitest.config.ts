import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^next-cognito-session\/testing$/, replacement: src("testing/index.ts") },
      { find: /^next-cognito-session\/redis$/, replacement: src("redis.ts") },
      { find: /^next-cognito-session\/middleware$/, replacement: src("middleware.ts") },
      { find: /^next-cognito-session$/, replacement: src("index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/setup/cognito-local.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A poll waits for a state; its timeout only bounds a failure, so it allows for a loaded machine.
    expect: { poll: { timeout: 15_000 } },
    // Two cores: keep integration files from starving each other.
    maxWorkers: 2,
  },
});
