// `next-cognito-session/middleware`: the same middleware as `auth.middleware`, built without
// the server APIs, so an Edge bundle leaves out next/headers, next/navigation and React.
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { NextResponse } from "next/server";
import { describe, expect, it } from "vitest";
import { createCognitoMiddleware } from "next-cognito-session/middleware";
import { createTestApp, TestBrowser, testAppOptions } from "./helpers/app.ts";

const protect = {
  "/dashboard/:path*": {},
  "/admin/:path*": { groups: ["admins"] },
  "/api/admin/:path*": { groups: ["admins"] },
};

/** What a response shows a client: enough to tell two middlewares' answers apart. */
const outcome = (r: Response) => ({
  status: r.status,
  location: r.headers.get("location"),
  next: r.headers.get("x-middleware-next"),
  challenge: r.headers.get("www-authenticate"),
});

describe("createCognitoMiddleware", () => {
  it("answers a protected page and API path as auth.middleware does, signed out, as a user and as an admin", async () => {
    const app = createTestApp({ protect });
    const full = new TestBrowser(app);
    const middleware = createCognitoMiddleware(testAppOptions({ protect }));
    const alone = new TestBrowser({ middleware });
    const json = { headers: { accept: "application/json" } };
    const visit = async () => ({
      dashboard: outcome(await alone.fetch("/dashboard?tab=1")),
      admin: outcome(await alone.fetch("/admin")),
      api: outcome(await alone.fetch("/api/admin/stats", json)),
    });
    const same = async () => ({
      dashboard: outcome(await full.fetch("/dashboard?tab=1")),
      admin: outcome(await full.fetch("/admin")),
      api: outcome(await full.fetch("/api/admin/stats", json)),
    });

    const signedOut = await visit();
    expect(signedOut.dashboard.status).toBe(307);
    expect(new URL(signedOut.dashboard.location!).searchParams.get("returnTo")).toBe("/dashboard?tab=1");
    expect(signedOut.api.status).toBe(401);
    expect(signedOut.api.challenge).toMatch(/^Bearer .*error="invalid_token"/);
    expect(signedOut).toEqual(await same());

    // Sign-in and callback are mounted by the middleware alone; its session is the app's.
    for (const [email, admin] of [
      ["bob@example.com", false],
      ["alice@example.com", true],
    ] as const) {
      const callback = await alone.signIn(email);
      expect(callback.status).toBe(302);
      await full.signIn(email);
      const seen = await visit();
      expect(seen.dashboard.next).toBe("1");
      expect(seen.admin.status).toBe(admin ? 200 : 403);
      expect(seen.api.status).toBe(admin ? 200 : 403);
      expect(seen).toEqual(await same());
    }

    // The full object's server side reads the session the middleware-only entry started.
    alone.routes.set(
      "/api/me",
      app.withAuth({}, (_req, { session }) => Response.json({ email: session.user?.email })),
    );
    expect(await (await alone.fetch("/api/me")).json()).toEqual({ email: "alice@example.com" });
  });

  it("composes with a handler of the app's own, which sees the session", async () => {
    const middleware = createCognitoMiddleware(testAppOptions());
    const browser = new TestBrowser({
      middleware: middleware((request, { session }) =>
        request.nextUrl.pathname === "/" && session ? NextResponse.redirect(new URL("/dashboard", request.url)) : undefined,
      ),
    });
    expect((await browser.fetch("/")).headers.get("x-middleware-next")).toBe("1");
    await browser.signIn("bob@example.com");
    const home = await browser.fetch("/");
    expect(home.status).toBe(307);
    expect(home.headers.get("location")).toBe("http://localhost:3000/dashboard");
  });

  it("refuses invalid options as createCognitoSession does, naming the setting", () => {
    expect(() => createCognitoMiddleware(testAppOptions({ env: { SESSION_SECRET: "short" } }))).toThrow(/SESSION_SECRET/);
  });
});

describe("the middleware entry's module graph", () => {
  const src = resolve(import.meta.dirname, "../src");

  /** Every module `entry` loads, statically or through `import()`, relative ones followed. */
  function graph(entry: string): Set<string> {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, "utf8");
      // `import … from`, `export … from`, bare `import "…"` and `import("…")`; type-only ones are erased.
      for (const [, spec] of text.matchAll(/(?:^(?:import|export)(?!\s+type\b)(?:[^;"]*?\bfrom)?|\bimport\()\s*"([^"]+)"/gm)) {
        if (spec!.startsWith(".")) visit(join(dirname(file), spec!));
        else seen.add(spec!);
      }
    };
    visit(entry);
    return seen;
  }

  it("reaches none of the server APIs, the password flow, next/headers, next/navigation or React", () => {
    const modules = [...graph(join(src, "middleware.ts"))].map((m) => (m.startsWith("/") ? relative(src, m) : m));
    expect(modules).toContain("next/middleware.ts");
    const serverApis = ["next/server-api.ts", "next/with-auth.ts", "next/scope.ts", "next/next-cookies.ts", "next/password-api.ts", "next/create.ts"];
    const forbidden = modules.filter((m) => serverApis.includes(m) || m === "flows/password.ts" || /^(next\/(headers|navigation)|react)/.test(m));
    expect(forbidden).toEqual([]);
  });

  it("sees what the full entry loads (the check can fail)", () => {
    const modules = [...graph(join(src, "index.ts"))].map((m) => (m.startsWith("/") ? relative(src, m) : m));
    expect(modules).toEqual(expect.arrayContaining(["next/server-api.ts", "flows/password.ts", "next/headers.js", "next/navigation.js"]));
  });
});
