import { spawnSync } from "node:child_process";
import { Socket } from "node:net";
import { expect, it, vi } from "vitest";
import { useRedisServer } from "./helpers/redis-hooks.ts";

// What RedisStore's timeoutMs counts: how long Redis takes to answer, not how long this
// process takes to load node-redis or to get round to reading a reply that has arrived.
const TIMEOUT_MS = 2_000;

// node-redis loads on a store's first use; on a busy machine that alone takes longer than a
// command's timeout. Here it takes longer every time: only after the timeout has run out.
vi.mock("redis", async (original) => {
  await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 200));
  return original();
});

const redis = useRedisServer();

it("a store's first command is not failed for the time node-redis takes to load: timeoutMs bounds only what Redis does", async () => {
  const store = redis.store({ prefix: "first:", timeoutMs: TIMEOUT_MS });
  const started = performance.now();
  expect(await store.set("k", "v", 60_000)).toBe(true);
  // The load did happen in this call, and outlasted the timeout.
  expect(performance.now() - started).toBeGreaterThan(TIMEOUT_MS);
  expect(await store.get("k")).toBe("v");
});

it("a reply that arrived within timeoutMs is not a timeout because this process was too busy to read it before the deadline", async () => {
  const store = redis.store({ prefix: "busy:", timeoutMs: TIMEOUT_MS });
  await store.get("warm");
  const started = performance.now();
  // node-redis sends a command by uncorking its socket. Right after that send, this process
  // turns busy: it runs nothing else until Redis has answered (the key is set, and a later
  // PING is answered, so the reply has been written back) and the deadline has passed.
  const uncork = Socket.prototype.uncork;
  let busy = true;
  Socket.prototype.uncork = function (this: Socket) {
    uncork.call(this);
    if (!busy || this.remotePort !== redis.server.port) return;
    busy = false;
    const script = `until [ "$(redis-cli -p ${redis.server.port} GET busy:k)" = v ]; do :; done; redis-cli -p ${redis.server.port} PING`;
    expect(spawnSync("sh", ["-c", script], { encoding: "utf8" }).stdout.trim()).toBe("PONG");
    while (performance.now() - started < TIMEOUT_MS + 50);
  };
  try {
    expect(await store.set("k", "v", 60_000)).toBe(true);
  } finally {
    Socket.prototype.uncork = uncork;
  }
  expect(busy).toBe(false);
});
