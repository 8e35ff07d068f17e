import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../src/lib/errors.ts";
import { RedisStore } from "../src/redis.ts";
import { MemoryStore } from "../src/store/memory.ts";
import type { SessionStore } from "../src/store/store.ts";
import { RedisServer } from "./helpers/redis.ts";

let redis: RedisServer;
const stores: RedisStore[] = [];
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  for (const store of stores) await store.close();
  await redis?.stop();
});

// Generous: these tests are about what the store does, not how fast, and connecting on a loaded machine is slow.
function redisStore(prefix = `t${stores.length}:`): RedisStore {
  const store = new RedisStore({ url: redis.url, prefix, timeoutMs: 5_000 });
  stores.push(store);
  return store;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([
  { name: "MemoryStore", make: () => new MemoryStore() },
  { name: "RedisStore", make: () => redisStore() },
])("$name keeps the store contract", ({ make }) => {
  let store: SessionStore;
  beforeAll(() => {
    store = make();
  });

  it("gets what was set until its TTL, then nothing", async () => {
    expect(await store.get("a")).toBeUndefined();
    expect(await store.set("a", "1", 150)).toBe(true);
    expect(await store.get("a")).toBe("1");
    await sleep(250);
    expect(await store.get("a")).toBeUndefined();
  });

  it("`new` sets only an absent key and `existing` only a present one", async () => {
    expect(await store.set("lock", "x", 5_000, "existing")).toBe(false);
    expect(await store.get("lock")).toBeUndefined();
    expect(await store.set("lock", "x", 5_000, "new")).toBe(true);
    expect(await store.set("lock", "y", 5_000, "new")).toBe(false);
    expect(await store.get("lock")).toBe("x");
    expect(await store.set("lock", "z", 5_000, "existing")).toBe(true);
    expect(await store.get("lock")).toBe("z");
    await store.delete("lock");
    expect(await store.get("lock")).toBeUndefined();
  });

  it("watch hears the keys that exist, then each one announced, under its prefix only", async () => {
    await store.announce("w:old", "1", 5_000);
    const heard: Array<[string, string]> = [];
    await store.watch("w:", (key, value) => heard.push([key, value]));
    expect(heard).toEqual([["w:old", "1"]]);
    await store.announce("w:new", "2", 5_000);
    await store.announce("other:x", "3", 5_000);
    await expect.poll(() => heard.length).toBe(2);
    expect(heard[1]).toEqual(["w:new", "2"]);
  });
});

describe("RedisStore", () => {
  it("namespaces every key with its prefix", async () => {
    const store = redisStore("app1:");
    await store.set("session:abc", "v", 5_000);
    const raw = createClient({ url: redis.url });
    await raw.connect();
    expect(await raw.get("app1:session:abc")).toBe("v");
    expect(await raw.get("session:abc")).toBeNull();
    expect(await raw.pTTL("app1:session:abc")).toBeGreaterThan(4_000);
    await raw.close();
  });

  it("another instance hears an announcement", async () => {
    const [a, b] = [redisStore("shared:"), redisStore("shared:")];
    const heard: string[] = [];
    await b.watch("nbf:", (key) => heard.push(key));
    await a.announce("nbf:user-1", "v", 5_000);
    // A key may be heard twice (announced, and read again after a connection): watchers take it once.
    await expect.poll(() => new Set(heard)).toEqual(new Set(["nbf:user-1"]));
  });

  it("fails fast with StoreUnavailableError when nothing listens, and never throws anything else", async () => {
    const store = new RedisStore({ url: `redis://127.0.0.1:1`, timeoutMs: 300 });
    stores.push(store);
    const started = Date.now();
    await expect(store.get("x")).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.set("x", "1", 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(2_000);
    // watch never rejects; it gives up and retries on reconnect.
    await expect(store.watch("nbf:", () => {})).resolves.toBeUndefined();
  });
});
