import { test as base, expect, type Page } from "@playwright/test";
import { type RunningExample, startExample } from "./support/example-app.ts";

/** Sign in on the embedded Cognito's hosted login page; ends on the page `returnTo` names. */
export async function signInHosted(page: Page, example: RunningExample, email: string, returnTo = "/dashboard") {
  await page.goto(`${example.baseURL}/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
  await page.getByLabel("Username").fill(email);
  await page.getByLabel("Password").fill(example.cognito.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.origin === example.baseURL && url.pathname === returnTo.split("?")[0]);
}

/** `example`: the example app (middleware.ts variant) and its embedded Cognito, one per worker. */
export const test = base.extend<object, { example: RunningExample }>({
  example: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright's fixture signature
    async ({}, use) => {
      const example = await startExample();
      await use(example);
      await example.stop();
    },
    { scope: "worker", timeout: 300_000 },
  ],
});

export { expect };
