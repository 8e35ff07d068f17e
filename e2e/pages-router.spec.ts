// The Pages Router in the built example: pages/legacy.tsx (getServerSideProps reads the
// session from req/res) and pages/api/legacy-me.ts, legacy-admin.ts (withAuth), in Chromium
// and over HTTP: signed in, signed out, a wrong group, hostile cookies; never a 500.
import { expect, signInHosted, test } from "./fixtures.ts";

const HOSTILE = [
  "__Host-ncs.at=garbage.not.a-token; __Host-ncs.s=Fe26.2**broken",
  "__Host-ncs.at=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.; __Host-ncs.s=x",
  "__Host-ncs.at.0=2~abc; __Host-ncs.s=%%%",
  "__Host-ncs.at=a; __Host-ncs.at=b",
  "__Host-ncs.id=AAAAA",
];

test("alice opens the Pages Router page and its API route; signed out, the page sends her to sign in and the API answers 401", async ({ page, example }) => {
  await page.goto(`${example.baseURL}/legacy`);
  await expect(page).toHaveURL(/\/oauth2\/authorize\?/);
  await signInHosted(page, example, "alice@example.com", "/legacy");
  await expect(page.getByTestId("legacy-email")).toHaveText("alice@example.com");
  await expect(page.getByTestId("legacy-groups")).toHaveText("admins");

  const me = await page.request.get(`${example.baseURL}/api/legacy-me`);
  expect(me.status()).toBe(200);
  expect(await me.json()).toEqual({ email: "alice@example.com", groups: ["admins"] });
  expect(me.headers()["cache-control"]).toBe("private, no-store");
  expect((await page.request.get(`${example.baseURL}/api/legacy-admin`)).status()).toBe(200);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${example.baseURL}/`);
  const after = await page.request.get(`${example.baseURL}/api/legacy-me`);
  expect(after.status()).toBe(401);
  expect(after.headers()["www-authenticate"]).toMatch(/^Bearer .*error="invalid_token"/);
  const legacy = await page.request.get(`${example.baseURL}/legacy`, { maxRedirects: 0 });
  expect(legacy.status()).toBe(307);
  expect(legacy.headers().location).toBe("/auth/sign-in?returnTo=%2Flegacy");
});

test("bob, in no group, gets the route handlers' 403 from the admins-only pages/api route", async ({ page, example }) => {
  await signInHosted(page, example, "bob@example.com", "/legacy");
  await expect(page.getByTestId("legacy-groups")).toHaveText("none");
  const admin = await page.request.get(`${example.baseURL}/api/legacy-admin`);
  expect(admin.status()).toBe(403);
  expect(admin.headers()["www-authenticate"]).toMatch(/error="insufficient_scope"/);
  expect(await admin.json()).toEqual({ error: "forbidden" });
  expect((await page.request.get(`${example.baseURL}/api/legacy-me`)).status()).toBe(200);
});

test("hostile cookies are no session on the Pages Router: 401 or a redirect to sign in, the cookies cleared, never a 500", async ({ page, example }) => {
  for (const cookie of HOSTILE) {
    const api = await page.request.get(`${example.baseURL}/api/legacy-me`, { headers: { cookie } });
    expect(api.status(), cookie).toBe(401);
    expect(
      api.headersArray().some(({ name, value }) => name.toLowerCase() === "set-cookie" && /max-age=0/i.test(value)),
      cookie,
    ).toBe(true);
    const legacy = await page.request.get(`${example.baseURL}/legacy`, { headers: { cookie }, maxRedirects: 0 });
    expect(legacy.status(), cookie).toBe(307);
    expect(legacy.headers().location, cookie).toMatch(/^\/auth\/sign-in\?returnTo=/);
    // The page's data request as the Pages Router's client makes it.
    const data = await page.request.get(`${example.baseURL}/legacy`, { headers: { cookie, "x-nextjs-data": "1" }, maxRedirects: 0 });
    expect(data.status(), cookie).toBeLessThan(500);
  }
});
