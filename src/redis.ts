/**
 * `next-cognito-session/redis`: the Redis session store, for apps on several instances.
 * Node runtime only (`proxy.ts`, route handlers, server actions, server components); needs
 * the `redis` package (node-redis) installed next to this one.
 */
export { RedisStore, type RedisStoreOptions } from "./store/redis.ts";
export type { SessionStore } from "./store/store.ts";
