import { afterAll, beforeAll } from "vitest";
import { RedisStore, type RedisStoreOptions } from "../../src/redis.ts";
import { RedisServer } from "./redis.ts";

/**
 * A redis-server started before the enclosing tests (a file, or the describe it is called
 * in) and stopped by PID after them, every RedisStore made through `store()` (on this server unless
 * given another `url`) closed first.
 */
export function useRedisServer(): { readonly server: RedisServer; store(options?: Partial<RedisStoreOptions>): RedisStore } {
  let server: RedisServer | undefined;
  const stores: RedisStore[] = [];
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await server?.stop();
  });
  return {
    get server() {
      if (server === undefined) throw new Error("the redis-server starts in beforeAll: use it inside a test");
      return server;
    },
    store(options = {}) {
      const store = new RedisStore({ url: this.server.url, ...options });
      stores.push(store);
      return store;
    },
  };
}
