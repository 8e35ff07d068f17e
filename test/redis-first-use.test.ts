import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { RedisStore } from "../src/redis/index.ts";
import { RedisServer } from "./helpers/redis.ts";

const TIMEOUT_MS = 1_000;

// node-redis loads on a store's first use; on a busy machine that alone takes longer than a
// command's timeout. Here it takes longer every time: only after the timeout has run out.
vi.mock("redis", async (original) => {
  await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 200));
  return original();
});

let redis: RedisServer;
const stores: RedisStore[] = [];
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  for (const store of stores) await store.close();
  await redis?.stop();
});

it("a store's first command is not failed for the time node-redis takes to load: timeoutMs bounds only what Redis does", async () => {
  const store = new RedisStore({ url: redis.url, prefix: "first:", timeoutMs: TIMEOUT_MS });
  stores.push(store);
  const started = performance.now();
  expect(await store.set("k", "v", 60_000)).toBe(true);
  // The load did happen in this call, and outlasted the timeout.
  expect(performance.now() - started).toBeGreaterThan(TIMEOUT_MS);
  expect(await store.get("k")).toBe("v");
});
