import type { SessionStore } from "./store.ts";

/** Keys of the per-user "not before" set by a global sign-out. */
const NOT_BEFORE = "nbf:";
/** Keys of the sessions ended by a sign-out, by `origin_jti` (or `jti`, see {@link Denylist.revoke}). */
const REVOKED = "revoked:";

/** What a token's refusal depends on (its claims of these names): its user, when it was issued, and which sign-in it descends from. */
export interface DeniableClaims {
  sub: string;
  iat: number;
  jti?: string | undefined;
  origin_jti?: string | undefined;
}

/** Entries kept before expired ones are swept out; the sweep then waits for twice as many. */
const SWEEP_FROM = 1024;

/**
 * Tokens refused although they verify, on every instance:
 * - users signed out everywhere, each with the time before which their tokens are refused
 *   (a per-user "not before", set by a global sign-out);
 * - sessions ended by a sign-out, by the `origin_jti` their tokens share: the id of the
 *   sign-in a refresh token was issued at, which every token it yields repeats.
 * Each entry is kept only until the access tokens it refuses would have expired anyway.
 *
 * The check sits on every session read, so it must cost nothing there: each instance
 * keeps the entries in maps, filled from the store when first needed and then pushed to
 * them as they are announced (Redis publish/subscribe; read again after every connection).
 * A read is a few map lookups and never waits on the store. The trade-off: another instance
 * refuses the tokens as soon as the announcement reaches it (well under a millisecond on
 * one network), not within the same instant; and while an instance cannot reach the
 * store it keeps what it knew and learns of new sign-outs when it reconnects.
 */
export class Denylist {
  readonly #notBefore = new Map<string, { nbf: number; until: number }>();
  /** Ended sessions' `origin_jti` (or lone `jti`), with when the entry lapses (ms). */
  readonly #revoked = new Map<string, number>();
  #sweepAt = SWEEP_FROM;
  #loading: Promise<void> | undefined;
  #loaded = false;

  constructor(readonly store: SessionStore) {}

  /** Entries held, of both kinds; lapsed ones go once the maps have grown (see `#sweep`). */
  get size(): number {
    return this.#notBefore.size + this.#revoked.size;
  }

  /**
   * Settles once this instance has heard of the sign-outs that exist (undefined once it
   * has): started on first use, so configuring an app opens no connection. Never rejects.
   */
  ready(): Promise<void> | undefined {
    if (this.#loaded) return undefined;
    this.#loading ??= Promise.all([
      this.store.watch(NOT_BEFORE, (key, value) => this.#learnNotBefore(key.slice(NOT_BEFORE.length), value)),
      this.store.watch(REVOKED, (key, value) => this.#learnRevoked(key.slice(REVOKED.length), value)),
    ]).then(() => {
      this.#loaded = true;
    });
    return this.#loading;
  }

  /**
   * Whether a verified token must be refused: its user signed out everywhere after it was
   * issued, or the session it belongs to was ended (by `origin_jti`, or by its own `jti`).
   */
  refuses(claims: DeniableClaims): boolean {
    if (this.#notBefore.size > 0) {
      const entry = this.#notBefore.get(claims.sub);
      if (entry !== undefined) {
        if (entry.until > Date.now()) {
          if (claims.iat < entry.nbf) return true;
        } else this.#notBefore.delete(claims.sub);
      }
    }
    return this.#revoked.size > 0 && (this.#isRevoked(claims.origin_jti) || this.#isRevoked(claims.jti));
  }

  #isRevoked(id: string | undefined): boolean {
    const until = id === undefined ? undefined : this.#revoked.get(id);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#revoked.delete(id!);
    return false;
  }

  /**
   * Refuse every token of `sub` issued up to now, on this instance at once and on the
   * others as the store delivers it, for `lifetime` seconds (the access tokens' lifetime).
   * Called again after Cognito has answered a global sign-out, it moves the "not before"
   * on to that moment: a token a stolen refresh token yielded while the call was in flight
   * is refused too. Throws StoreUnavailableError when the store could not take it; this
   * instance refuses them regardless.
   */
  async signOut(sub: string, lifetime: number): Promise<void> {
    // Token times are whole seconds: a token issued in the second of the sign-out is refused too.
    const nbf = Math.floor(Date.now() / 1000) + 1;
    const value = `${nbf}:${nbf + lifetime}`;
    this.#learnNotBefore(sub, value);
    await this.store.announce(`${NOT_BEFORE}${sub}`, value, (lifetime + 1) * 1000);
  }

  /**
   * Refuse the tokens of the session `claims` (a verified access token) belongs to, for
   * `lifetime` seconds from now, here at once and on the other instances as the store
   * delivers it. With an `origin_jti` (real Cognito's tokens carry one) that is every access
   * and ID token its refresh token issued or will issue; without one (cognito-local omits
   * it), only this access token, by its `jti`. Returns false when the token has neither, so
   * nothing could be refused. Throws StoreUnavailableError when the store could not take
   * it; this instance refuses them regardless.
   */
  async revoke(claims: Pick<DeniableClaims, "jti" | "origin_jti">, lifetime: number): Promise<boolean> {
    const id = typeof claims.origin_jti === "string" ? claims.origin_jti : claims.jti;
    if (typeof id !== "string" || id === "") return false;
    const until = Math.floor(Date.now() / 1000) + 1 + lifetime;
    this.#learnRevoked(id, String(until));
    await this.store.announce(`${REVOKED}${id}`, String(until), (lifetime + 1) * 1000);
    return true;
  }

  #learnNotBefore(sub: string, value: string): void {
    const match = /^(\d+):(\d+)$/.exec(value);
    if (!match) return;
    const nbf = Number(match[1]);
    const until = Number(match[2]) * 1000;
    const known = this.#notBefore.get(sub);
    if (!known || known.nbf < nbf) this.#notBefore.set(sub, { nbf, until });
    this.#sweep();
  }

  #learnRevoked(id: string, value: string): void {
    if (!/^\d+$/.test(value)) return;
    const until = Number(value) * 1000;
    if ((this.#revoked.get(id) ?? 0) < until) this.#revoked.set(id, until);
    this.#sweep();
  }

  /** Drop lapsed entries once the maps have grown: entries of users never seen again would stay forever. */
  #sweep(): void {
    if (this.size < this.#sweepAt) return;
    const now = Date.now();
    for (const [sub, { until }] of this.#notBefore) if (until <= now) this.#notBefore.delete(sub);
    for (const [id, until] of this.#revoked) if (until <= now) this.#revoked.delete(id);
    this.#sweepAt = Math.max(SWEEP_FROM, 2 * this.size);
  }
}
