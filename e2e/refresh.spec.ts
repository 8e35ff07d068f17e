import { expect, test } from "@playwright/test";
import { decodeJwt } from "jose";
import { envFor } from "../scripts/cognito-local.mjs";
import { resolveConfig } from "../src/config/resolve.ts";
import { createCore } from "../src/session/core.ts";
import { CountingProxy } from "../test/helpers/counting-proxy.ts";
import { signInHosted } from "./fixtures.ts";
import { type RunningExample, startExample } from "./support/example-app.ts";

// Access tokens that live 8 s: long enough to sign in, short enough to wait out.
const TTL = 8;

for (const variant of ["middleware", "proxy"] as const) {
  test.describe(`refresh in ${variant === "middleware" ? "Edge middleware.ts" : "Node proxy.ts"}`, () => {
    let example: RunningExample;
    let proxy: CountingProxy;

    test.beforeAll(async () => {
      test.setTimeout(600_000);
      // Cognito is reached through a proxy that counts refresh calls; the issuer and JWKS stay direct.
      proxy = await CountingProxy.start();
      example = await startExample({
        variant,
        tag: "refresh",
        accessTokenTtl: TTL,
        env: { COGNITO_DOMAIN: proxy.url, COGNITO_ENDPOINT: `${proxy.url}/` },
      });
      proxy.upstream = example.cognito.domain;
    });
    test.afterAll(async () => {
      await example?.stop();
      await proxy?.stop();
    });

    test("after expiry a server-rendered page and /api/me stay signed in with one refresh, and no token reaches the browser", async ({ page }) => {
      await signInHosted(page, example, "alice@example.com");
      const cookie = async (name: string) => (await page.context().cookies()).find((c) => c.name === name)?.value;
      const before = (await cookie("__Host-ncs.at"))!;
      const { exp } = decodeJwt(before);
      proxy.calls.length = 0;
      await page.waitForTimeout(Math.max(0, exp! * 1000 - Date.now() + 500));

      // Every body the browser receives from now on: the page, its RSC payload, its JS chunks.
      const bodies: Array<Promise<string>> = [];
      page.on("response", (r) =>
        bodies.push(
          r.body().then(
            (b) => b.toString("utf8"),
            () => "",
          ),
        ),
      );
      const response = await page.goto(`${example.baseURL}/dashboard`);
      await expect(page.getByTestId("email")).toHaveText("alice@example.com");
      expect(response!.headers()["cache-control"]).toMatch(/private/);
      expect(response!.headers()["cache-control"]).toMatch(/no-store/);

      const me = await page.request.get(`${example.baseURL}/api/me`);
      expect(me.status()).toBe(200);
      expect((await me.json()).email).toBe("alice@example.com");

      // One refresh for the page (the server component read the handed-on cookies) and the API call.
      expect(proxy.refreshes).toBe(1);
      const after = (await cookie("__Host-ncs.at"))!;
      expect(after).not.toBe(before);
      expect(decodeJwt(after).exp).toBeGreaterThan(exp!);

      // The refresh and ID tokens, opened with the app's own secret...
      const config = resolveConfig({ env: { ...envFor(example.cognito, example.baseURL), SESSION_SECRET: example.secret } });
      const jar = new Map((await page.context().cookies()).map((c) => [c.name, [c.value]]));
      const tokens = await createCore(config).storage.read(jar);
      expect(tokens?.refreshToken).toBeTruthy();
      expect(tokens?.idToken).toBeTruthy();
      // ...and every part of them that could give one away (payload and signature segments).
      const needles = [tokens!.refreshToken!, tokens!.idToken!].flatMap((t) => [t, ...t.split(".").slice(1)]).filter((s) => s.length > 20);

      const rsc = await (await page.request.get(`${example.baseURL}/dashboard`, { headers: { RSC: "1" } })).text();
      const scripts = await page.$$eval("script[src]", (nodes) => nodes.map((n) => (n as HTMLScriptElement).src));
      expect(scripts.length).toBeGreaterThan(0);
      const chunks = await Promise.all(scripts.map(async (src) => (await page.request.get(src)).text()));
      const places: Record<string, string> = {
        "document.cookie": await page.evaluate(() => document.cookie),
        "page HTML": await page.content(),
        "RSC payload": rsc,
        "client JS chunks": chunks.join("\n"),
        "responses seen by the browser": (await Promise.all(bodies)).join("\n"),
      };
      expect(rsc.length).toBeGreaterThan(0);
      for (const [place, text] of Object.entries(places)) {
        for (const needle of needles) expect(text.includes(needle), `a token part in ${place}`).toBe(false);
      }
    });
  });
}
