import { expect, test } from "./fixtures.ts";

// The example runs at APP_URL http://localhost:<port> and listens on 127.0.0.1, the address
// `next start -H 127.0.0.1` prints. A transaction cookie set there would never reach the
// callback on localhost: the sign-in first sends the browser on to APP_URL's.
test("a sign-in started at http://127.0.0.1:<port> ends signed in on APP_URL", async ({ page, example }) => {
  const elsewhere = example.baseURL.replace("//localhost:", "//127.0.0.1:");
  await page.goto(`${elsewhere}/auth/sign-in?returnTo=${encodeURIComponent("/dashboard?tab=1")}`);
  await page.getByLabel("Username").fill("alice@example.com");
  await page.getByLabel("Password").fill(example.cognito.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.origin === example.baseURL && url.pathname === "/dashboard");
  expect(page.url()).toBe(`${example.baseURL}/dashboard?tab=1`);
  await expect(page.getByTestId("email")).toHaveText("alice@example.com");
});
