import { expect, signInHosted, test } from "./fixtures.ts";

test("alice signs in on the hosted login page, sees her dashboard, and signs out", async ({ page, example }) => {
  // Signed out, the dashboard sends you to sign in with a returnTo.
  await page.goto(`${example.baseURL}/dashboard`);
  await expect(page).toHaveURL(/\/oauth2\/authorize\?/);
  await signInHosted(page, example, "alice@example.com");

  await expect(page.getByTestId("email")).toHaveText("alice@example.com");
  await expect(page.getByTestId("groups")).toHaveText("admins");
  await expect(page.getByTestId("sub")).not.toBeEmpty();

  // No token is readable by page JavaScript.
  const visible = await page.evaluate(() => document.cookie);
  expect(visible).not.toMatch(/eyJ/);
  expect(visible).not.toMatch(/Fe26/);
  const cookies = await page.context().cookies();
  expect(cookies.filter((c) => c.name.startsWith("__Host-ncs")).every((c) => c.httpOnly && c.secure && c.sameSite === "Lax")).toBe(true);

  const me = await page.request.get(`${example.baseURL}/api/me`);
  expect(me.status()).toBe(200);
  expect((await me.json()).email).toBe("alice@example.com");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${example.baseURL}/`);
  expect((await page.context().cookies()).filter((c) => c.name.startsWith("__Host-ncs"))).toEqual([]);

  await page.goto(`${example.baseURL}/dashboard`);
  await expect(page).toHaveURL(/\/oauth2\/authorize\?/);
  expect((await page.request.get(`${example.baseURL}/api/me`)).status()).toBe(401);
});

test("a garbage session cookie means no session, never a 500", async ({ page, example }) => {
  // Sent as a raw header: a browser would refuse to store some of these values itself.
  const garbage = [
    "__Host-ncs.at=garbage.not.a-token; __Host-ncs.s=Fe26.2**broken",
    "__Host-ncs.at=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.; __Host-ncs.s=x",
    "__Host-ncs.at.0=2~abc; __Host-ncs.s=%%%",
    "__Host-ncs.at=a; __Host-ncs.at=b",
  ];
  for (const cookie of garbage) {
    const me = await page.request.get(`${example.baseURL}/api/me`, { headers: { cookie } });
    expect(me.status()).toBe(401);
    const dashboard = await page.request.get(`${example.baseURL}/dashboard`, { headers: { cookie }, maxRedirects: 0 });
    expect(dashboard.status()).toBe(307);
    await page.setExtraHTTPHeaders({ cookie });
    const home = await page.goto(`${example.baseURL}/`);
    expect(home?.status()).toBe(200);
    await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  }
});
