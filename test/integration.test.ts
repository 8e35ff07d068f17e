import { describe, expect, inject, it } from "vitest";
import { cognito } from "../scripts/cognito-local.mjs";
import { createTestApp, TestBrowser } from "./helpers/app.ts";
import { coreOf } from "../src/internal.ts";

const me = (app: ReturnType<typeof createTestApp>) =>
  app.withAuth({}, (_req, { session }) => Response.json({ ...session.user, scopes: session.scopes, groups: session.groups }));

describe("sign-in to a verified session and out again (embedded Cognito)", () => {
  it("signs alice in through the hosted login page, serves her claims, and signs her out for good", async () => {
    const app = createTestApp();
    const browser = new TestBrowser(app);
    browser.routes.set("/api/me", me(app));

    const gate = await browser.fetch("/dashboard");
    expect(gate.status).toBe(307);
    expect(new URL(gate.headers.get("location")!).searchParams.get("returnTo")).toBe("/dashboard");

    const callback = await browser.signIn("alice@example.com");
    expect(callback.status).toBe(302);
    expect(new URL(callback.headers.get("location")!).pathname).toBe("/dashboard");
    expect(callback.headers.get("cache-control")).toBe("private, no-store");
    for (const line of callback.headers.getSetCookie()) {
      if (/max-age=0/i.test(line)) continue;
      expect(line).toMatch(/; HttpOnly/);
      expect(line).toMatch(/; Secure/);
      expect(line).toMatch(/; SameSite=Lax/);
      expect(line).toMatch(/; Path=\//);
      expect(line).toMatch(/^__Host-/);
    }
    expect([...browser.cookies.keys()].sort()).toEqual(["__Host-ncs.at", "__Host-ncs.s"]);

    const claims = await (await browser.fetch("/api/me")).json();
    expect(claims.email).toBe("alice@example.com");
    expect(claims.groups).toEqual(["admins"]);
    expect(typeof claims.sub).toBe("string");

    expect((await browser.fetch("/dashboard")).headers.get("x-middleware-next")).toBe("1");

    // The refresh token, recovered through the library's own unseal, works before sign-out...
    const tokens = await coreOf(app).storage.read(new Map([...browser.cookies].map(([k, v]) => [k, [v]])));
    const refreshToken = tokens!.refreshToken!;
    const { endpoint, clientId } = inject("cognito");
    const refresh = () =>
      cognito(endpoint, "InitiateAuth", { AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: clientId, AuthParameters: { REFRESH_TOKEN: refreshToken } });
    await expect(refresh()).resolves.toHaveProperty("AuthenticationResult.AccessToken");

    const signOut = await browser.fetch("/auth/sign-out", { method: "POST", headers: { origin: "http://localhost:3000" } });
    expect(signOut.status).toBe(303);
    expect(signOut.headers.get("clear-site-data")).toBe('"cookies"');
    expect(signOut.headers.get("x-sign-out-incomplete")).toBeNull();
    expect(browser.cookies.size).toBe(0);

    // ...and is dead after it.
    await expect(refresh()).rejects.toThrow(/NotAuthorized/);
    expect((await browser.fetch("/api/me")).status).toBe(401);
    expect((await browser.fetch("/dashboard")).status).toBe(307);
  });

  it("gives bob his session without the admins group", async () => {
    const app = createTestApp();
    const browser = new TestBrowser(app);
    browser.routes.set("/api/me", me(app));
    await browser.signIn("bob@example.com");
    const claims = await (await browser.fetch("/api/me")).json();
    expect(claims.email).toBe("bob@example.com");
    expect(claims.groups).toEqual([]);
    const admin = await browser.fetch("/admin");
    expect(admin.status).toBe(403);
  });

  it("sets nothing when the callback's state is missing or wrong", async () => {
    const app = createTestApp();
    const browser = new TestBrowser(app);
    await browser.fetch("/auth/sign-in?returnTo=/dashboard");
    const missing = await browser.fetch("/auth/callback?code=abc");
    expect(missing.status).toBe(400);
    expect(missing.headers.getSetCookie()).toEqual([]);
    const wrong = await browser.fetch("/auth/callback?code=abc&state=not-the-state");
    expect(wrong.status).toBe(400);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    expect([...browser.cookies.keys()].some((n) => n.includes(".at"))).toBe(false);
  });

  it("refuses a wrong password at the hosted login page", async () => {
    const browser = new TestBrowser(createTestApp());
    await expect(browser.signIn("alice@example.com", "wrong")).rejects.toThrow(/hosted login refused/);
  });
});
