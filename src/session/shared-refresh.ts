import type { Sealer } from "../persistence/seal.ts";
import { type SealedPart, type StoredTokens, sealedPart, stored } from "../persistence/tokens.ts";
import { isCode } from "../lib/errors.ts";
import { keyOf, type SessionStore } from "../store/store.ts";

/**
 * One refresh per refresh token across instances. The first instance to see a lapsed
 * session takes a short lock in the store and calls Cognito; the result is kept, sealed,
 * for a grace window. Instances that find the lock taken wait for that result instead of
 * calling Cognito themselves. Keys are a hash of the refresh token, never the token.
 *
 * The store is an optimisation here, never a dependency: when it cannot be reached, or
 * the lock holder does not deliver within the lock's lifetime, an instance refreshes on
 * its own (the in-process single-flight still holds).
 */
export class SharedRefresh {
  constructor(
    readonly store: SessionStore,
    readonly sealer: Sealer,
    /** How long a lock is held at most: past this its holder is presumed gone. */
    readonly lockMs: number,
    /** How long a result is kept for requests still carrying the old refresh token. */
    readonly graceMs: number,
    /** Whether a stored result is still fresh enough to reuse. */
    readonly usable: (tokens: StoredTokens) => Promise<boolean>,
    readonly pollMs = 20,
  ) {}

  /** New tokens for `refreshToken`: another instance's recent result, or `redeem()`'s. */
  async refresh(refreshToken: string, redeem: () => Promise<StoredTokens>): Promise<StoredTokens> {
    const hash = await keyOf(refreshToken);
    const lock = `refresh:lock:${hash}`;
    const done = `refresh:done:${hash}`;
    try {
      const until = Date.now() + this.lockMs;
      for (;;) {
        const landed = await this.#landed(done);
        if (landed) return landed;
        if (await this.store.set(lock, "1", this.lockMs, "new")) break;
        if (Date.now() >= until) return redeem();
        await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      }
    } catch (error) {
      if (isCode(error, "ERR_STORE_UNAVAILABLE")) return redeem();
      throw error;
    }
    try {
      // The holder before us may have stored its result and let go between our last look and
      // our taking the lock: look once more, or both of us would spend the refresh token.
      const landed = await this.#landed(done).catch(() => undefined);
      if (landed) return landed;
      const tokens = await redeem();
      // Sealed as a token set (access token included), the compact form tokens take.
      const sealed = await this.sealer.seal("refresh-result", { a: tokens.accessToken, ...sealedPart(tokens) }, Math.ceil(this.graceMs / 1000));
      await this.store.set(done, sealed, this.graceMs).catch(() => {});
      return tokens;
    } finally {
      // Released on failure too, so a waiting instance takes over at once.
      await this.store.delete(lock).catch(() => {});
    }
  }

  async #landed(done: string): Promise<StoredTokens | undefined> {
    const sealed = await this.store.get(done);
    if (sealed === undefined) return undefined;
    const part = await this.sealer.unseal<SealedPart & { a?: unknown }>("refresh-result", sealed);
    if (typeof part?.a !== "string") return undefined;
    const tokens = stored(part.a, part);
    return (await this.usable(tokens)) ? tokens : undefined;
  }
}
