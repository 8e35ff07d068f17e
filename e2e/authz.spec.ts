// Authorization in the built example under `next start`: who gets /admin, /api/admin/stats and
// /api/orders, and that no way around the middleware (CVE-2025-29927's subrequest header,
// data routes, odd spellings, forged internal headers) reaches protected data, because the
// pages and handlers verify on their own.
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type BrowserContext, expect, test as base } from "@playwright/test";
import { startTestIssuer, type TestIssuer } from "next-cognito-session/testing";
import { signInHosted } from "./fixtures.ts";
import { type RunningExample, startExample, type Variant } from "./support/example-app.ts";

/**
 * The pool's JWKS with one more key: the embedded Cognito's own keys plus a test issuer's,
 * so the app accepts machine-to-machine tokens (client credentials, custom scopes), which
 * the embedded Cognito cannot issue, as coming from its pool.
 */
async function startJwksUnion(): Promise<{ url: string; add: (upstream: string, pool: TestIssuer) => void; close: () => Promise<void> }> {
  let upstream: string | undefined;
  let pool: TestIssuer | undefined;
  const server: Server = createServer((_req, res) => {
    if (!upstream || !pool) return void res.writeHead(503).end();
    fetch(upstream)
      .then((r) => r.json() as Promise<{ keys: unknown[] }>)
      .then(({ keys }) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ keys: [...keys, pool!.key.publicJwk] }));
      })
      .catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    add: (u, p) => {
      upstream = u;
      pool = p;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Authz {
  example: RunningExample;
  pool: TestIssuer;
  /** `Cookie` headers of signed-in sessions. */
  alice: string;
  bob: string;
  /** Bob's cookies as the browser stored them, to put in another browser context. */
  bobCookies: Awaited<ReturnType<BrowserContext["cookies"]>>;
  /** A machine client's Bearer token with `orders/read`. */
  machine: string;
}

/** A raw HTTP request, so the path goes out exactly as written (no URL normalization). */
function raw(baseURL: string, path: string, headers: Record<string, string> = {}, method = "GET") {
  const { hostname, port, host } = new URL(baseURL);
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = httpRequest({ host: hostname === "localhost" ? "127.0.0.1" : hostname, port, path, method, headers: { host, ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const PROTECTED = {
  page: 'data-testid="admin-content"',
  stats: "activeSessions",
  orders: "o-1001",
};
const leaks = (body: string) => Object.values(PROTECTED).filter((marker) => body.includes(marker));

for (const variant of ["middleware", "proxy"] as Variant[]) {
  const test = base.extend<object, { authz: Authz }>({
    authz: [
      async ({ browser }, use) => {
        const union = await startJwksUnion();
        const example = await startExample({ variant, env: { COGNITO_JWKS_URI: union.url } });
        const pool = await startTestIssuer({ issuer: example.cognito.issuer, clientId: example.cognito.clientId });
        union.add(example.cognito.jwksUri, pool);
        const cookiesOf = async (email: string) => {
          const context = await browser.newContext();
          const page = await context.newPage();
          await signInHosted(page, example, email);
          const cookies = await context.cookies();
          await context.close();
          return cookies;
        };
        const header = (cookies: Authz["bobCookies"]) => cookies.map((c) => `${c.name}=${c.value}`).join("; ");
        const [alice, bobCookies] = [await cookiesOf("alice@example.com"), await cookiesOf("bob@example.com")];
        await use({ example, pool, alice: header(alice), bob: header(bobCookies), bobCookies, machine: pool.machineToken("orders/read") });
        await pool.close();
        await example.stop();
        await union.close();
      },
      { scope: "worker", timeout: 300_000 },
    ],
  });

  test.describe(`${variant}: who may see what`, () => {
    test("alice sees /admin and the stats; her user session lacks orders/read", async ({ page, authz }) => {
      const { baseURL } = authz.example;
      await page.context().setExtraHTTPHeaders({ cookie: authz.alice });
      await page.goto(`${baseURL}/admin`);
      await expect(page.getByTestId("admin-content")).toContainText("alice@example.com");
      const stats = await raw(baseURL, "/api/admin/stats", { cookie: authz.alice });
      expect(stats.status).toBe(200);
      expect(JSON.parse(stats.body)).toMatchObject({ activeSessions: expect.any(Number) });
      const orders = await raw(baseURL, "/api/orders", { cookie: authz.alice });
      expect(orders.status).toBe(403);
      expect(orders.headers["www-authenticate"]).toBe(`Bearer realm="${new URL(baseURL).host}", error="insufficient_scope", scope="orders/read"`);
    });

    test("bob gets the forbidden page and 403s", async ({ page, authz }) => {
      const { baseURL } = authz.example;
      await page.context().setExtraHTTPHeaders({ cookie: authz.bob });
      const response = await page.goto(`${baseURL}/admin`);
      expect(response!.status()).toBe(403);
      await expect(page.getByRole("heading", { name: "Forbidden" })).toBeVisible();
      expect(leaks(await page.content())).toEqual([]);
      const stats = await raw(baseURL, "/api/admin/stats", { cookie: authz.bob });
      expect(stats.status).toBe(403);
      expect(stats.headers["www-authenticate"]).toBe(`Bearer realm="${new URL(baseURL).host}", error="insufficient_scope"`);
      expect((await raw(baseURL, "/api/orders", { cookie: authz.bob })).status).toBe(403);
    });

    test("without a session: pages go to sign-in, APIs and data requests get 401", async ({ page, authz }) => {
      const { baseURL } = authz.example;
      await page.goto(`${baseURL}/admin`);
      await expect(page).toHaveURL(/\/oauth2\/authorize\?/);
      const gate = await raw(baseURL, "/admin?tab=2");
      expect(gate.status).toBe(307);
      expect(new URL(gate.headers.location as string, baseURL).searchParams.get("returnTo")).toBe("/admin?tab=2");
      const host = new URL(baseURL).host;
      for (const path of ["/api/admin/stats", "/api/orders"]) {
        const response = await raw(baseURL, path, { accept: "text/html" });
        expect(response.status, path).toBe(401);
        expect(response.headers["www-authenticate"]).toBe(`Bearer realm="${host}", error="invalid_token"`);
      }
      // The router's own requests, sent by the browser so its Sec-Fetch-* headers are real (Next
      // strips RSC and Next-Router-Prefetch before the middleware sees them).
      type Init = { method?: string; headers: Record<string, string> };
      const fromBrowser = (init: Init) => page.evaluate(async (i) => (await fetch("/admin", { ...i, redirect: "manual" })).status, init);
      await page.goto(`${baseURL}/`);
      for (const init of <Init[]>[
        { headers: { RSC: "1" } },
        { headers: { RSC: "1", "Next-Router-Prefetch": "1" } },
        { method: "POST", headers: { "Next-Action": "0123abcd", accept: "text/x-component" } },
      ]) {
        expect(await fromBrowser(init), JSON.stringify(init)).toBe(401);
      }
      await page.context().addCookies(authz.bobCookies);
      expect(await fromBrowser({ headers: { RSC: "1" } })).toBe(403);
    });

    test("a page that guards itself with requireSession redirects to sign-in and back", async ({ page, authz }) => {
      const { baseURL } = authz.example;
      // Forged hand-off headers: the middleware replaces them with the path actually asked for.
      const gate = await raw(baseURL, "/account?tab=keys", { "x-ncs-path": "/admin", "x-middleware-request-x-ncs-path": "/admin" });
      expect(gate.status).toBe(307);
      const location = new URL(gate.headers.location as string, baseURL);
      expect(location.pathname).toBe("/auth/sign-in");
      expect(location.searchParams.get("returnTo")).toBe("/account?tab=keys");
      // In the browser: the page's redirect, the hosted login, and back to the page.
      await page.goto(`${baseURL}/account`);
      await expect(page).toHaveURL(/\/oauth2\/authorize\?/);
      await page.getByLabel("Username").fill("bob@example.com");
      await page.getByLabel("Password").fill(authz.example.cognito.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${baseURL}/account`);
      await expect(page.getByTestId("account-email")).toHaveText("bob@example.com");
    });

    test("a machine client's Bearer token with orders/read gets the orders, nothing else", async ({ authz }) => {
      const { baseURL } = authz.example;
      const orders = await raw(baseURL, "/api/orders", { authorization: `Bearer ${authz.machine}` });
      expect(orders.status).toBe(200);
      expect(JSON.parse(orders.body)).toMatchObject({ client: authz.example.cognito.clientId, orders: expect.any(Array) });
      expect((await raw(baseURL, "/api/orders", { authorization: `Bearer ${authz.pool.machineToken("orders/write")}` })).status).toBe(403);
      expect((await raw(baseURL, "/api/admin/stats", { authorization: `Bearer ${authz.machine}` })).status).toBe(403);
      // A Bearer token that does not verify is 401, even next to alice's valid cookies.
      const forged = `${authz.machine.slice(0, authz.machine.lastIndexOf("."))}.AAAA`;
      expect((await raw(baseURL, "/api/orders", { authorization: `Bearer ${forged}`, cookie: authz.alice })).status).toBe(401);
    });
  });

  test.describe(`${variant}: no way around the middleware reaches protected data`, () => {
    const SUBREQUEST = [
      "middleware:middleware:middleware:middleware:middleware",
      "src/middleware:src/middleware:src/middleware:src/middleware:src/middleware",
      "proxy:proxy:proxy:proxy:proxy",
      "src/proxy:src/proxy:src/proxy:src/proxy:src/proxy",
      "middleware",
      "pages/_middleware",
    ];
    const PATHS = [
      "/admin",
      "/api/admin/stats",
      "/api/orders",
      "/%61dmin",
      "/admin/",
      "//admin",
      "/Admin",
      "/admin%2F",
      "/admin/.",
      "/admin;x",
      "/api/admin%2Fstats",
      "/api/%61dmin/stats",
      "/api//orders",
      "/api/orders/",
      "/_next/data/development/admin.json",
      "/_next/data/x/admin.json?__nextDataReq=1",
      "/_next/static/..%2F..%2Fadmin",
      "/dashboard/..%2Fadmin",
    ];

    test("signed out or as bob, every bypass attempt gets no protected data", async ({ authz }) => {
      const { baseURL } = authz.example;
      const attempts: Array<[string, Record<string, string>]> = [];
      for (const path of PATHS) {
        attempts.push([path, {}]);
        for (const value of SUBREQUEST) attempts.push([path, { "x-middleware-subrequest": value }]);
        attempts.push([path, { "x-nextjs-data": "1", "x-middleware-prefetch": "1", purpose: "prefetch" }]);
        attempts.push([path, { "x-ncs-path": "/", "x-ncs-session": '{"groups":["admins"]}', "x-middleware-override-headers": "x-ncs-session" }]);
      }
      attempts.push(["/", { "x-matched-path": "/admin", "x-invoke-path": "/admin", "x-invoke-output": "/admin" }]);
      attempts.push(["/", { "x-middleware-rewrite": "/admin", "x-middleware-next": "1" }]);
      for (const who of ["", authz.bob]) {
        for (const [path, headers] of attempts) {
          const response = await raw(baseURL, path, who ? { ...headers, cookie: who } : headers);
          const label = `${who ? "bob" : "signed out"} ${path} ${JSON.stringify(headers)}`;
          expect(leaks(response.body), label).toEqual([]);
          expect(response.status, label).not.toBe(500);
        }
      }
    });

    test("the same requests with alice's session or the machine token do get the data (the check above can see a leak)", async ({ authz }) => {
      const { baseURL } = authz.example;
      const subrequest = { "x-middleware-subrequest": SUBREQUEST[0]! };
      expect((await raw(baseURL, "/admin", { ...subrequest, cookie: authz.alice })).body).toContain(PROTECTED.page);
      expect((await raw(baseURL, "/api/admin/stats", { ...subrequest, cookie: authz.alice })).body).toContain(PROTECTED.stats);
      expect((await raw(baseURL, "/api/orders", { ...subrequest, authorization: `Bearer ${authz.machine}` })).body).toContain(PROTECTED.orders);
    });
  });
}
