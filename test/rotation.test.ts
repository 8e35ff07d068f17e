import { describe, expect, inject, it } from "vitest";
import { resolveConfig } from "../src/config/resolve.ts";
import type { SessionStorage } from "../src/persistence/storage.ts";
import { createCore } from "../src/session/core.ts";
import { createTestApp, TestBrowser } from "./helpers/app.ts";
import { cookieHeader, signedInCookies } from "./helpers/password-session.ts";
import { coreOf } from "../src/internal.ts";

const OLD = "old-secret-0123456789-abcdefghijklmnopq";
const NEW = "new-secret-0123456789-abcdefghijklmnopq";
const OTHER = "other-secret-0123456789-abcdefghijklmno";

const appWith = (...secrets: string[]) => createTestApp({ env: { SESSION_SECRET: secrets.join(",") } });

function browserOf(app: ReturnType<typeof appWith>, cookies: Map<string, string>): TestBrowser {
  const browser = new TestBrowser(app);
  for (const [name, value] of cookies) browser.cookies.set(name, value);
  browser.routes.set(
    "/api/me",
    app.withAuth({}, (_req, { session }) => Response.json({ email: session.user?.email })),
  );
  return browser;
}

describe("SESSION_SECRET rotation", () => {
  it("reads cookies sealed with the old secret and re-seals them with the new one on the next write", async () => {
    const before = appWith(OLD);
    const cookies = await signedInCookies(before, inject("cognito").endpoint, "alice@example.com");

    // Deployed with the new secret first, the old one second.
    const rotated = appWith(NEW, OLD);
    const browser = browserOf(rotated, cookies);
    const response = await browser.fetch("/api/me");
    expect(response.status).toBe(200);
    expect((await response.json()).email).toBe("alice@example.com");
    // The sealed cookie was written again, with the new secret, and nothing else changed.
    const written = response.headers.getSetCookie().map((l) => l.split("=")[0]);
    expect(written).toContain(coreOf(rotated).cookieNames.sealed);
    expect(response.headers.get("cache-control")).toBe("private, no-store");
    expect(browser.cookies.get(coreOf(rotated).cookieNames.sealed)).not.toBe(cookies.get(coreOf(rotated).cookieNames.sealed));
    expect(browser.cookies.get(coreOf(rotated).cookieNames.access)).toBe(cookies.get(coreOf(rotated).cookieNames.access));

    // Once re-sealed, the cookies are left alone...
    const again = await browser.fetch("/api/me");
    expect(again.status).toBe(200);
    expect(again.headers.getSetCookie()).toEqual([]);

    // ...and survive the old secret being dropped, which the originals do not.
    const retired = appWith(NEW);
    expect((await browserOf(retired, new Map(browser.cookies)).fetch("/api/me")).status).toBe(200);
    const stale = await browserOf(retired, cookies).fetch("/api/me");
    expect(stale.status).toBe(401);
  });

  it("treats a cookie sealed with a secret no longer listed as no session, and clears it", async () => {
    const cookies = await signedInCookies(appWith(OTHER), inject("cognito").endpoint, "alice@example.com");
    const app = appWith(NEW, OLD);
    const browser = browserOf(app, cookies);
    const me = await browser.fetch("/api/me");
    expect(me.status).toBe(401);
    const page = await browser.fetch("/dashboard", { headers: { cookie: cookieHeader(cookies) } });
    expect(page.status).toBe(307);
    const cleared = page.headers
      .getSetCookie()
      .filter((l) => /max-age=0/i.test(l))
      .map((l) => l.split("=")[0]);
    expect(cleared.sort()).toEqual([coreOf(app).cookieNames.access, coreOf(app).cookieNames.sealed].sort());
    expect(page.headers.get("cache-control")).toBe("private, no-store");
  });

  it("never re-seals in a read that cannot write (a server component)", async () => {
    const cookies = await signedInCookies(appWith(OLD), inject("cognito").endpoint, "alice@example.com");
    const app = appWith(NEW, OLD);
    const { resolveSession } = await import("../src/session/resolve.ts");
    const jar = new Map([...cookies].map(([n, v]) => [n, [v]]));
    const read = await resolveSession(coreOf(app), jar, { refresh: false });
    expect(read.session?.user?.email).toBe("alice@example.com");
    expect(read.changes).toEqual({ set: [], remove: [] });
  });

  it("tells a chunked seal's secret from its first chunk", async () => {
    const cookiesWith = (...secrets: string[]) =>
      createCore(resolveConfig({ userPoolId: "local_rotation", clientId: "client", secret: secrets, appUrl: "https://app.example", env: {} }));
    const tokens = {
      accessToken: "a.b.c",
      idToken: `x.${"y".repeat(6_000)}.z`,
      refreshToken: "r".repeat(1_800),
      endsAt: Math.floor(Date.now() / 1000) + 3_600,
    };
    const jarOf = async ({ storage }: { storage: SessionStorage }) => new Map((await storage.write(new Map(), tokens)).set.map((c) => [c.name, [c.value]]));
    const rewrite = async ({ storage }: { storage: SessionStorage }, jar: Map<string, string[]>) => (await storage.open(storage.sent(jar)!))?.rewrite;
    const rotated = cookiesWith(NEW, OLD);
    const oldJar = await jarOf(cookiesWith(OLD));
    const newJar = await jarOf(rotated);
    expect(oldJar.has(`${rotated.cookieNames.sealed}.1`)).toBe(true); // chunked
    expect(await rewrite(rotated, oldJar)).toBe(true);
    expect(await rewrite(rotated, newJar)).toBe(false);
  });
});
