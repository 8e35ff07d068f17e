import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCognitoSession } from "../src/index.ts";
import { APP_URL, SECRET, TestBrowser } from "./helpers/app.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";

// APP_URL is http://localhost:3000. `next start -H 127.0.0.1` prints http://127.0.0.1:3000:
// a transaction cookie set there never reaches the callback, which comes back to localhost.
const fake = useFakeCognito();

const signInAt = (browser: TestBrowser, host: string | undefined, returnTo = "/dashboard?tab=1") =>
  browser.fetch(`/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}`, host === undefined ? {} : { headers: { host } });

const hostedUi = (response: Response) => response.status === 302 && new URL(response.headers.get("location")!).origin === fake.url;
/** Where a page's `Refresh` header sends the browser. */
const refreshTarget = (response: Response) => /^0; url=(.*)$/.exec(response.headers.get("refresh") ?? "")?.[1];

describe("sign-in started at another address than APP_URL", () => {
  it("at another loopback name on APP_URL's port (127.0.0.1, [::1] for localhost): a page that moves to APP_URL's own sign-in and says so, setting nothing", async () => {
    for (const host of ["127.0.0.1:3000", "[::1]:3000", "127.1.2.3:3000"]) {
      const response = await signInAt(new TestBrowser(fake.app()), host);
      // Not a Location redirect, which Next makes relative when APP_URL's host is the one it listens on.
      expect(response.status).toBe(200);
      expect(response.headers.get("location")).toBeNull();
      const target = `${APP_URL}/auth/sign-in?returnTo=${encodeURIComponent("/dashboard?tab=1")}`;
      expect(refreshTarget(response)).toBe(target);
      const page = await response.text();
      expect(page).toContain(`This app signs in at ${APP_URL}: continue there.`);
      expect(page).toContain(`href="${target.replace(/&/g, "&#38;")}"`);
      expect(response.headers.getSetCookie()).toEqual([]);
    }
  });

  it("then signs in at APP_URL and returns where it was asked to", async () => {
    const browser = new TestBrowser(fake.app());
    const moved = new URL(refreshTarget(await signInAt(browser, "127.0.0.1:3000"))!);
    const start = await browser.fetch(moved.pathname + moved.search, { headers: { host: "localhost:3000" } });
    expect(hostedUi(start)).toBe(true);
    const url = new URL(start.headers.get("location")!);
    const nonce = url.searchParams.get("nonce")!;
    fake.onToken = async () => ({ status: 200, body: await fake.tokenSet({ nonce }) });
    const callback = await browser.fetch(`/auth/callback?code=c&state=${url.searchParams.get("state")}`, { headers: { host: "localhost:3000" } });
    expect(callback.status).toBe(302);
    expect(callback.headers.get("location")).toBe(`${APP_URL}/dashboard?tab=1`);
    expect([...browser.cookies.keys()].sort()).toEqual(["__Host-ncs.at", "__Host-ncs.s"]);
  });

  it("leaves every other Host alone: APP_URL's own, another port or machine (a proxy's), junk", async () => {
    for (const host of [undefined, "localhost:3000", "LOCALHOST:3000", "127.0.0.1:8080", "127.0.0.1", "192.168.1.5:3000", "app.example.com", "a b", ""]) {
      const response = await signInAt(new TestBrowser(fake.app()), host);
      expect(hostedUi(response), String(host)).toBe(true);
    }
  });

  it("leaves a loopback Host alone when APP_URL is not on loopback (a proxy in front: nginx sends its upstream's host by default)", async () => {
    const app = createCognitoSession({ env: { ...fake.env("https://app.example.com"), SESSION_SECRET: SECRET } });
    for (const host of ["localhost", "127.0.0.1", "127.0.0.1:3000"]) {
      expect(hostedUi(await signInAt(new TestBrowser(app), host)), host).toBe(true);
    }
  });

  // Invariant: whatever Host a request claims, sign-in sends the browser on to APP_URL's own
  // sign-in (only for another loopback name on APP_URL's port) or to the hosted UI; never an
  // error, never another origin.
  it("any Host header: on to APP_URL's sign-in or to the hosted UI, nothing else", async () => {
    const app = fake.app();
    const loopback = fc.constantFrom("127.0.0.1", "localhost", "[::1]", "127.9.9.9", "LocalHost");
    const host = fc.oneof(
      fc.string({ unit: fc.constantFrom(..."abc.:[]@/?#%\\1270-_ "), maxLength: 30 }),
      fc.tuple(loopback, fc.constantFrom("", ":3000", ":80", ":03000", ":3001", ":3000@evil.example", "/x", ":3000/..")).map(([name, rest]) => name + rest),
    );
    await fc.assert(
      fc.asyncProperty(host, async (value) => {
        const response = await signInAt(new TestBrowser(app), value);
        if (response.status === 200) {
          const target = new URL(refreshTarget(response)!);
          expect(target.origin + target.pathname).toBe(`${APP_URL}/auth/sign-in`);
          expect(response.headers.getSetCookie()).toEqual([]);
        } else {
          expect(hostedUi(response)).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("a sign-in whose transaction is missing at the callback", () => {
  it("says where to sign in: APP_URL", async () => {
    const started = await signInAt(new TestBrowser(fake.app()), undefined);
    const state = new URL(started.headers.get("location")!).searchParams.get("state");
    // Another browser, or the same one whose cookie stayed with another address.
    const response = await new TestBrowser(fake.app()).fetch(`/auth/callback?code=c&state=${state}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(`Open ${APP_URL} and sign in again.`);
  });
});
