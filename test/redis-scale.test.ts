import { decodeJwt } from "jose";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { envFor, startCognitoLocal } from "../scripts/cognito-local.mjs";
import { type CognitoSession, type CognitoSessionOptions, createCognitoSession } from "../src/index.ts";
import { RedisStore } from "../src/redis.ts";
import { APP_URL, createTestApp, SECRET } from "./helpers/app.ts";
import { CountingProxy } from "./helpers/counting-proxy.ts";
import { Instance } from "./helpers/instance.ts";
import { cookieHeader, passwordTokens, signedInCookies } from "./helpers/password-session.ts";
import { freePort } from "./helpers/ports.ts";
import { RedisServer } from "./helpers/redis.ts";

type App = CognitoSession<any>;

let redis: RedisServer;
const cleanups: Array<() => Promise<void>> = [];
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await redis?.stop();
});

const me = (app: App) => app.withAuth({}, (_req, { session }) => Response.json({ email: session.user?.email }));

/** A store of its own (its own connections), as each instance of an app has. */
function redisStore(prefix: string): RedisStore {
  const store = new RedisStore({ url: redis.url, prefix });
  cleanups.push(() => store.close());
  return store;
}

/** Two instances of one app on their own ports; `prefix` names their shared Redis keys, undefined gives each a memory store. */
async function twoInstances(make: (store: RedisStore | undefined) => App, prefix: string | undefined): Promise<[Instance, Instance]> {
  const instances = [] as unknown as [Instance, Instance];
  for (let i = 0; i < 2; i++) {
    const app = make(prefix === undefined ? undefined : redisStore(prefix));
    const instance = await Instance.start(app, { "/api/me": me(app) });
    cleanups.push(() => instance.stop());
    instances.push(instance);
  }
  return instances;
}

const get = (instance: Instance, path: string, headers: Record<string, string>) =>
  fetch(`${instance.url}${path}`, { headers: { accept: "application/json", ...headers }, redirect: "manual" });

describe("one refresh across instances", () => {
  let idp: Awaited<ReturnType<typeof startCognitoLocal>>;
  let proxy: CountingProxy;
  beforeAll(async () => {
    // Sessions start lapsed (see `lapsed`); the tokens a refresh brings live an hour, so none
    // of the 20 requests finds the refreshed session due again, however slowly they run.
    idp = await startCognitoLocal({ port: await freePort(), appUrl: APP_URL });
    proxy = await CountingProxy.start(idp.info.domain);
    cleanups.push(
      () => idp.stop(),
      () => proxy.stop(),
    );
  });

  const appWith = (options: CognitoSessionOptions) => (store: RedisStore | undefined) =>
    createCognitoSession({
      ...options,
      ...(store ? { store } : {}),
      clockTolerance: 0,
      env: { ...envFor(idp.info, APP_URL), COGNITO_DOMAIN: proxy.url, COGNITO_ENDPOINT: `${proxy.url}/`, SESSION_SECRET: SECRET },
    });

  /** 20 concurrent requests with one lapsed session, split across both instances; the refresh calls Cognito saw. */
  async function storm(instances: [Instance, Instance]): Promise<number> {
    const cookies = await signedInCookies(instances[0].app, idp.info.endpoint, "alice@example.com", { lapsed: true });
    proxy.calls.length = 0;
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => get(instances[i % 2]!, "/api/me", { cookie: cookieHeader(cookies) })));
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect((await response.json()).email).toBe("alice@example.com");
    }
    return proxy.refreshes;
  }

  it("server-side sessions: 20 concurrent requests on two instances, one call to Cognito", async () => {
    const instances = await twoInstances(appWith({}), "scale1:");
    const calls = await storm(instances);
    console.info(`[measured] server-side sessions, 2 instances, 20 requests: ${calls} refresh call(s) to Cognito`);
    expect(calls).toBe(1);
  });

  it("cookie sessions with a shared store: 20 concurrent requests on two instances, one call to Cognito", async () => {
    const instances = await twoInstances(appWith({ sessions: "cookie" }), "scale2:");
    const calls = await storm(instances);
    console.info(`[measured] cookie sessions + Redis, 2 instances, 20 requests: ${calls} refresh call(s) to Cognito`);
    expect(calls).toBe(1);
  });

  it("without a shared store each instance refreshes on its own (what the store saves)", async () => {
    const instances = await twoInstances(appWith({}), undefined);
    const calls = await storm(instances);
    console.info(`[measured] in-memory store, 2 instances, 20 requests: ${calls} refresh call(s) to Cognito`);
    expect(calls).toBe(2);
  });
});

describe("a global sign-out on one instance is enforced by the others at once", () => {
  const appWith = (store: RedisStore | undefined) => createTestApp({ ...(store ? { store } : {}), signOut: { levels: ["local", "revoke", "global"] } });

  async function scenario(prefix: string | undefined) {
    const [a, b] = await twoInstances(appWith, prefix);
    const { endpoint } = inject("cognito");
    const alice = await signedInCookies(a.app, endpoint, "alice@example.com");
    const bob = await signedInCookies(a.app, endpoint, "bob@example.com");
    // Alice's other device: a Bearer token of her own, from another sign-in.
    const bearer = (await passwordTokens(endpoint, a.app.config.clientId, "alice@example.com")).AccessToken;
    expect((await get(b, "/api/me", { cookie: cookieHeader(alice) })).status).toBe(200);
    expect((await get(b, "/api/me", { authorization: `Bearer ${bearer}` })).status).toBe(200);

    const body = "level=global";
    const signingOut = performance.now();
    const out = await fetch(`${a.url}/auth/sign-out`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: cookieHeader(alice), origin: APP_URL, "content-type": "application/x-www-form-urlencoded", "content-length": String(body.length) },
      body,
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("x-sign-out-incomplete") ?? "").not.toContain("store");
    // No waiting: the very next requests.
    const [cookie, token, other] = await Promise.all([
      get(b, "/api/me", { cookie: cookieHeader(alice) }),
      get(b, "/api/me", { authorization: `Bearer ${bearer}` }),
      get(b, "/api/me", { cookie: cookieHeader(bob) }),
    ]);
    return { a, b, cookie: cookie.status, bearer: token.status, other: other.status, sub: decodeJwt(bearer).sub!, bearerToken: bearer, signingOut };
  }

  it("with Redis: instance B refuses the user's cookie session and Bearer tokens, other users unaffected; the entry lasts one token lifetime", async () => {
    const { b, cookie, bearer, other, sub, bearerToken, signingOut } = await scenario("deny1:");
    expect({ cookie, bearer, other }).toEqual({ cookie: 401, bearer: 401, other: 200 });

    const raw = createClient({ url: redis.url });
    await raw.connect();
    const ttl = await raw.pTTL(`deny1:nbf:${sub}`);
    // The entry has counted down no longer than it has been since the sign-out was sent.
    const since = Math.ceil(performance.now() - signingOut);
    await raw.close();
    const { exp, iat } = decodeJwt(bearerToken);
    const lifetime = exp! - iat! + b.app.config.clockTolerance;
    expect(ttl).toBeGreaterThanOrEqual((lifetime + 1) * 1000 - since - 1);
    expect(ttl).toBeLessThanOrEqual((lifetime + 1) * 1000);

    // A sign-in after the sign-out is a new session, accepted everywhere.
    await new Promise((r) => setTimeout(r, 1_100));
    const again = await signedInCookies(b.app, inject("cognito").endpoint, "alice@example.com");
    expect((await get(b, "/api/me", { cookie: cookieHeader(again) })).status).toBe(200);
  });

  it("an instance started after the sign-out refuses those tokens too", async () => {
    const { bearerToken } = await scenario("deny2:");
    const [late] = await twoInstances(appWith, "deny2:");
    expect((await get(late, "/api/me", { authorization: `Bearer ${bearerToken}` })).status).toBe(401);
  });

  it("without a shared store only the instance that signed out knows (what Redis adds)", async () => {
    const { a, cookie, bearer, other, bearerToken } = await scenario(undefined);
    expect({ cookie, bearer, other }).toEqual({ cookie: 200, bearer: 200, other: 200 });
    expect((await get(a, "/api/me", { authorization: `Bearer ${bearerToken}` })).status).toBe(401);
  });
});
