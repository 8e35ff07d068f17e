import { describe, expect, it } from "vitest";
import { createTestApp, TestBrowser } from "./helpers/app.ts";

const maxAges = (response: Response) =>
  response.headers
    .getSetCookie()
    .filter((l) => /^__Host-ncs\.(at|s)[.=]/.test(l) && !/max-age=0/i.test(l))
    .map((l) => Number(/max-age=(\d+)/i.exec(l)?.[1]));

describe("session cookie lifetime", () => {
  it("follows the refresh token's lifetime, 30 days by default, not a fixed year", async () => {
    const browser = new TestBrowser(createTestApp());
    const callback = await browser.signIn("alice@example.com");
    const ages = maxAges(callback);
    expect(ages.length).toBeGreaterThanOrEqual(2);
    for (const age of ages) expect(age).toBeGreaterThan(30 * 86_400 - 5);
    for (const age of ages) expect(age).toBeLessThanOrEqual(30 * 86_400);
  });

  it("follows sessionMaxAge when the app client's refresh tokens live shorter", async () => {
    const browser = new TestBrowser(createTestApp({ sessionMaxAge: 5 * 3_600 }));
    const ages = maxAges(await browser.signIn("alice@example.com"));
    for (const age of ages) expect(age).toBeGreaterThan(5 * 3_600 - 5);
    for (const age of ages) expect(age).toBeLessThanOrEqual(5 * 3_600);
  });

  it("ends the session when that lifetime is over, even with an access token still valid", async () => {
    const app = createTestApp({ sessionMaxAge: 2 });
    const browser = new TestBrowser(app);
    browser.routes.set("/api/me", app.withAuth({}, () => Response.json({ ok: true })));
    await browser.signIn("alice@example.com");
    expect((await browser.fetch("/api/me")).status).toBe(200);
    // A browser drops the cookies by Max-Age; one that keeps them still gets no session.
    const kept = browser.cookieHeader();
    await new Promise((r) => setTimeout(r, 2_100));
    const me = await browser.fetch("/api/me", { headers: { cookie: kept } });
    expect(me.status).toBe(401);
    expect(me.headers.getSetCookie().filter((l) => /max-age=0/i.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(me.headers.get("cache-control")).toBe("private, no-store");
  });
});
