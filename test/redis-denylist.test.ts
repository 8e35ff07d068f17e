// Sign-outs recorded in Redis reach every instance: one that starts while Redis is down
// loads them once it connects, one whose first read of them fails reads them again, and a
// sign-out made on one instance is refused on another. Waits on what the instance hears,
// never on the clock.
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CognitoSession, createCognitoSession } from "../src/index.ts";
import { RedisStore } from "../src/redis.ts";
import { Denylist } from "../src/store/denylist.ts";
import { startTestIssuer, type TestIssuer } from "../src/testing/issuer.ts";
import { APP_URL, SECRET } from "./helpers/app.ts";
import { freePort } from "./helpers/ports.ts";
import { RedisServer } from "./helpers/redis.ts";
import { coreOf } from "../src/internal.ts";

let redis: RedisServer;
let pool: TestIssuer;
const cleanups: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  // With its append-only file, so a killed and restarted server has its sign-outs back.
  redis = await RedisServer.start({ persist: true });
  pool = await startTestIssuer({ userPoolId: "local_denylistPool", clientId: "denylistclient" });
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await pool?.close();
  await redis?.stop();
});

/** A store on `url`; a short timeout where a failing read is what is tested, a long one elsewhere (a loaded machine is slow to connect). */
function storeAt(url: string, prefix: string, timeoutMs = 5_000): RedisStore {
  const store = new RedisStore({ url, prefix, timeoutMs });
  cleanups.push(() => store.close());
  return store;
}

/** An app instance with cookie sessions on `store`, accepting the test pool's tokens. */
function instanceOn(store: RedisStore): CognitoSession<any> {
  return createCognitoSession({
    userPoolId: pool.userPoolId,
    clientId: pool.clientId,
    issuer: pool.issuer,
    jwksUri: pool.jwksUri,
    secret: SECRET,
    appUrl: APP_URL,
    env: {},
    store,
    sessions: "cookie",
  });
}

/** Whether `app` takes `token` as a Bearer session. */
const accepts = async (app: CognitoSession<any>, token: string) => (await coreOf(app).reader.fromBearer(`Bearer ${token}`)) !== null;

/**
 * Settles when `store` hands its watchers `key` (as an announcement or as a key read after a
 * connection). Installed before the app's first read, which starts the watching.
 */
function heard(store: RedisStore, ...keys: string[]): Promise<void> {
  const waiting = new Set(keys);
  const watch = store.watch.bind(store);
  return new Promise((resolve) => {
    store.watch = (prefix, listener) =>
      watch(prefix, (key, value) => {
        listener(key, value);
        waiting.delete(key);
        if (waiting.size === 0) resolve();
      });
  });
}

/** A token of `sub` issued before the sign-outs recorded below, and one of the sign-in `originJti`. */
function tokens(sub: string, originJti: string) {
  return { user: pool.accessToken({ sub, iat: Math.floor(Date.now() / 1000) - 10 }), session: pool.accessToken({ origin_jti: originJti }) };
}

describe("an instance that starts while Redis is down", () => {
  it("loads the sign-outs recorded before once its first connection is made, and refuses those tokens", async () => {
    const prefix = "first:";
    const writer = new Denylist(storeAt(redis.url, prefix));
    const sub = crypto.randomUUID();
    const { user, session } = tokens(sub, "first-sign-in");
    await writer.signOut(sub, 600);
    await writer.revoke({ origin_jti: "first-sign-in" }, 600);

    await redis.kill();
    const store = storeAt(redis.url, prefix, 300);
    const loaded = heard(store, `nbf:${sub}`, "revoked:first-sign-in");
    const app = instanceOn(store);
    try {
      // The first load fails within the store's timeout: meanwhile, nothing is known here.
      await coreOf(app).denylist.ready();
      expect(await accepts(app, user)).toBe(true);
    } finally {
      await redis.restart();
    }
    await loaded;
    expect(await accepts(app, user)).toBe(false);
    expect(await accepts(app, session)).toBe(false);
    expect(await accepts(app, pool.accessToken())).toBe(true);
  });
});

/**
 * A TCP relay to Redis that can hold back what the client sends on its `held`-th connection
 * until released (a Redis that answers one connection and not the other), and cut every
 * connection and refuse new ones until restored (this instance alone loses Redis).
 */
async function relay(port: number, held = 0) {
  let count = 0;
  let release!: () => void;
  let down = false;
  const released = new Promise<void>((resolve) => (release = resolve));
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = tcpConnect(port, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    }
    upstream.pipe(client);
    if (++count === held) {
      client.pause();
      void released.then(() => client.pipe(upstream));
    } else client.pipe(upstream);
  });
  const listening = await freePort();
  await new Promise<void>((resolve) => server.listen(listening, "127.0.0.1", resolve));
  const cut = () => {
    down = true;
    for (const socket of sockets) socket.destroy();
  };
  cleanups.push(() => {
    cut();
    return new Promise((resolve) => server.close(resolve));
  });
  return { url: `redis://127.0.0.1:${listening}`, release, cut, restore: () => (down = false) };
}

describe("an instance whose first read of the sign-outs fails", () => {
  it("reads them again, though no reconnect comes to trigger it", async () => {
    const prefix = "retry:";
    const writer = new Denylist(storeAt(redis.url, prefix));
    const sub = crypto.randomUUID();
    const { user } = tokens(sub, "retry-sign-in");
    await writer.signOut(sub, 600);

    // The subscriber connects first and listens; the command connection that reads the keys is held.
    const { url, release } = await relay(redis.port, 2);
    const store = storeAt(url, prefix, 300);
    const loaded = heard(store, `nbf:${sub}`);
    const app = instanceOn(store);
    await coreOf(app).denylist.ready();
    expect(await accepts(app, user)).toBe(true);
    release();
    await loaded;
    expect(await accepts(app, user)).toBe(false);
  });
});

describe("a sign-out on one instance", () => {
  it("is refused on another as soon as the announcement reaches it", async () => {
    const prefix = "across:";
    const [a, b] = [storeAt(redis.url, prefix), storeAt(redis.url, prefix)];
    const [appA, appB] = [instanceOn(a), instanceOn(b)];
    const sub = crypto.randomUUID();
    const { user, session } = tokens(sub, "across-sign-in");
    const announced = heard(b, `nbf:${sub}`, "revoked:across-sign-in");
    expect(await accepts(appB, user)).toBe(true);
    expect(await accepts(appB, session)).toBe(true);
    const signingOut = performance.now();
    await coreOf(appA).denylist.signOut(sub, 600);
    await coreOf(appA).denylist.revoke({ origin_jti: "across-sign-in" }, 600);
    await announced;
    expect(await accepts(appB, user)).toBe(false);
    expect(await accepts(appB, session)).toBe(false);
    // Kept in Redis for the lifetime given (one access-token lifetime), then gone by itself.
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      for (const key of [`${prefix}nbf:${sub}`, `${prefix}revoked:across-sign-in`]) {
        const ttl = await raw.pTTL(key);
        // Counted down no longer than it has been since the sign-out began.
        const since = Math.ceil(performance.now() - signingOut);
        expect(ttl).toBeGreaterThanOrEqual(601_000 - since - 1);
        expect(ttl).toBeLessThanOrEqual(601_000);
      }
    } finally {
      await raw.close();
    }
  });
});

describe("an instance that loses Redis while others keep it", () => {
  it("hears, once it reconnects, the sign-outs announced meanwhile", async () => {
    const prefix = "rejoin:";
    const writer = new Denylist(storeAt(redis.url, prefix));
    // One entry of each kind before the instance starts: hearing them says its first read is done.
    const before = crypto.randomUUID();
    await writer.signOut(before, 600);
    await writer.revoke({ origin_jti: "rejoin-before" }, 600);
    const { url, cut, restore } = await relay(redis.port);
    const store = storeAt(url, prefix, 300);
    const loaded = heard(store, `nbf:${before}`, "revoked:rejoin-before");
    const sub = crypto.randomUUID();
    const { user, session } = tokens(sub, "rejoin-sign-in");
    const missed = heard(store, `nbf:${sub}`, "revoked:rejoin-sign-in");
    const app = instanceOn(store);
    expect(await accepts(app, user)).toBe(true);
    await loaded;
    cut();
    await writer.signOut(sub, 600);
    await writer.revoke({ origin_jti: "rejoin-sign-in" }, 600);
    expect(await accepts(app, user)).toBe(true);
    restore();
    await missed;
    expect(await accepts(app, user)).toBe(false);
    expect(await accepts(app, session)).toBe(false);
  });
});
