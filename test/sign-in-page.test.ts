// Where signed-out visitors are sent to sign in (`signInPage`), with and without a hosted
// UI: an app that signs in with passwords only (no COGNITO_DOMAIN) answers the hosted-UI
// routes without a 500, and a bad `signInPage` is refused at start-up.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CognitoSessionOptions, createCognitoSession } from "../src/index.ts";
import { safeReturnTo } from "../src/lib/return-to.ts";
import { sessionCookies, startTestIssuer, type TestIssuer, testEnv } from "../src/testing/index.ts";
import { APP_URL, TestBrowser } from "./helpers/app.ts";

let pool: TestIssuer;
beforeAll(async () => {
  pool = await startTestIssuer();
});
afterAll(() => pool.close());

const PROTECT = { "/dashboard/:path*": {} };

/** An app on the test issuer, with a hosted UI only when `domain` is given. */
function appWith(options: CognitoSessionOptions & { domain?: string } = {}) {
  const { domain, ...rest } = options;
  return createCognitoSession({
    protect: PROTECT,
    ...rest,
    env: { ...testEnv(pool, APP_URL), ...(domain ? { COGNITO_DOMAIN: domain } : {}) },
  });
}

/** What Next's redirect(), forbidden() and unauthorized() throw, read from their digest. */
async function interrupt(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    return (error as { digest?: string }).digest ?? String(error);
  }
  return "returned";
}

describe("signInPage at start-up", () => {
  it("defaults to the hosted-UI route, with a domain or without", () => {
    expect(appWith({ domain: "https://auth.example.com" }).config.signInPage).toBe("/auth/sign-in");
    expect(appWith({ domain: "https://auth.example.com", basePath: "/session" }).config.signInPage).toBe("/session/sign-in");
    expect(appWith().config.signInPage).toBe("/auth/sign-in");
  });

  it("takes the app's own page, with or without a domain", () => {
    expect(appWith({ signInPage: "/sign-in" }).config.signInPage).toBe("/sign-in");
    expect(appWith({ signInPage: "/login/password", domain: "https://auth.example.com" }).config.signInPage).toBe("/login/password");
    expect(appWith({ signInPage: "/auth/sign-in", domain: "https://auth.example.com" }).config.signInPage).toBe("/auth/sign-in");
  });

  it.each([
    ["https://evil.example/sign-in", /path on APP_URL/],
    ["//evil.example/sign-in", /path on APP_URL/],
    ["/\\evil.example", /path on APP_URL/],
    ["sign-in", /path on APP_URL/],
    ["/sign-in?next=1", /without a query/],
    ["/sign-in#form", /without a query/],
    ["/auth/callback", /not the callback, sign-out or session route/],
    ["/auth/sign-out", /not the callback, sign-out or session route/],
    ["/auth/session", /not the callback, sign-out or session route/],
  ])("refuses %s with a ConfigError naming signInPage", (signInPage, message) => {
    expect(() => appWith({ signInPage })).toThrow(
      expect.objectContaining({ code: "ERR_CONFIG", setting: "signInPage", message: expect.stringMatching(message) }),
    );
  });

  it("refuses a value that is not a string", () => {
    expect(() => appWith({ signInPage: 42 as never })).toThrow(expect.objectContaining({ setting: "signInPage" }));
  });
});

describe("password sign-in only (no COGNITO_DOMAIN), with the app's own sign-in page", () => {
  const app = () => appWith({ signInPage: "/sign-in" });

  it("forwards /auth/sign-in to the page, carrying a checked returnTo", async () => {
    const browser = new TestBrowser(app());
    const response = await browser.fetch("/auth/sign-in?returnTo=%2Fdashboard%3Ftab%3D1");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`${APP_URL}/sign-in?returnTo=${encodeURIComponent("/dashboard?tab=1")}`);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    const hostile = await browser.fetch("/auth/sign-in?returnTo=%2F%2Fevil.example");
    expect(hostile.headers.get("location")).toBe(`${APP_URL}/sign-in?returnTo=%2F`);
  });

  it("answers the callback with 404, setting nothing", async () => {
    const response = await new TestBrowser(app()).fetch("/auth/callback?state=x&code=y");
    expect(response.status).toBe(404);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await response.text()).toContain('href="/sign-in"');
  });

  it("sends a signed-out visitor of a protected page to the page, and serves a signed-in one", async () => {
    const application = app();
    const browser = new TestBrowser(application);
    const response = await browser.fetch("/dashboard/7?tab=2");
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBe(`${APP_URL}/sign-in?returnTo=${encodeURIComponent("/dashboard/7?tab=2")}`);
    const { cookie } = await sessionCookies(application, pool);
    const signedIn = await browser.fetch("/dashboard/7", { headers: { cookie } });
    expect(signedIn.headers.get("x-middleware-next")).toBe("1");
  });

  it("never protects the page itself, whatever the rules cover: no redirect loop", async () => {
    const browser = new TestBrowser(appWith({ signInPage: "/sign-in", protect: { "/:path*": {} } }));
    const page = await browser.fetch("/sign-in?returnTo=%2Fdashboard");
    expect(page.headers.get("x-middleware-next")).toBe("1");
    const other = await browser.fetch("/dashboard");
    expect(other.status).toBe(307);
    expect(other.headers.get("location")).toBe(`${APP_URL}/sign-in?returnTo=%2Fdashboard`);
  });

  it("a sign-in at another loopback name goes straight to the page: there is no transaction to keep on APP_URL's host", async () => {
    const response = await new TestBrowser(app()).fetch("/auth/sign-in?returnTo=%2Fdashboard", { headers: { host: "127.0.0.1:3000" } });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`${APP_URL}/sign-in?returnTo=%2Fdashboard`);
  });

  it("requireSession redirects to the page", async () => {
    const application = app();
    const digest = await interrupt(() =>
      application.runWithSession(new Request(`${APP_URL}/dashboard`), () => application.requireSession({ returnTo: "/dashboard?tab=1" })),
    );
    expect(digest).toBe(`NEXT_REDIRECT;replace;/sign-in?returnTo=${encodeURIComponent("/dashboard?tab=1")};307;`);
  });
});

describe("password sign-in only, signInPage left at its default: no 500", () => {
  const app = () => appWith();

  it("answers /auth/sign-in and /auth/callback with 404", async () => {
    const browser = new TestBrowser(app());
    for (const path of ["/auth/sign-in?returnTo=%2Fdashboard", "/auth/callback?state=x&code=y", "/auth/callback"]) {
      const response = await browser.fetch(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get("cache-control")).toBe("private, no-store");
      // No link to a sign-in page that is this very 404.
      expect(await response.text()).not.toContain("<a ");
    }
  });

  it("still redirects protected pages and requireSession to /auth/sign-in, as with a hosted UI (the testing kit's setting)", async () => {
    const application = app();
    const page = await new TestBrowser(application).fetch("/dashboard");
    expect(page.status).toBe(307);
    expect(page.headers.get("location")).toBe(`${APP_URL}/auth/sign-in?returnTo=%2Fdashboard`);
    const digest = await interrupt(() => application.runWithSession(new Request(`${APP_URL}/dashboard`), () => application.requireSession()));
    expect(digest).toBe("NEXT_REDIRECT;replace;/auth/sign-in?returnTo=%2F;307;");
  });
});

describe("with a hosted UI and the app's own sign-in page", () => {
  it("sends signed-out visitors to the page; /auth/sign-in still starts the hosted UI", async () => {
    const application = appWith({ domain: "https://auth.example.com", signInPage: "/login" });
    const browser = new TestBrowser(application);
    const page = await browser.fetch("/dashboard");
    expect(page.headers.get("location")).toBe(`${APP_URL}/login?returnTo=%2Fdashboard`);
    const start = await browser.fetch("/auth/sign-in?returnTo=%2Fdashboard");
    expect(start.status).toBe(302);
    expect(start.headers.get("location")).toMatch(/^https:\/\/auth\.example\.com\/oauth2\/authorize\?/);
    const digest = await interrupt(() => application.runWithSession(new Request(`${APP_URL}/x`), () => application.requireSession()));
    expect(digest).toBe("NEXT_REDIRECT;replace;/login?returnTo=%2F;307;");
  });
});

describe("hostile queries on the hosted-UI routes of an app without a hosted UI", () => {
  let withPage: ReturnType<typeof appWith>;
  let withoutPage: ReturnType<typeof appWith>;
  beforeAll(() => {
    withPage = appWith({ signInPage: "/sign-in" });
    withoutPage = appWith();
  });
  const query = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.constantFrom("//evil.example", "/\\evil.example", "/%2F%2Fevil", "https://evil.example", "/a\r\nSet-Cookie: x=1", "%E0%A4%A", "/ok?x=1#f"),
  );

  it("sign-in answers every returnTo with a redirect to the page on APP_URL's own origin, carrying safeReturnTo's value, or 404; never 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(query, fc.boolean(), async (returnTo, page) => {
        const url = `/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}`;
        const response = await new TestBrowser(page ? withPage : withoutPage).fetch(url);
        if (!page) return response.status === 404;
        const location = new URL(response.headers.get("location")!);
        // Oracle: safeReturnTo, the check every other redirect of the library goes through.
        return (
          response.status === 302 &&
          location.origin === APP_URL &&
          location.pathname === "/sign-in" &&
          location.searchParams.get("returnTo") === safeReturnTo(returnTo, new URL(APP_URL))
        );
      }),
      { numRuns: 150 },
    );
  });

  it("the callback answers any query with 404", async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom("state", "code", "error", "x"), fc.string({ maxLength: 40 })), async (params) => {
        const response = await new TestBrowser(withPage).fetch(`/auth/callback?${new URLSearchParams(params)}`);
        return response.status === 404;
      }),
      { numRuns: 60 },
    );
  });
});
