import type { SessionStore } from "./store.ts";

const PREFIX = "nbf:";

/**
 * Users signed out everywhere, with the time before which their tokens are refused: a
 * per-user "not before", set by a global sign-out on any instance and kept only until
 * the access tokens issued before it would have expired anyway.
 *
 * The check sits on every session read, so it must cost nothing there: each instance
 * keeps the entries in a map, filled from the store when first needed and then pushed to
 * it as they are announced (Redis publish/subscribe; read again after every reconnect).
 * A read is one map lookup and never waits on the store. The trade-off: another instance
 * refuses the tokens as soon as the announcement reaches it (well under a millisecond on
 * one network), not within the same instant; and while an instance cannot reach the
 * store it keeps what it knew and learns of new sign-outs when it reconnects.
 */
export class Denylist {
  readonly #notBefore = new Map<string, { nbf: number; until: number }>();
  #loading: Promise<void> | undefined;
  #loaded = false;

  constructor(readonly store: SessionStore) {}

  /**
   * Settles once this instance has heard of the sign-outs that exist (undefined once it
   * has): started on first use, so configuring an app opens no connection. Never rejects.
   */
  ready(): Promise<void> | undefined {
    if (this.#loaded) return undefined;
    this.#loading ??= this.store.watch(PREFIX, (key, value) => this.#learn(key.slice(PREFIX.length), value)).then(() => {
      this.#loaded = true;
    });
    return this.#loading;
  }

  /** Whether a token of `sub` issued at `iat` (seconds) predates that user's global sign-out. */
  refuses(sub: string, iat: number): boolean {
    const entry = this.#notBefore.get(sub);
    if (entry === undefined) return false;
    if (entry.until <= Date.now()) {
      this.#notBefore.delete(sub);
      return false;
    }
    return iat < entry.nbf;
  }

  /**
   * Refuse every token of `sub` issued up to now, on this instance at once and on the
   * others as the store delivers it, for `lifetime` seconds (the access tokens' lifetime).
   * Throws StoreUnavailableError when the store could not take it; this instance refuses them regardless.
   */
  async signOut(sub: string, lifetime: number): Promise<void> {
    // Token times are whole seconds: a token issued in the second of the sign-out is refused too.
    const nbf = Math.floor(Date.now() / 1000) + 1;
    const value = `${nbf}:${nbf + lifetime}`;
    this.#learn(sub, value);
    await this.store.announce(`${PREFIX}${sub}`, value, (lifetime + 1) * 1000);
  }

  #learn(sub: string, value: string): void {
    const match = /^(\d+):(\d+)$/.exec(value);
    if (!match) return;
    const nbf = Number(match[1]);
    const until = Number(match[2]) * 1000;
    const known = this.#notBefore.get(sub);
    if (!known || known.nbf < nbf) this.#notBefore.set(sub, { nbf, until });
  }
}
