// The example app's own pages and route handlers, tested the way a user of the library
// tests theirs: with `next-cognito-session/testing` and no user pool.
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAccessToken } from "next-cognito-session";
import { runAs, startTestIssuer, type TestIssuer, testEnv, testRequest } from "next-cognito-session/testing";
import { createTestApp } from "./helpers/app.ts";

let pool: TestIssuer;
let auth: typeof import("../app-example/auth.ts").auth;
let orders: typeof import("../app-example/app/api/orders/route.ts");
let stats: typeof import("../app-example/app/api/admin/stats/route.ts");
let Admin: typeof import("../app-example/app/admin/page.tsx").default;

beforeAll(async () => {
  pool = await startTestIssuer();
  // The example's auth.ts reads its configuration from the environment when imported.
  Object.assign(process.env, testEnv(pool));
  ({ auth } = await import("../app-example/auth.ts"));
  orders = await import("../app-example/app/api/orders/route.ts");
  stats = await import("../app-example/app/api/admin/stats/route.ts");
  Admin = (await import("../app-example/app/admin/page.tsx")).default;
});
afterAll(() => pool.close());

const call = async (handler: { GET: (r: Request, c: unknown) => Promise<Response> }, request: Request) => handler.GET(request, { params: Promise.resolve({}) });

describe("/api/orders (scope orders/read)", () => {
  it("serves a machine client's Bearer token with the scope; its session has no user", async () => {
    const response = await call(orders, await testRequest(auth, pool, "/api/orders", { machine: ["orders/read"] }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ client: pool.clientId, orders: expect.any(Array) });
    await runAs(auth, pool, { machine: ["orders/read", "orders/write"] }, (session) => {
      expect(session).toMatchObject({ user: null, groups: [], scopes: ["orders/read", "orders/write"], clientId: pool.clientId });
    });
  });

  it("answers 403 naming the scope to a machine client without it and to every user session", async () => {
    for (const who of [{ machine: ["orders/write"] }, { groups: ["admins"] }, {}]) {
      const response = await call(orders, await testRequest(auth, pool, "/api/orders", who));
      expect(response.status).toBe(403);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="localhost:3000", error="insufficient_scope", scope="orders/read"');
    }
  });

  it("answers 401 without a token, and to an expired, foreign-keyed or other-client token", async () => {
    const other = await startTestIssuer({ issuer: pool.issuer, clientId: pool.clientId });
    try {
      const tokens = [
        pool.machineToken("orders/read", { exp: Math.floor(Date.now() / 1000) - 60 }),
        other.machineToken("orders/read"),
        pool.machineToken("orders/read", { client_id: "someoneelse" }),
        pool.idToken({ scope: "orders/read" }),
      ];
      expect((await call(orders, await testRequest(auth, pool, "/api/orders", null))).status).toBe(401);
      for (const token of tokens) {
        const request = new Request("http://localhost:3000/api/orders", { headers: { authorization: `Bearer ${token}` } });
        const response = await call(orders, request);
        expect(response.status).toBe(401);
        expect(response.headers.get("www-authenticate")).toBe('Bearer realm="localhost:3000", error="invalid_token"');
      }
    } finally {
      await other.close();
    }
  });
});

describe("/api/admin/stats (group admins)", () => {
  it("serves admins, refuses other users and machine clients, 401 without a session", async () => {
    expect((await call(stats, await testRequest(auth, pool, "/api/admin/stats", { groups: ["admins"] }))).status).toBe(200);
    expect((await call(stats, await testRequest(auth, pool, "/api/admin/stats", { groups: ["staff"] }))).status).toBe(403);
    expect((await call(stats, await testRequest(auth, pool, "/api/admin/stats", { machine: ["admins"] }))).status).toBe(403);
    expect((await call(stats, await testRequest(auth, pool, "/api/admin/stats", null))).status).toBe(401);
  });
});

describe("the /admin page", () => {
  it("renders for an admin", async () => {
    const html = renderToStaticMarkup(await runAs(auth, pool, { email: "ada@example.com", groups: ["admins"] }, () => Admin()));
    expect(html).toContain("Signed in as ada@example.com, member of admins.");
  });

  it("sends a signed-out visitor to sign in and gives other users the forbidden page", async () => {
    const digest = (who: Parameters<typeof runAs>[2]) =>
      runAs(auth, pool, who, () => Admin()).then(
        () => "rendered",
        (error: { digest?: string }) => error.digest,
      );
    expect(await digest(null)).toMatch(/^NEXT_REDIRECT;replace;\/auth\/sign-in\?returnTo=/);
    process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS = "true";
    try {
      expect(await digest({ groups: ["staff"] })).toBe("NEXT_HTTP_ERROR_FALLBACK;403");
    } finally {
      delete process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS;
    }
  });
});

describe("the testing kit", () => {
  it("gives every server API the minted session, custom attributes typed, the access token behind it", async () => {
    await runAs(auth, pool, { sub: "u-1", email: "ada@example.com", attributes: { "custom:tenant": "acme", given_name: "Ada" } }, async () => {
      const session = await auth.getServerSession();
      expect(session?.user).toMatchObject({ sub: "u-1", email: "ada@example.com", given_name: "Ada" });
      const tenant: string | undefined = session?.user?.["custom:tenant"];
      expect(tenant).toBe("acme");
      expect(auth.currentSession()).toBe(session);
      expect(getAccessToken(session!)).toMatch(/^eyJ/);
    });
  });

  it("refuses to run when the app does not accept the issuer's tokens, instead of passing as signed out", async () => {
    await expect(runAs(createTestApp(), pool, {}, () => "ran")).rejects.toThrow(/testEnv/);
  });
});
