// The session in client components, in Chromium against the built example: the dashboard's
// client component shows the user from the server-filled provider, and follows a sign-out
// in another tab; GET /auth/session over HTTP; and the built client chunks carry no token,
// no secret and no server module of the library.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "@playwright/test";
import { expect, signInHosted, test } from "./fixtures.ts";
import { BUILD_ENV, buildExample } from "./support/example-app.ts";

/** Two tabs of one browser (one cookie jar) on alice's dashboard, each showing her in its client component. */
async function twoDashboards(page: Page, baseURL: string): Promise<Page> {
  await expect(page.getByTestId("client-email")).toHaveText("alice@example.com");
  await expect(page.getByTestId("client-status")).toHaveText("signed-in");
  const other = await page.context().newPage();
  await other.goto(`${baseURL}/dashboard`);
  await expect(other.getByTestId("client-email")).toHaveText("alice@example.com");
  return other;
}

test("the dashboard's client component shows alice, and signs out when another tab's server button does", async ({ page, example }) => {
  await signInHosted(page, example, "alice@example.com");
  // Filled on the server: no request for the session is needed to show it.
  const other = await twoDashboards(page, example.baseURL);
  await other.getByRole("button", { name: "Sign out", exact: true }).click();
  await other.waitForURL(`${example.baseURL}/`);
  await expect(page.getByTestId("client-status")).toHaveText("signed-out");
  await expect(page.getByTestId("client-email")).toHaveCount(0);
  await other.close();
});

test("signOut() from a client component posts the sign-out form, and every tab follows", async ({ page, example }) => {
  await signInHosted(page, example, "alice@example.com");
  const other = await twoDashboards(page, example.baseURL);
  await other.getByRole("button", { name: "Client sign-out" }).click();
  await other.waitForURL(`${example.baseURL}/`);
  expect((await page.context().cookies()).filter((c) => c.name.startsWith("__Host-ncs"))).toEqual([]);
  await expect(page.getByTestId("client-status")).toHaveText("signed-out");
  await other.close();
});

test("the provider asks the session route again when the window regains focus and shortly after the access token's expiry", async ({ page, example }) => {
  await page.clock.install();
  await signInHosted(page, example, "alice@example.com");
  await expect(page.getByTestId("client-status")).toHaveText("signed-in");
  const { session } = await (await page.request.get(`${example.baseURL}/auth/session`)).json();
  const asked = () => page.waitForRequest((request) => request.url() === `${example.baseURL}/auth/session`);

  // The server-rendered status shows before the provider has hydrated and listens: focus
  // again until a focus is heard (each try waits for its request a while, then focuses again).
  await expect(async () => {
    const request = page.waitForRequest((r) => r.url() === `${example.baseURL}/auth/session`, { timeout: 2_000 });
    await page.evaluate(() => window.dispatchEvent(new Event("focus")));
    await request;
  }).toPass();

  // The page's clock, not the test's: nothing here waits out the token's hour.
  const request = asked();
  const now = await page.evaluate(() => Date.now());
  await page.clock.fastForward(session.expiresAt - now + 5_000);
  await request;
  await expect(page.getByTestId("client-status")).toHaveText("signed-in");
});

test("GET /auth/session answers the token-free view, the requester's own; signed-out and junk cookies are 200 signed-out", async ({ page, example }) => {
  await signInHosted(page, example, "alice@example.com");
  const signedIn = await page.request.get(`${example.baseURL}/auth/session`);
  expect(signedIn.status()).toBe(200);
  expect(signedIn.headers()["cache-control"]).toBe("private, no-store");
  const text = await signedIn.text();
  const body = JSON.parse(text);
  expect(body.status).toBe("signed-in");
  expect(Object.keys(body.session).sort()).toEqual(["expiresAt", "groups", "scopes", "user"]);
  expect(body.session.user.email).toBe("alice@example.com");
  // No cookie value (the access token as issued, the sealed rest) appears in it.
  for (const cookie of await page.context().cookies()) if (cookie.value.length > 16) expect(text).not.toContain(cookie.value);
  expect(text).not.toMatch(/eyJ/);

  for (const cookie of ["", "__Host-ncs.at=garbage.not.a-token; __Host-ncs.s=%%%", "__Host-ncs.at=a; __Host-ncs.at=b", "__Host-ncs.id=AAAAA"]) {
    const response = await page.request.get(`${example.baseURL}/auth/session`, { headers: { cookie } });
    expect(response.status(), cookie).toBe(200);
    expect(await response.json(), cookie).toEqual({ status: "signed-out" });
  }
  expect((await page.request.post(`${example.baseURL}/auth/session`)).status()).toBe(405);
});

test("the built client chunks hold the provider but no token, no secret and no server module of the library", () => {
  const { dir, distDir } = buildExample("middleware");
  const staticDir = join(dir, distDir, "static");
  const chunks = readdirSync(staticDir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".js"))
    .map((file) => ({ file, code: readFileSync(join(staticDir, file), "utf8") }));
  // The scan looks where the provider is: its BroadcastChannel name is in a client chunk.
  expect(chunks.some(({ code }) => code.includes("next-cognito-session:"))).toBe(true);
  const forbidden = [
    // Secrets the build was given.
    BUILD_ENV.SESSION_SECRET,
    // A JWT's first characters (`{"` in base64url): no token is built in.
    "eyJ",
    // Markers of the library's server modules: the hidden token's key, sealing, Cognito calls, hand-off headers, error codes.
    "next-cognito-session.access-token",
    "A256GCM",
    "USER_PASSWORD_AUTH",
    "RevokeToken",
    "x-ncs-",
    "ERR_TOKEN_EXPIRED",
    "getBuiltinModule",
    "createDecipheriv",
    "node:crypto",
    "oauth4webapi",
    "Fe26.2",
  ];
  const found = chunks.flatMap(({ file, code }) => forbidden.filter((marker) => code.includes(marker)).map((marker) => `${file}: ${marker}`));
  expect(found).toEqual([]);
});
