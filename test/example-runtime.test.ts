// The example with REDIS_URL set: its options refuse to load on Edge (sessions held in Redis
// are read on Node only), and the admin stats route runs on Node, where they are read.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { sessionCookies, startTestIssuer, type TestIssuer, testEnv, testRequest } from "../src/testing/index.ts";
import { RedisServer } from "./helpers/redis.ts";

let pool: TestIssuer;
beforeAll(async () => {
  pool = await startTestIssuer();
});
afterAll(() => pool.close());
afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

/** Import the example's auth.ts afresh under `env` (it reads the environment when imported). */
async function exampleAuth(env: Record<string, string>) {
  for (const [name, value] of Object.entries({ ...testEnv(pool), ...env })) vi.stubEnv(name, value);
  vi.resetModules();
  return (await import("../app-example/auth.ts")).auth;
}

describe("the example with REDIS_URL", () => {
  it("refuses to load on Edge, where sessions held in Redis cannot be read (an Edge reader would clear their id cookie)", async () => {
    await expect(exampleAuth({ REDIS_URL: "redis://127.0.0.1:1", NEXT_RUNTIME: "edge" })).rejects.toThrow(/REDIS_URL: .*proxy\.ts/);
  });

  it("loads on Edge without REDIS_URL (cookie sessions)", async () => {
    const auth = await exampleAuth({ NEXT_RUNTIME: "edge" });
    expect(auth.config.sessions).toBe("cookie");
    const { authOptions } = await import("../app-example/auth.config.ts");
    expect(authOptions.protect).toHaveProperty("/admin/:path*");
  });

  it("serves /api/admin/stats on Node from a session held in Redis", async () => {
    const redis = await RedisServer.start();
    const auth = await exampleAuth({ REDIS_URL: redis.url });
    try {
      const route = await import("../app-example/app/api/admin/stats/route.ts");
      // Next reads the segment config statically: no `runtime` export means Node.
      expect((route as { runtime?: string }).runtime ?? "nodejs").toBe("nodejs");
      expect(auth.config.sessions).toBe("server");
      // Until the store answers: its first command also loads node-redis and connects.
      await expect
        .poll(
          () =>
            auth.config.store.get("probe").then(
              () => true,
              () => false,
            ),
          { timeout: 10_000, interval: 100 },
        )
        .toBe(true);
      const admin = await sessionCookies(auth, pool, { groups: ["admins"], username: "ada" });
      // The browser holds a sealed id only; the tokens are in Redis.
      expect(admin.cookie).toMatch(/^__Host-ncs\.id=/);
      const ok = await route.GET(new Request("http://localhost:3000/api/admin/stats", { headers: { cookie: admin.cookie } }), {});
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ requestedBy: "ada" });
      expect((await route.GET(await testRequest(auth, pool, "/api/admin/stats", { groups: ["staff"] }), {})).status).toBe(403);
      expect((await route.GET(await testRequest(auth, pool, "/api/admin/stats", null), {})).status).toBe(401);
    } finally {
      await (auth.config.store as { close?: () => Promise<void> }).close?.();
      await redis.stop();
    }
  });
});
