import { describe, expect, inject, it } from "vitest";
import { createTestApp, TestBrowser } from "./helpers/app.ts";

/** Log in on the embedded Cognito's hosted page; the callback path it redirects to, not yet followed. */
async function hostedLogin(authorizeUrl: string, email: string): Promise<string> {
  const form = await (await fetch(authorizeUrl)).text();
  const fields = Object.fromEntries([...form.matchAll(/name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const login = await fetch(new URL("/oauth2/authorize", authorizeUrl), {
    method: "POST",
    redirect: "manual",
    body: new URLSearchParams({ ...fields, username: email, password: inject("cognito").password }),
  });
  const callback = new URL(login.headers.get("location")!);
  return `${callback.pathname}${callback.search}`;
}

async function startSignIn(browser: TestBrowser, returnTo: string): Promise<string> {
  const response = await browser.fetch(`/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
  return response.headers.get("location")!;
}

const me = async (app: ReturnType<typeof createTestApp>, browser: TestBrowser) => {
  browser.routes.set(
    "/api/me",
    app.withAuth({}, (_req, { session }) => Response.json({ email: session.user?.email })),
  );
  const response = await browser.fetch("/api/me");
  return response.status === 200 ? ((await response.json()) as { email: string }).email : response.status;
};

describe("hosted-UI flows against the embedded Cognito", () => {
  it("fails cleanly when a code is redeemed twice (a second instance, same cookies)", async () => {
    const first = createTestApp();
    const browser = new TestBrowser(first);
    const callbackPath = await hostedLogin(await startSignIn(browser, "/dashboard"), "bob@example.com");
    const before = new Map(browser.cookies);
    expect((await browser.fetch(callbackPath)).status).toBe(302);

    // Another instance has not seen this state, so it goes to Cognito, which refuses the used code.
    const second = new TestBrowser(createTestApp());
    for (const [name, value] of before) second.cookies.set(name, value);
    const replay = await second.fetch(callbackPath);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("Sign-in failed");
    expect(replay.headers.getSetCookie().filter((l) => !/max-age=0/i.test(l))).toEqual([]);
    expect([...second.cookies.keys()]).toEqual([]);
  });

  it("finishes two sign-ins started in parallel tabs, each to its own page", async () => {
    const app = createTestApp();
    const browser = new TestBrowser(app);
    const one = await startSignIn(browser, "/one");
    const two = await startSignIn(browser, "/two");
    const callbackTwo = await hostedLogin(two, "bob@example.com");
    const callbackOne = await hostedLogin(one, "alice@example.com");
    const second = await browser.fetch(callbackTwo);
    expect(second.headers.get("location")).toMatch(/\/two$/);
    expect(await me(app, browser)).toBe("bob@example.com");
    const first = await browser.fetch(callbackOne);
    expect(first.headers.get("location")).toMatch(/\/one$/);
    expect(await me(app, browser)).toBe("alice@example.com");
  });

  it("replaces bob's session with alice's when alice signs in on the same browser", async () => {
    const app = createTestApp();
    const browser = new TestBrowser(app);
    await browser.signIn("bob@example.com");
    const bobCookies = new Map(browser.cookies);
    await browser.signIn("alice@example.com");
    expect(await me(app, browser)).toBe("alice@example.com");
    for (const [name, value] of bobCookies) expect(browser.cookies.get(name)).not.toBe(value);
  });
});
