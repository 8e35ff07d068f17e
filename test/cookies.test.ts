import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_CHUNKS } from "../src/persistence/jar.ts";
import { createTestApp, TestBrowser } from "./helpers/app.ts";
import { coreOf } from "../src/internal.ts";

const maxAges = (response: Response) =>
  response.headers
    .getSetCookie()
    .filter((l) => /^__Host-ncs\.(at|s)[.=]/.test(l) && !/max-age=0/i.test(l))
    .map((l) => Number(/max-age=(\d+)/i.exec(l)?.[1]));

/** The response to a sign-in, and the whole seconds it spanned (rounded up, plus one for a second boundary crossed). */
async function timedSignIn(browser: TestBrowser): Promise<{ callback: Response; seconds: number }> {
  const before = performance.now();
  const callback = await browser.signIn("alice@example.com");
  return { callback, seconds: Math.ceil((performance.now() - before) / 1000) + 1 };
}

describe("session cookie lifetime", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("follows the refresh token's lifetime, 30 days by default, not a fixed year", async () => {
    const { callback, seconds } = await timedSignIn(new TestBrowser(createTestApp()));
    const ages = maxAges(callback);
    expect(ages.length).toBeGreaterThanOrEqual(2);
    // Counted from some moment of the sign-in: short of the whole lifetime by no more than it took.
    for (const age of ages) expect(age).toBeGreaterThanOrEqual(30 * 86_400 - seconds);
    for (const age of ages) expect(age).toBeLessThanOrEqual(30 * 86_400);
  });

  it("follows sessionMaxAge when the app client's refresh tokens live shorter", async () => {
    const { callback, seconds } = await timedSignIn(new TestBrowser(createTestApp({ sessionMaxAge: 5 * 3_600 })));
    const ages = maxAges(callback);
    for (const age of ages) expect(age).toBeGreaterThanOrEqual(5 * 3_600 - seconds);
    for (const age of ages) expect(age).toBeLessThanOrEqual(5 * 3_600);
  });

  it("ends the session when that lifetime is over, even with an access token still valid", async () => {
    // A lifetime longer than the test may take, ended on a fake clock: an hour's access token outlives it.
    const app = createTestApp({ sessionMaxAge: 60 });
    const browser = new TestBrowser(app);
    browser.routes.set(
      "/api/me",
      app.withAuth({}, () => Response.json({ ok: true })),
    );
    await browser.signIn("alice@example.com");
    expect((await browser.fetch("/api/me")).status).toBe(200);
    // A browser drops the cookies by Max-Age; one that keeps them still gets no session.
    const kept = browser.cookieHeader();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 61_000 });
    const me = await browser.fetch("/api/me", { headers: { cookie: kept } });
    expect(me.status).toBe(401);
    expect(me.headers.getSetCookie().filter((l) => /max-age=0/i.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(me.headers.get("cache-control")).toBe("private, no-store");
  });
});

describe("hostile session cookies", () => {
  async function signedIn() {
    const app = createTestApp();
    const browser = new TestBrowser(app);
    browser.routes.set(
      "/api/me",
      app.withAuth({}, (_req, { session }) => Response.json({ email: session.user?.email })),
    );
    await browser.signIn("alice@example.com");
    expect((await browser.fetch("/api/me")).status).toBe(200);
    // The cookie holding the seal's end: the whole seal, or its last chunk.
    const sealedName = [...browser.cookies.keys()]
      .filter((n) => n.startsWith(coreOf(app).cookieNames.sealed))
      .sort()
      .at(-1)!;
    return { app, browser, sealedName, sealed: browser.cookies.get(sealedName)! };
  }

  const cleared = (response: Response) =>
    response.headers
      .getSetCookie()
      .filter((l) => /max-age=0/i.test(l))
      .map((l) => l.split("=")[0]);

  it("a seal re-sent with anything after it is no session, and is cleared, however many spellings arrive", async () => {
    const { browser, sealedName, sealed } = await signedIn();
    const kept = new Map(browser.cookies);
    for (let i = 0; i < 200; i++) {
      browser.cookies.clear();
      for (const [name, value] of kept) browser.cookies.set(name, value);
      browser.cookies.set(sealedName, `${sealed}${i % 2 === 0 ? "~" : ""}${i}`);
      const me = await browser.fetch("/api/me");
      expect(me.status).toBe(401);
      expect(cleared(me)).toContain(sealedName);
    }
  });

  it("a transaction's seal (anyone's for the asking) in place of the session's is no session", async () => {
    const { app, browser } = await signedIn();
    const started = await new TestBrowser(app).fetch("/auth/sign-in");
    const transactionSeal = started.headers.getSetCookie()[0]!.split(";")[0]!.split("=").slice(1).join("=");
    for (const name of [...browser.cookies.keys()]) if (name.startsWith(coreOf(app).cookieNames.sealed)) browser.cookies.delete(name);
    browser.cookies.set(coreOf(app).cookieNames.sealed, transactionSeal);
    const me = await browser.fetch("/api/me");
    expect(me.status).toBe(401);
    expect(cleared(me)).toContain(coreOf(app).cookieNames.sealed);
  });

  it("hundreds of names that look like chunks of the session cookies never become hundreds of Set-Cookie", async () => {
    const { browser } = await signedIn();
    const flood = Array.from({ length: 230 }, (_, i) => `__Host-ncs.${i % 2 ? "at" : "s"}.${i + 10}=x`).join("; ");
    // A broken session (a stray chunk beside the whole cookie) is cleared: only the names we write.
    const me = await browser.fetch("/api/me", { headers: { cookie: `${browser.cookieHeader()}; __Host-ncs.s.0=1~x; ${flood}` } });
    expect(me.status).toBe(401);
    expect(me.headers.getSetCookie().length).toBeLessThanOrEqual(2 * (MAX_CHUNKS + 1));
    expect(cleared(me)).toEqual(expect.arrayContaining(["__Host-ncs.at", "__Host-ncs.s", "__Host-ncs.s.0"]));
  });
});
