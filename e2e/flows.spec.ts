import { createServer } from "node:http";
import type { Page } from "@playwright/test";
import { HOSTILE_RETURN_TO } from "../test/helpers/hostile-return-to.ts";
import { freePort } from "../test/helpers/ports.ts";
import { expect, test } from "./fixtures.ts";
import type { RunningExample } from "./support/example-app.ts";

/** Start a hosted-UI sign-in with `returnTo` and log in on the embedded Cognito's page. */
async function hostedSignIn(page: Page, example: RunningExample, email: string, returnTo: string) {
  await page.goto(`${example.baseURL}/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
  await page.getByLabel("Username").fill(email);
  await page.getByLabel("Password").fill(example.cognito.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.origin === example.baseURL);
}

const sessionCookies = async (page: Page) => (await page.context().cookies()).filter((c) => c.name === "__Host-ncs.at" || c.name === "__Host-ncs.s");

test("hosted-UI sign-in comes back to the returnTo page, query included", async ({ page, example }) => {
  await hostedSignIn(page, example, "bob@example.com", "/dashboard?tab=orders");
  expect(page.url()).toBe(`${example.baseURL}/dashboard?tab=orders`);
  await expect(page.getByTestId("email")).toHaveText("bob@example.com");
});

test("password sign-in from the app's own form, through a server action", async ({ page, example }) => {
  const wrong = `Wrong-${Date.now()}!`;
  await page.goto(`${example.baseURL}/`);
  await page.getByRole("link", { name: "use a password" }).click();
  await page.getByLabel("Email").fill("alice@example.com");
  await page.getByLabel("Password").fill(wrong);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByTestId("sign-in-message")).toHaveText("Incorrect username or password.");
  expect(await page.content()).not.toContain(wrong);
  expect(await sessionCookies(page)).toEqual([]);

  await page.getByLabel("Email").fill("alice@example.com");
  await page.getByLabel("Password").fill(example.cognito.password);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(`${example.baseURL}/dashboard`);
  await expect(page.getByTestId("email")).toHaveText("alice@example.com");
  const cookies = await sessionCookies(page);
  expect(cookies.map((c) => c.name).sort()).toEqual(["__Host-ncs.at", "__Host-ncs.s"]);
  expect(cookies.every((c) => c.httpOnly && c.secure && c.sameSite === "Lax")).toBe(true);
});

test("a sign-out posted from another site is refused and the session survives; the app's own sign-out works", async ({ page, example }) => {
  await hostedSignIn(page, example, "alice@example.com", "/dashboard");
  await expect(page.getByTestId("email")).toHaveText("alice@example.com");

  // Another origin (127.0.0.1 is another site than localhost) auto-submits a sign-out form.
  const port = await freePort();
  const evil = createServer((_req, res) => {
    res
      .writeHead(200, { "content-type": "text/html" })
      .end(
        `<form method="post" action="${example.baseURL}/auth/sign-out"><input name="level" value="local"></form>` +
          "<script>document.forms[0].submit()</script>",
      );
  });
  await new Promise<void>((resolve) => evil.listen(port, "127.0.0.1", resolve));
  try {
    const refused = page.waitForResponse(`${example.baseURL}/auth/sign-out`);
    await page.goto(`http://127.0.0.1:${port}/`);
    expect((await refused).status()).toBe(403);
  } finally {
    evil.closeAllConnections();
    evil.close();
  }
  expect(await sessionCookies(page)).toHaveLength(2);
  await page.goto(`${example.baseURL}/dashboard`);
  await expect(page.getByTestId("email")).toHaveText("alice@example.com");

  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.waitForURL(`${example.baseURL}/`);
  expect(await sessionCookies(page)).toEqual([]);
  await page.goto(`${example.baseURL}/dashboard`);
  await expect(page).toHaveURL(/\/oauth2\/authorize\?/);
});

test('"end every session" signs out even though the embedded Cognito has no GlobalSignOut', async ({ page, example }) => {
  await hostedSignIn(page, example, "bob@example.com", "/dashboard");
  const signOut = page.waitForResponse(`${example.baseURL}/auth/sign-out`);
  await page.getByRole("button", { name: "End every session of this account" }).click();
  const response = await signOut;
  expect(response.status()).toBe(303);
  expect(response.headers()["x-sign-out-incomplete"]).toBe("global");
  await page.waitForURL(`${example.baseURL}/`);
  expect(await sessionCookies(page)).toEqual([]);
});

test("every hostile returnTo lands on the app's home page", async ({ page, example }) => {
  test.setTimeout(180_000);
  for (const hostile of HOSTILE_RETURN_TO) {
    await hostedSignIn(page, example, "bob@example.com", hostile);
    expect(page.url(), JSON.stringify(hostile).slice(0, 80)).toBe(`${example.baseURL}/`);
  }
});

test("sign-ins started one after another in Chromium keep the newest, which still finish", async ({ page, example }) => {
  // Chromium sends the oldest cookies first, as RFC 6265 says: the newest are kept when the 5th starts.
  const states: string[] = [];
  for (let i = 0; i < 5; i++) {
    await page.goto(`${example.baseURL}/auth/sign-in?returnTo=${encodeURIComponent(`/dashboard?tab=${i}`)}`);
    states.push(new URL(page.url()).searchParams.get("state")!);
  }
  const pending = (await page.context().cookies()).map((c) => c.name).filter((name) => name.startsWith("__Host-ncs.tx."));
  expect(pending.sort()).toEqual(
    states
      .slice(1)
      .map((state) => `__Host-ncs.tx.${state.slice(0, 16)}`)
      .sort(),
  );
  // The page shows the newest sign-in's login form: finishing it lands on its own returnTo.
  await page.getByLabel("Username").fill("bob@example.com");
  await page.getByLabel("Password").fill(example.cognito.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.origin === example.baseURL);
  expect(page.url()).toBe(`${example.baseURL}/dashboard?tab=4`);
});
