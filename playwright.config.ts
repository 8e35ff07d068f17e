import { defineConfig } from "@playwright/test";
import { chromiumPath } from "./scripts/prerequisites.mjs";

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/e2e",
  // Each spec file builds or reuses an example app; one worker keeps two cores from thrashing.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["json", { outputFile: "test-results/playwright.json" }]],
  // The packed-package test's tarball and apps live outside the repository for the run only.
  globalTeardown: "./e2e/support/packed-workspace.ts",
  use: {
    browserName: "chromium",
    headless: true,
    trace: "retain-on-failure",
    launchOptions: {
      // PLAYWRIGHT_CHROMIUM_PATH or Debian's Chromium (Playwright cannot download browsers here); Playwright's own elsewhere.
      executablePath: chromiumPath(),
      args: [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--no-first-run",
        "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider",
      ],
    },
  },
});
