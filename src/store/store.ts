import { base64url } from "../lib/base64url.ts";

/**
 * Where sessions and cross-instance state live. The library keeps to a handful of
 * operations, so any key-value server with expiry and publish/subscribe can back it; the
 * in-memory store (one process, the default) and the Redis store (`next-cognito-session/redis`)
 * are the two shipped. Keys given to a store are already namespaced by purpose
 * (`session:…`, `refresh:…`, `nbf:…`) and never contain a token; values that hold tokens
 * are sealed before they get here. A store adds its own prefix.
 */
export interface SessionStore {
  /**
   * Whether other instances see what this one writes. Only then does a store get the
   * server-side sessions by default, and the cross-instance refresh lock.
   */
  readonly shared: boolean;
  /** The value at `key`, or undefined. Throws StoreUnavailableError when the store cannot answer in time. */
  get(key: string): Promise<string | undefined>;
  /**
   * Set `key` to `value` for `ttlMs`. `only: "new"` sets it only when nothing is there
   * (a lock, a single-use mark); `only: "existing"` only when something is (an update that
   * must not bring back a deleted session). Returns whether it was set.
   */
  set(key: string, value: string, ttlMs: number, only?: "new" | "existing"): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Set `key` like `set`, and tell every instance's {@link watch} listeners about it. */
  announce(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Hear of keys under `prefix`: those that exist now, each one announced later, and all
   * of them again whenever the store connects, the first time included (so nothing
   * announced before or during an outage is missed). A key may be heard more than once.
   * Returns a promise that settles once the current ones have been heard, or the attempt
   * has failed (it is then made again later); it never rejects.
   */
  watch(prefix: string, listener: (key: string, value: string) => void): Promise<void>;
}

/** A short unguessable text naming a secret value (a refresh token, a session id) in a store key. */
export async function keyOf(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return base64url(new Uint8Array(digest));
}
