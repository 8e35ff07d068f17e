// The artifact is what is tested: the tarball `npm pack` makes, installed into a new Next app
// outside the repository, built for production and driven over HTTP, with proxy.ts (Node) and
// middleware.ts (Edge) on the Next the repository pins, and middleware.ts on the lowest Next
// the peer range admits running on the lowest Node `engines` admits.
import { spawnSync } from "node:child_process";
import { type APIResponse, type BrowserContext, expect, test } from "@playwright/test";
import { cognito } from "../scripts/cognito-local.mjs";
import { engineFloor, nodeRelease } from "../test/helpers/node-release.ts";
import { signInHosted } from "./fixtures.ts";
import { buildApp, type Convention, DASHBOARD_MARKER, HIGHEST_NEXT, installApp, LOWEST_NEXT, packTarball, startApp } from "./support/packed-app.ts";
import { workspace } from "./support/packed-workspace.ts";

interface Variant {
  convention: Convention;
  next: string;
  /** The Node that builds and serves the app: this suite's, or the lowest `engines` admits. */
  node: "suite" | "floor";
}

const VARIANTS: Variant[] = [
  { convention: "proxy", next: HIGHEST_NEXT, node: "suite" },
  { convention: "middleware", next: HIGHEST_NEXT, node: "suite" },
  { convention: "middleware", next: LOWEST_NEXT, node: "floor" },
];

const nodeOf = (variant: Variant) => (variant.node === "suite" ? process.execPath : nodeRelease(engineFloor()));
const nodeVersionOf = (variant: Variant) => (variant.node === "suite" ? process.versions.node : engineFloor());
const title = (v: Variant) => `${v.convention === "proxy" ? "proxy.ts (Node)" : "middleware.ts (Edge)"} on Next ${v.next}, Node ${nodeVersionOf(v)}`;

/** Seconds since `started`, for the timings the run prints. */
const since = (started: number) => `${((Date.now() - started) / 1000).toFixed(0)} s`;

const sessionCookies = async (context: BrowserContext) => (await context.cookies()).filter((c) => c.name.startsWith("__Host-ncs."));

/** RFC 6750 challenge of a 401 / 403 from the library. */
const challengeOf = (response: APIResponse) => response.headers()["www-authenticate"] ?? "";

const base64url = (text: string) => Buffer.from(text).toString("base64url");

let dir = "";
let tarball = "";

test.beforeAll(async () => {
  test.setTimeout(900_000);
  dir = workspace();
  let started = Date.now();
  tarball = packTarball(dir);
  console.log(`[packed] npm pack (prepack build included): ${since(started)} → ${tarball}`);
  // Both Next versions install side by side (network and disk) before the builds take the CPU.
  started = Date.now();
  const versions = [...new Set(VARIANTS.map((v) => v.next))];
  await Promise.all(versions.map((version) => installApp(dir, tarball, version)));
  console.log(`[packed] npm install of the tarball with next@${versions.join(", next@")}: ${since(started)}`);
});

for (const variant of VARIANTS) {
  test.describe(title(variant), () => {
    // Each test builds on the one before (signed in, then signed out); a failure skips the rest.
    test.describe.configure({ mode: "serial" });
    let app: Awaited<ReturnType<typeof startApp>> | undefined;
    let context: BrowserContext;

    test.beforeAll(async ({ browser }) => {
      test.setTimeout(900_000);
      const node = nodeOf(variant);
      const appDir = await installApp(dir, tarball, variant.next);
      let started = Date.now();
      buildApp(appDir, variant.convention, node);
      console.log(`[packed] next build (${title(variant)}): ${since(started)}`);
      started = Date.now();
      app = await startApp(appDir, node);
      console.log(`[packed] next start + embedded Cognito: ${since(started)}`);
      context = await browser.newContext();
    });

    test.afterAll(async () => {
      await context?.close();
      await app?.stop();
    });

    // biome-ignore lint/correctness/noEmptyPattern: Playwright's hook signature
    test.afterEach(async ({}, testInfo) => {
      if (testInfo.status !== testInfo.expectedStatus && app) await testInfo.attach("app.log", { body: app.log() });
    });

    test("every entry point of the installed package imports in plain Node ESM", () => {
      const entries = [
        "next-cognito-session",
        "next-cognito-session/middleware",
        "next-cognito-session/redis",
        "next-cognito-session/testing",
        "next-cognito-session/client",
      ];
      const script = `for (const entry of ${JSON.stringify(entries)}) console.log(entry, Object.keys(await import(entry)).length);`;
      const result = spawnSync(nodeOf(variant), ["--input-type=module", "-e", script], { cwd: app!.dir, encoding: "utf8" });
      expect(result.stderr).toBe("");
      expect(
        result.stdout
          .trim()
          .split("\n")
          .map((line) => line.split(" ")[0]),
      ).toEqual(entries);
    });

    test("signed out: the page shows no session, the protected page sends to sign-in, withAuth answers 401", async () => {
      const page = await context.newPage();
      await page.goto(`${app!.baseURL}/`);
      await expect(page.getByTestId("session")).toHaveText("signed out");

      const protectedPage = await context.request.get(`${app!.baseURL}/dashboard/1`, { maxRedirects: 0 });
      expect(protectedPage.status()).toBe(307);
      expect(protectedPage.headers().location).toMatch(/\/auth\/sign-in\?returnTo=%2Fdashboard%2F1$/);

      const api = await context.request.get(`${app!.baseURL}/api/me`);
      expect(api.status()).toBe(401);
      expect(challengeOf(api)).toMatch(/^Bearer realm="[^"]+", error="invalid_token"/);
      await page.close();
    });

    test("signs in through the hosted UI; server components show the session", async () => {
      const page = await context.newPage();
      await signInHosted(page, app!, "alice@example.com", "/dashboard/42");
      await expect(page.getByTestId("dashboard")).toHaveText("Dashboard 42");
      await expect(page.getByTestId("email")).toHaveText("alice@example.com");
      // A client component, from the provider the layout filled on the server.
      await expect(page.getByTestId("client-email")).toHaveText("alice@example.com");
      await page.goto(`${app!.baseURL}/`);
      await expect(page.getByTestId("session")).toHaveText("signed in as alice@example.com");

      const cookies = await sessionCookies(context);
      expect(cookies.map((c) => c.name).sort()).toEqual(["__Host-ncs.at", "__Host-ncs.s"]);
      expect(cookies.every((c) => c.httpOnly && c.secure && c.sameSite === "Lax")).toBe(true);
      await page.close();
    });

    test("a withAuth route answers the session; a scope it lacks gets 403 with an RFC 6750 challenge", async () => {
      const me = await context.request.get(`${app!.baseURL}/api/me`);
      expect(me.status()).toBe(200);
      expect(await me.json()).toEqual({ email: "alice@example.com", groups: ["admins"] });
      // The same from a pages/api route.
      const legacy = await context.request.get(`${app!.baseURL}/api/legacy-me`);
      expect(legacy.status()).toBe(200);
      expect(await legacy.json()).toEqual({ email: "alice@example.com" });

      const orders = await context.request.get(`${app!.baseURL}/api/orders`);
      expect(orders.status()).toBe(403);
      expect(challengeOf(orders)).toMatch(/^Bearer realm="[^"]+", error="insufficient_scope", scope="orders\/read"$/);
    });

    test("sign-out: a POST from another origin is refused, the app's own form clears the cookies", async () => {
      const refused = await context.request.post(`${app!.baseURL}/auth/sign-out`, {
        headers: { origin: "http://evil.example" },
        maxRedirects: 0,
      });
      expect(refused.status()).toBe(403);
      expect(await sessionCookies(context)).toHaveLength(2);

      const page = await context.newPage();
      await page.goto(`${app!.baseURL}/dashboard/42`);
      const signOut = page.waitForResponse(`${app!.baseURL}/auth/sign-out`);
      await page.getByRole("button", { name: "Sign out" }).click();
      expect((await signOut).status()).toBe(303);
      await page.waitForURL(`${app!.baseURL}/`);
      await expect(page.getByTestId("session")).toHaveText("signed out");
      expect(await sessionCookies(context)).toEqual([]);
      expect((await context.request.get(`${app!.baseURL}/api/me`)).status()).toBe(401);
      expect((await context.request.get(`${app!.baseURL}/api/legacy-me`)).status()).toBe(401);
      await page.close();
    });

    test("no encoded separator or dot segment opens the protected page without a session", async ({ request }) => {
      for (const path of ["/dashboard/..%2F..%2Fpublic", "/dashboard/..%5C..%5Cpublic", "/dashboard/x%2F..%2F..", "/dashboard/%2e%2e%2f%2e%2e%2fx"]) {
        const response = await request.get(`${app!.baseURL}${path}`, { maxRedirects: 0 });
        expect.soft(response.status(), path).toBeLessThan(500);
        expect.soft(response.ok(), `${path} answered ${response.status()}`).toBe(false);
        expect.soft((await response.text()).includes(DASHBOARD_MARKER), `${path} rendered the protected page`).toBe(false);
      }
    });

    test("a Bearer token with an unknown or junk kid gets 401, not 500, after a page has rendered", async ({ request }) => {
      const page = await context.newPage();
      await signInHosted(page, app!, "bob@example.com", "/");
      await expect(page.getByTestId("session")).toHaveText("signed in as bob@example.com");
      await page.close();

      const { AuthenticationResult } = await cognito(app!.cognito.endpoint, "InitiateAuth", {
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: app!.cognito.clientId,
        AuthParameters: { USERNAME: "bob@example.com", PASSWORD: app!.cognito.password },
      });
      const [, payload, signature] = (AuthenticationResult.AccessToken as string).split(".");
      for (const kid of ["no-such-key", "../../jwks.json", 42, ""]) {
        const token = `${base64url(JSON.stringify({ alg: "RS256", kid }))}.${payload}.${signature}`;
        const response = await request.get(`${app!.baseURL}/api/me`, { headers: { authorization: `Bearer ${token}` } });
        expect.soft(response.status(), `kid ${JSON.stringify(kid)}`).toBe(401);
        expect.soft(challengeOf(response), `kid ${JSON.stringify(kid)}`).toMatch(/error="invalid_token"/);
      }
    });
  });
}
