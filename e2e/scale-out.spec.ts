import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { envFor, startCognitoLocal } from "../scripts/cognito-local.mjs";
import { resolveConfig } from "../src/config/resolve.ts";
import { createCore } from "../src/session/core.ts";
import { RedisStore } from "../src/redis.ts";
import { CountingProxy } from "../test/helpers/counting-proxy.ts";
import { lapsed, passwordTokens } from "../test/helpers/password-session.ts";
import { freePort } from "../test/helpers/ports.ts";
import { RedisServer } from "../test/helpers/redis.ts";
import { type RunningExample, startExample } from "./support/example-app.ts";

// Two `next start` instances of the example (the proxy.ts variant: node-redis needs the
// Node runtime) sharing one Redis and one embedded Cognito, reached through a proxy that
// counts refresh calls. The stormed session starts lapsed (see `lapsed`) and the tokens its
// refresh brings live an hour, so nothing here races the clock.
const APP_URL = "http://localhost:3000";

test.describe("scale-out on Redis, two next start instances", () => {
  let redis: RedisServer;
  let idp: Awaited<ReturnType<typeof startCognitoLocal>>;
  let proxy: CountingProxy;
  const instances: RunningExample[] = [];
  const secret = randomBytes(32).toString("base64url");

  test.beforeAll(async () => {
    test.setTimeout(600_000);
    redis = await RedisServer.start();
    idp = await startCognitoLocal({ port: await freePort(), appUrl: APP_URL });
    proxy = await CountingProxy.start(idp.info.domain);
    const env = {
      APP_URL,
      REDIS_URL: redis.url,
      SESSION_SECRET: secret,
      COGNITO_DOMAIN: proxy.url,
      COGNITO_ENDPOINT: `${proxy.url}/`,
    };
    for (let i = 0; i < 2; i++) instances.push(await startExample({ variant: "proxy", tag: "redis", idp: idp.info, env }));
  });
  test.afterAll(async () => {
    for (const instance of instances) await instance.stop();
    await proxy?.stop();
    await idp?.stop();
    await redis?.stop();
  });

  test("20 concurrent requests with one lapsed server-side session, split across both: one call to Cognito, all succeed", async ({ request }) => {
    // Sessions as the example's own sign-in stores them: tokens in Redis, a sealed id in the cookie.
    const store = new RedisStore({ url: redis.url });
    const { storage: cookies } = createCore(resolveConfig({ env: { ...envFor(idp.info, APP_URL), SESSION_SECRET: secret }, store }));
    const session = async (lapse: boolean) => {
      const tokens = await passwordTokens(idp.info.endpoint, idp.info.clientId, "alice@example.com");
      const changes = await cookies.write(new Map(), {
        accessToken: lapse ? await lapsed(tokens.AccessToken) : tokens.AccessToken,
        idToken: tokens.IdToken,
        refreshToken: tokens.RefreshToken,
        endsAt: Math.floor(Date.now() / 1000) + 3600,
      });
      expect(changes.set.map((c) => c.name)).toEqual(["__Host-ncs.id"]);
      return changes.set.map((c) => `${c.name}=${c.value}`).join("; ");
    };
    const valid = await session(false);
    const cookie = await session(true);
    await store.close();

    // Both instances serve a valid session (and have loaded what the first request loads).
    for (const instance of instances) {
      const me = await request.get(`${instance.baseURL}/api/me`, { headers: { cookie: valid } });
      expect(me.status()).toBe(200);
    }
    proxy.calls.length = 0;
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => request.get(`${instances[i % 2]!.baseURL}/api/me`, { headers: { cookie } })));
    for (const response of responses) {
      expect(response.status()).toBe(200);
      expect((await response.json()).email).toBe("alice@example.com");
    }
    console.info(`[measured] two next start instances (proxy.ts), 20 concurrent requests: ${proxy.refreshes} refresh call(s) to Cognito`);
    expect(proxy.refreshes).toBe(1);
  });
});
