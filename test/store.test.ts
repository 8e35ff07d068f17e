import { createClient } from "redis";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { StoreUnavailableError } from "../src/lib/errors.ts";
import type { RedisStore } from "../src/redis.ts";
import { MemoryStore } from "../src/store/memory.ts";
import type { SessionStore } from "../src/store/store.ts";
import { useRedisServer } from "./helpers/redis-hooks.ts";

const redis = useRedisServer();

// Generous: these tests are about what the store does, not how fast, and connecting on a loaded machine is slow.
let made = 0;
function redisStore(prefix = `t${made++}:`): RedisStore {
  return redis.store({ prefix, timeoutMs: 5_000 });
}

/**
 * Whether `promise` has settled by the time a timer of `ms`, set now, has fired and the turn
 * after it has run: an order of events, which load does not change, not a wall-clock budget.
 * Timers fire in the order they expire, and each one's immediates in the order they were set.
 */
function settledBy(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  const mark = () => {
    settled = true;
  };
  promise.then(mark, mark);
  return new Promise((resolve) => setTimeout(() => setImmediate(() => resolve(settled)), ms));
}

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
    expect(await store.set("a", "1", 60_000)).toBe(true);
    expect(await store.set("brief", "2", 1)).toBe(true);
    expect(await store.get("a")).toBe("1");
    // Waits for the state, the short-lived key gone; the other one outlives it. (How long each
    // store keeps a key, to the millisecond, is tested for each below.)
    await expect.poll(() => store.get("brief")).toBeUndefined();
    expect(await store.get("a")).toBe("1");
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

describe("MemoryStore", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("keeps a key for its TTL to the millisecond", async () => {
    const start = Date.now();
    vi.useFakeTimers({ toFake: ["Date"], now: start });
    const store = new MemoryStore();
    expect(await store.set("a", "1", 150)).toBe(true);
    vi.setSystemTime(start + 149);
    expect(await store.get("a")).toBe("1");
    vi.setSystemTime(start + 150);
    expect(await store.get("a")).toBeUndefined();
  });
});

describe("RedisStore", () => {
  it("namespaces every key with its prefix, and gives Redis its TTL in milliseconds", async () => {
    const store = redisStore("app1:");
    const raw = createClient({ url: redis.server.url });
    await raw.connect();
    // Not a whole number of seconds, so that a TTL rounded to seconds shows.
    const ttl = 60_500;
    const before = performance.now();
    await store.set("session:abc", "v", ttl);
    const left = await raw.pTTL("app1:session:abc");
    // Redis counted down no longer than this process waited between sending the SET and reading the PTTL.
    const waited = Math.ceil(performance.now() - before);
    expect(await raw.get("app1:session:abc")).toBe("v");
    expect(await raw.get("session:abc")).toBeNull();
    expect(left).toBeLessThanOrEqual(ttl);
    expect(left).toBeGreaterThanOrEqual(ttl - waited - 1);
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
    const timeoutMs = 300;
    const store = redis.store({ url: `redis://127.0.0.1:1`, timeoutMs });
    // The first command also loads node-redis, which timeoutMs does not count.
    await expect(store.get("x")).rejects.toBeInstanceOf(StoreUnavailableError);
    // Each one after fails on its own deadline, not after node-redis's reconnect backoff
    // (up to 2 s between attempts). A timer one millisecond past the deadline raced the
    // store's own under load; ten deadlines apart, only a hang can lose.
    for (const command of [() => store.get("x"), () => store.set("x", "1", 1000)]) {
      const attempt = command();
      expect(await settledBy(attempt, timeoutMs * 10)).toBe(true);
      await expect(attempt).rejects.toBeInstanceOf(StoreUnavailableError);
    }
    // watch never rejects; it gives up and retries on reconnect.
    await expect(store.watch("nbf:", () => {})).resolves.toBeUndefined();
  });
});
