// Cookies and store values the previous release wrote (iron `Fe26.2` seals, the AES-GCM
// session id), sent through the middleware as a browser would after the upgrade. A session
// reads and is written again in the current format on that very response; what this release
// no longer reads (a sign-in transaction, a seal under a secret no longer listed, a broken
// seal) is no session and is cleared. Never a 500.
import { describe, expect, inject, it } from "vitest";
import previous from "./fixtures/previous-format.json" with { type: "json" };
import { coreOf } from "../src/internal.ts";
import { createTestApp, SECRET, TestBrowser } from "./helpers/app.ts";
import { passwordTokens } from "./helpers/password-session.ts";
import { previousSeal, previousSessionId } from "./helpers/previous-format.ts";
import type { StoreSessions } from "../src/persistence/store-sessions.ts";

type App = ReturnType<typeof createTestApp>;
const JWE = /^eyJ[\w-]+\.\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/;
const DAY = 86_400;

function browserOf(app: App, cookies: Record<string, string>): TestBrowser {
  const browser = new TestBrowser(app);
  for (const [name, value] of Object.entries(cookies)) browser.cookies.set(name, value);
  browser.routes.set(
    "/api/me",
    app.withAuth({}, (_req, { session }) => Response.json({ email: session.user?.email ?? null, sub: session.user?.sub })),
  );
  return browser;
}

const tokensOf = (app: App) => passwordTokens(inject("cognito").endpoint, app.config.clientId, "alice@example.com");
const written = (response: Response) => new Map(response.headers.getSetCookie().map((l) => [l.split("=")[0]!, l.split(";")[0]!.split("=").slice(1).join("=")]));
const cleared = (response: Response) =>
  response.headers
    .getSetCookie()
    .filter((l) => /max-age=0/i.test(l))
    .map((l) => l.split("=")[0]);

describe("a cookie session the previous release wrote", () => {
  it("reads, and its seal is written again as a JWE on that response; then it is left alone", async () => {
    const app = createTestApp();
    const tokens = await tokensOf(app);
    const endsAt = Math.floor(Date.now() / 1000) + 30 * DAY;
    const legacy = await previousSeal(SECRET, "session", { r: tokens.RefreshToken, i: tokens.IdToken, e: endsAt }, 30 * DAY);
    const browser = browserOf(app, { "__Host-ncs.at": tokens.AccessToken, "__Host-ncs.s": legacy });

    const me = await browser.fetch("/api/me");
    expect(me.status).toBe(200);
    expect((await me.json()).email).toBe("alice@example.com");
    expect(written(me).get("__Host-ncs.s")).toMatch(JWE);
    expect(browser.cookies.get("__Host-ncs.at")).toBe(tokens.AccessToken);
    expect(me.headers.get("cache-control")).toBe("private, no-store");
    // The same tokens, now in the current format.
    expect(await coreOf(app).storage.read(new Map([...browser.cookies].map(([n, v]) => [n, [v]])))).toEqual({
      accessToken: tokens.AccessToken,
      idToken: tokens.IdToken,
      refreshToken: tokens.RefreshToken,
      endsAt,
    });

    const again = await browser.fetch("/api/me");
    expect(again.status).toBe(200);
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it("reads the committed seal of that release (refresh token only) and writes it again", async () => {
    const app = createTestApp({ env: { SESSION_SECRET: previous.secret } });
    const tokens = await tokensOf(app);
    const browser = browserOf(app, { "__Host-ncs.at": tokens.AccessToken, "__Host-ncs.s": previous.seals.session.sealed });
    const me = await browser.fetch("/api/me");
    expect(me.status).toBe(200);
    // No ID token in that seal: the session has the access token's claims.
    expect(await me.json()).toMatchObject({ email: null, sub: expect.any(String) });
    expect(written(me).get("__Host-ncs.s")).toMatch(JWE);
  });

  it("is refused and cleared, never a 500, when it cannot be read: a secret no longer listed, a purpose never readable, a broken seal", async () => {
    const app = createTestApp();
    const tokens = await tokensOf(app);
    const value = { r: tokens.RefreshToken, i: tokens.IdToken, e: Math.floor(Date.now() / 1000) + DAY };
    const unreadable = [
      await previousSeal("a-secret-this-app-never-listed-0123456789", "session", value, DAY),
      await previousSeal(SECRET, "transaction", value, DAY),
      await previousSeal(SECRET, "stored-session", value, DAY),
      `${await previousSeal(SECRET, "session", value, DAY)}~2`,
      (await previousSeal(SECRET, "session", value, DAY)).replace(/\*[\w-]{43}$/, `*${"A".repeat(43)}`),
      "Fe26.2*1*",
    ];
    for (const sealed of unreadable) {
      const browser = browserOf(app, { "__Host-ncs.at": tokens.AccessToken, "__Host-ncs.s": sealed });
      const me = await browser.fetch("/api/me");
      expect(me.status, sealed.slice(-30)).toBe(401);
      expect(cleared(me).sort()).toEqual(["__Host-ncs.at", "__Host-ncs.s"]);
      const page = await browserOf(app, { "__Host-ncs.at": tokens.AccessToken, "__Host-ncs.s": sealed }).fetch("/dashboard");
      expect(page.status).toBe(307);
      expect(cleared(page).sort()).toEqual(["__Host-ncs.at", "__Host-ncs.s"]);
    }
  });
});

describe("a server-side session the previous release wrote", () => {
  it("reads; its id cookie is written again as a JWE, and its stored tokens are sealed again, under the same store key", async () => {
    const app = createTestApp({ sessions: "server" });
    const signIn = browserOf(app, {});
    await signIn.signIn("alice@example.com");
    const opened = await (coreOf(app).storage as StoreSessions).ids.open(signIn.cookies.get("__Host-ncs.id")!);
    const storeKey = `session:${opened!.key}`;
    const tokens = await tokensOf(app);
    const endsAt = Math.floor(Date.now() / 1000) + 30 * DAY;
    // What the previous release left: its id cookie, its seal in the store.
    await coreOf(app).store.set(
      storeKey,
      await previousSeal(SECRET, "stored-session", { a: tokens.AccessToken, r: tokens.RefreshToken, i: tokens.IdToken, e: endsAt }, 30 * DAY),
      30 * DAY * 1000,
    );
    const browser = browserOf(app, { "__Host-ncs.id": await previousSessionId(SECRET, opened!.id) });

    const me = await browser.fetch("/api/me");
    expect(me.status).toBe(200);
    expect((await me.json()).email).toBe("alice@example.com");
    expect([...written(me).keys()]).toEqual(["__Host-ncs.id"]);
    expect(browser.cookies.get("__Host-ncs.id")).toMatch(JWE);
    expect(await (coreOf(app).storage as StoreSessions).ids.open(browser.cookies.get("__Host-ncs.id")!)).toEqual({ ...opened, current: true });
    expect(await coreOf(app).store.get(storeKey)).toMatch(JWE);

    const again = await browser.fetch("/api/me");
    expect(again.status).toBe(200);
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it("an id cookie of that release under a secret no longer listed is no session, and is cleared", async () => {
    const app = createTestApp({ sessions: "server" });
    const signIn = browserOf(app, {});
    await signIn.signIn("alice@example.com");
    const opened = await (coreOf(app).storage as StoreSessions).ids.open(signIn.cookies.get("__Host-ncs.id")!);
    const browser = browserOf(app, { "__Host-ncs.id": await previousSessionId("a-secret-this-app-never-listed-0123456789", opened!.id) });
    const me = await browser.fetch("/api/me");
    expect(me.status).toBe(401);
    expect(cleared(me)).toContain("__Host-ncs.id");
  });
});

describe("a sign-in transaction the previous release wrote", () => {
  it("is not taken: the callback answers 400 (sign-in failed), not 500, and clears it", async () => {
    const app = createTestApp();
    const state = "previous-format-state-0123456789";
    const name = coreOf(app).transactions.cookieName(state);
    const legacy = await previousSeal(SECRET, "transaction", { state, nonce: "n", codeVerifier: "v".repeat(43), returnTo: "/" }, 600);
    const callback = await browserOf(app, { [name]: legacy }).fetch(`/auth/callback?code=c&state=${state}`);
    expect(callback.status).toBe(400);
    expect(cleared(callback)).toContain(name);
  });
});
