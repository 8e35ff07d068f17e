import { NextRequest } from "next/server";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { createCognitoMiddleware } from "next-cognito-session/middleware";
import { APP_URL, createTestApp, testAppOptions } from "./helpers/app.ts";
import { middlewareRequest } from "./helpers/next-routing.ts";
import { cookieHeader, signedInCookies } from "./helpers/password-session.ts";

// Path rules as the middleware enforces them, for pages and for data requests.
const app = createTestApp({
  protect: {
    "/dashboard/:path*": {},
    "/admin/:path*": { groups: ["admins"] },
    "/api/admin/:path*": { groups: ["admins"] },
    "/api/orders/:path*": { scopes: ["orders/read"] },
  },
});
let alice: string;
let bob: string;

beforeAll(async () => {
  const { endpoint } = inject("cognito");
  alice = cookieHeader(await signedInCookies(app, endpoint, "alice@example.com"));
  bob = cookieHeader(await signedInCookies(app, endpoint, "bob@example.com"));
});

function send(path: string, headers: Record<string, string> = {}, method = "GET") {
  // Concatenated, not resolved: `//admin` must stay a path, not become a host.
  return app.middleware(new NextRequest(`${APP_URL}${path}`, { method, headers: { accept: "text/html", ...headers } }));
}

const passed = (response: Response) => response.headers.get("x-middleware-next") === "1";

describe("pages redirect to sign-in; data requests get 401 / 403", () => {
  it("redirects a signed-out page request to sign-in with its path and query as returnTo", async () => {
    const response = await send("/dashboard/reports?tab=2&x=%2F");
    expect(response.status).toBe(307);
    const location = new URL(response.headers.get("location")!);
    expect(location.pathname).toBe("/auth/sign-in");
    expect(location.searchParams.get("returnTo")).toBe("/dashboard/reports?tab=2&x=%2F");
  });

  const data: Array<[string, Record<string, string>, string?]> = [
    ["an RSC fetch", { rsc: "1" }],
    // What the middleware sees of one under `next start`: Next strips RSC and Next-Router-Prefetch first.
    ["the router's fetch() as Next hands it on", { accept: "*/*", "sec-fetch-mode": "cors", "sec-fetch-dest": "empty" }],
    ["a router prefetch", { "next-router-prefetch": "1", rsc: "1" }],
    ["a browser prefetch", { purpose: "prefetch" }],
    ["a server action", { "next-action": "7f3a", accept: "text/x-component" }, "POST"],
    ["a JSON request", { accept: "application/json" }],
    ["a form POST", { "content-type": "application/x-www-form-urlencoded" }, "POST"],
  ];
  for (const [what, headers, method] of data) {
    it(`answers ${what} without a session with 401, never a redirect`, async () => {
      const response = await send("/dashboard", headers, method);
      expect(response.status).toBe(401);
      expect(response.headers.get("location")).toBeNull();
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="localhost:3000", error="invalid_token"');
    });
  }

  it("treats a browser navigation as a page", async () => {
    const navigation = { accept: "text/html,application/xhtml+xml", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" };
    expect((await send("/dashboard", navigation)).status).toBe(307);
  });

  it("answers API paths with 401 even when the client asks for HTML", async () => {
    for (const path of ["/api/admin/stats", "/api/orders", "/api/orders/17"]) {
      const response = await send(path);
      expect(response.status, path).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
  });

  it("gives a signed-in user outside the group a 403 page, and a 403 challenge to data requests", async () => {
    const page = await send("/admin", { cookie: bob });
    expect(page.status).toBe(403);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).not.toContain("admins");
    const rsc = await send("/admin", { cookie: bob, rsc: "1" });
    expect(rsc.status).toBe(403);
    expect(rsc.headers.get("www-authenticate")).toBe('Bearer realm="localhost:3000", error="insufficient_scope"');
    const api = await send("/api/admin/stats", { cookie: bob });
    expect(api.status).toBe(403);
    expect(passed(await send("/admin", { cookie: alice }))).toBe(true);
    expect(passed(await send("/api/admin/stats", { cookie: alice }))).toBe(true);
  });

  it("names the missing scope in a 403 for a scope rule", async () => {
    const response = await send("/api/orders", { cookie: alice });
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="localhost:3000", error="insufficient_scope", scope="orders/read"');
  });

  it("matches the rule however the path is spelt", async () => {
    for (const path of [
      "/%61dmin",
      "/admin/",
      "//admin",
      "/admin//",
      "/dashboard/../admin",
      "/./admin",
      "/ADMIN/%2e%2e/admin",
      "/admin%2F",
      "/dashboard%2F..%2Fadmin",
    ]) {
      const response = await send(path, { cookie: bob });
      expect(response.status, path).toBe(403);
      expect((await send(path)).status, path).toBe(307);
    }
  });

  it("leaves unprotected paths alone, signed in or not", async () => {
    expect(passed(await send("/"))).toBe(true);
    expect(passed(await send("/administrator"))).toBe(true);
    expect(passed(await send("/api/me", { rsc: "1" }))).toBe(true);
  });
});

describe("a rule covers every URL Next routes under its prefix", () => {
  // Next routes each of these to app/dashboard/[id]: the id is one segment, `%2F` and all.
  const ROUTED_TO_DASHBOARD_ID = ["/dashboard/..%2F..%2Fpublic", "/dashboard/..%5C..%5Cpublic", "/dashboard/x%2F..%2F..", "/dashboard/%2e%2e%2f%2e%2e%2fx"];

  it.each(ROUTED_TO_DASHBOARD_ID)("redirects %s to sign-in without a session, and answers data with 401", async (path) => {
    const page = await send(path);
    expect(page.status).toBe(307);
    expect(new URL(page.headers.get("location")!).searchParams.get("returnTo")).toBe(path);
    expect((await send(path, { accept: "application/json" })).status).toBe(401);
    expect(passed(await send(path, { cookie: bob }))).toBe(true);
  });

  it("covers the path Next routes when its adapter dropped a final .rsc: /dashboard/.rsc is app/dashboard/[id]", async () => {
    const app = createTestApp({ protect: { "/dashboard/:path+": {} } });
    const request = middlewareRequest(APP_URL, "/dashboard/.rsc", { headers: { accept: "text/html" } });
    expect(request.nextUrl.pathname).toBe("/dashboard/");
    expect((await app.middleware(request)).status).toBe(307);
    expect(passed(await app.middleware(middlewareRequest(APP_URL, "/dashboardx")))).toBe(true);
  });
});

describe("every matching rule holds", () => {
  const both = createTestApp({ protect: { "/:path*": {}, "/admin/:path*": { groups: ["admins"] } } });
  const sendTo = (path: string, headers: Record<string, string> = {}) =>
    both.middleware(new NextRequest(`${APP_URL}${path}`, { headers: { accept: "text/html", ...headers } }));

  it("gives a signed-in user outside admins 403 on /admin/users although /:path* admits every user", async () => {
    expect((await sendTo("/admin/users", { cookie: bob })).status).toBe(403);
    expect((await sendTo("/admin/users", { cookie: bob, accept: "application/json" })).status).toBe(403);
    expect(passed(await sendTo("/admin/users", { cookie: alice }))).toBe(true);
    expect(passed(await sendTo("/reports", { cookie: bob }))).toBe(true);
    expect((await sendTo("/reports")).status).toBe(307);
  });

  it("names the scopes of every rule covering the path in the 403 challenge", async () => {
    const scoped = createTestApp({
      protect: { "/api/:path*": { scopes: ["api/read"] }, "/api/orders/:path*": { scopes: ["orders/read"] }, "/api/orders": { groups: ["admins"] } },
    });
    const response = await scoped.middleware(new NextRequest(`${APP_URL}/api/orders`, { headers: { cookie: alice } }));
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="localhost:3000", error="insufficient_scope", scope="api/read orders/read"');
    const signedOut = await scoped.middleware(new NextRequest(`${APP_URL}/api/orders`));
    expect(signedOut.status).toBe(401);
  });
});

describe("patterns in Next's matcher syntax", () => {
  it("enforces /admin/(.*), /(admin|ops)/:path* and /admin/:id(\\d+) as Next's matcher reads them", async () => {
    for (const pattern of ["/admin/(.*)", "/(admin|ops)/:path*", "/admin/:id(\\d+)"]) {
      const app = createTestApp({ protect: { [pattern]: { groups: ["admins"] } } });
      const status = async (path: string) => (await app.middleware(new NextRequest(`${APP_URL}${path}`, { headers: { cookie: bob } }))).status;
      expect(await status("/admin/42"), pattern).toBe(403);
      expect(await status("/admin%2F42"), pattern).toBe(403);
      expect(await status("/public"), pattern).toBe(200);
    }
  });

  it("refuses a pattern it cannot read when the app starts, naming it", () => {
    expect(() => createTestApp({ protect: { "/admin/*": {} } })).toThrow(/protect\["\/admin\/\*"\]/);
    expect(() => createCognitoMiddleware(testAppOptions({ protect: { "/a{b}": {} } }))).toThrow(
      expect.objectContaining({ code: "ERR_CONFIG", setting: 'protect["/a{b}"]' }),
    );
  });
});

describe("internal hand-off headers", () => {
  it("drops any inbound header under the library's prefix and hands on the real path", async () => {
    const response = await send("/dashboard?tab=1", {
      cookie: alice,
      "x-ncs-path": "https://evil.example/",
      "X-NCS-Session": '{"groups":["admins"]}',
      "x-ncs-": "empty",
    });
    expect(passed(response)).toBe(true);
    const overridden = response.headers.get("x-middleware-override-headers")!.split(",");
    expect(overridden.filter((name) => name.startsWith("x-ncs-"))).toEqual(["x-ncs-path"]);
    expect(response.headers.get("x-middleware-request-x-ncs-path")).toBe("/dashboard?tab=1");
    expect(response.headers.get("x-middleware-request-x-ncs-session")).toBeNull();
    expect(overridden).toContain("cookie");
  });

  it("drops them on unprotected paths and signed-out requests too", async () => {
    const response = await send("/", { "x-ncs-session": "alice" });
    expect(response.headers.get("x-middleware-override-headers")!.split(",")).not.toContain("x-ncs-session");
  });
  it("hands on the path with every request that has no session, for a sign-in to come back to", async () => {
    const response = await send("/pricing?plan=team");
    expect(passed(response)).toBe(true);
    expect(response.headers.get("x-middleware-request-x-ncs-path")).toBe("/pricing?plan=team");
  });

  it("hands on what the app's own handler set on a signed-in request, with nothing else to hand on", async () => {
    const withHandler = app.middleware((request) => {
      request.headers.set("x-tenant", "acme");
    });
    const response = await withHandler(new NextRequest(`${APP_URL}/dashboard?tab=1`, { headers: { accept: "text/html", cookie: alice } }));
    expect(passed(response)).toBe(true);
    expect(response.headers.get("x-middleware-request-x-tenant")).toBe("acme");
  });

  it("lets a signed-in request with nothing to hand on go on with the browser's own headers, copying none", async () => {
    const response = await send("/dashboard?tab=1", { cookie: alice });
    expect(passed(response)).toBe(true);
    expect(response.headers.get("x-middleware-override-headers")).toBeNull();
    expect([...response.headers.keys()].filter((name) => name.startsWith("x-middleware-request-"))).toEqual([]);
  });
});
