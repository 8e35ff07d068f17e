import type { SessionStorage } from "../persistence/storage.ts";
import type { StoredTokens } from "../persistence/tokens.ts";
import type { CookieJar } from "../persistence/jar.ts";
import { InvalidTokenError, isCode, isOutage, type Outage, SessionEndedError, type TokenExpiredError } from "../lib/errors.ts";
import { own } from "../lib/lru.ts";
import type { Denylist } from "../store/denylist.ts";
import type { AccessTokenClaims, IdTokenClaims, TokenVerifier } from "../verify/verifier.ts";
import { refreshDue } from "./refresh-due.ts";
import { EventSink } from "../config/events.ts";
import { type CachedSession, SessionCache } from "./session-cache.ts";
import { type CustomAttributes, type Session, type SessionPool, toSession } from "./session.ts";

/** What the request's session cookies amount to. */
export type ReadResult<Custom extends CustomAttributes> =
  /**
   * No session cookies, or cookies that cannot be read (tampered, foreign, malformed);
   * `signedOut` when they held a session that was signed out (the denylist refuses it).
   */
  | { status: "none"; tokens: StoredTokens | null; signedOut?: true }
  /**
   * A verified session; `stale` when it is due for a refresh (see `refreshDue`) and has a
   * refresh token to refresh with; `rewrite` when it was written with an old secret.
   */
  | { status: "valid"; session: Session<Custom>; tokens: StoredTokens; stale: boolean; rewrite: boolean }
  /** The access token has lapsed; a refresh token is at hand. */
  | { status: "expired"; tokens: StoredTokens }
  /** Keys (or the server-side session store) could not be reached: answer 503, neither a session nor a sign-out. */
  | { status: "unavailable"; error: Outage };

/** Sessions kept for warm reads: a token set and its session weigh 8–12 KB, so the budget holds a few thousand. */
const CACHE_ENTRIES = 5_000;
const CACHE_BYTES = 32 * 1024 * 1024;

/** Reads sessions from cookies and from bearer tokens, verifying every token. */
export class SessionReader {
  /** Sessions read before, by the cookies sent for them (see {@link SessionCache}). */
  readonly cache = new SessionCache(CACHE_ENTRIES, CACHE_BYTES);
  /** Reads under way, by the cookies being read: requests that send the same cookies at once share one. */
  readonly #reading = new Map<string, Promise<ReadResult<CustomAttributes>>>();

  constructor(
    readonly storage: SessionStorage,
    readonly verifier: TokenVerifier,
    /** Seconds before expiry at which a session counts as stale and is refreshed (see `refreshDue`). */
    readonly refreshMargin: number,
    /** Sessions signed out and users signed out everywhere: their tokens are refused, cookie or Bearer. */
    readonly denylist: Denylist,
    /** The configured pools by issuer, which each session is tied to (see `AccessRule.pools`). */
    readonly pools: ReadonlyMap<string, SessionPool>,
    /** Where refused tokens are reported (`tokenRejected`). */
    readonly events: EventSink = EventSink.none,
  ) {}

  /**
   * The session the cookies in `jar` amount to: from the session cache when the same
   * cookies were read before and the entry holds, else read and verified in full. Never
   * rejects: an outage (keys, store) is `unavailable`; anything else that goes wrong while
   * reading, expected or not, means the cookies are not a session (`none`, and the caller
   * clears them).
   */
  async fromCookies<Custom extends CustomAttributes>(jar: CookieJar): Promise<ReadResult<Custom>> {
    try {
      const sent = this.storage.sent(jar);
      if (sent === null) return { status: "none", tokens: null };
      const cached = this.cache.get(sent);
      // A cookie session's entry stands on the cookies alone: nothing to wait for.
      const answer = cached !== undefined && cached.held === undefined ? this.#answer<Custom>(cached) : undefined;
      if (answer !== undefined) return answer;
      const key = readKey(sent);
      let reading = this.#reading.get(key) as Promise<ReadResult<Custom>> | undefined;
      if (reading === undefined) {
        reading = this.#read<Custom>(sent, cached);
        this.#reading.set(key, reading);
        // #read never rejects, so nothing is left unhandled.
        void reading.then(() => this.#reading.delete(key));
      }
      return await reading;
    } catch {
      // Something in the cookies broke a step that trusts them: not a session.
      return { status: "none", tokens: null };
    }
  }

  /**
   * What a cached entry answers now: the session while every token and the seal are
   * unexpired, `none` once the denylist refuses the user or session, undefined once it
   * has lapsed (the full read then decides: an expired session, a refresh).
   */
  #answer<Custom extends CustomAttributes>(entry: CachedSession): ReadResult<Custom> | undefined {
    const now = Date.now() / 1000;
    if (now >= entry.until) {
      this.cache.delete(entry.sent);
      return undefined;
    }
    if (this.denylist.refuses(entry.access)) {
      this.cache.delete(entry.sent);
      this.#rejected("ERR_SESSION_ENDED", "access", "cookie");
      return { status: "none", tokens: entry.tokens, signedOut: true };
    }
    const stale = this.#stale(entry.tokens, entry.access, now);
    return { status: "valid", session: entry.session as Session<Custom>, tokens: entry.tokens, stale, rewrite: entry.rewrite };
  }

  /** The read that waits: an entry confirmed against the store, or the cookies opened and every token verified. */
  async #read<Custom extends CustomAttributes>(sent: readonly string[], cached: CachedSession | undefined): Promise<ReadResult<Custom>> {
    let tokens: StoredTokens | null = null;
    try {
      if (cached?.held !== undefined) {
        // The store GET is made on every read: a sign-out or refresh on any instance changes what it holds.
        const answer = (await this.storage.holds(cached.held)) ? this.#answer<Custom>(cached) : undefined;
        if (answer !== undefined) return answer;
        this.cache.delete(sent);
      }
      // An access token sent in the clear is checked first: a forged one is refused for the
      // price of a signature check, before the seal is opened. A lapsed one still needs the
      // seal, for the refresh token.
      const clear = this.storage.accessToken(sent);
      let checked: AccessTokenClaims | undefined;
      let lapsed: unknown;
      if (clear !== undefined) {
        try {
          checked = await this.#verifyAccess(clear);
        } catch (error) {
          if (!isCode(error, "ERR_TOKEN_EXPIRED")) throw error;
          lapsed = error;
        }
      }
      const opened = await this.storage.open(sent);
      if (!opened) return { status: "none", tokens: null };
      tokens = opened.tokens;
      const early = tokens.accessToken === clear;
      if (early && lapsed !== undefined) throw lapsed;
      const { access, id } = await this.#verify(tokens, early ? checked : undefined);
      // The access token may be a slice of the request's Cookie header: copied, so the entry does not keep the header alive.
      const owned = Object.freeze({ ...tokens, accessToken: own(tokens.accessToken) });
      const session = toSession<Custom>(owned.accessToken, access, id, this.pools.get(access.iss));
      this.cache.set({
        sent,
        held: opened.held,
        tokens: owned,
        session,
        access: { sub: access.sub, iat: access.iat, exp: access.exp, jti: access.jti, origin_jti: access.origin_jti },
        until: Math.min(opened.until, this.verifier.lapsesAt(access), id === undefined ? Number.POSITIVE_INFINITY : this.verifier.lapsesAt(id)),
        rewrite: opened.rewrite,
      });
      return { status: "valid", session, tokens: owned, stale: this.#stale(tokens, access), rewrite: opened.rewrite };
    } catch (error) {
      // Keys or the server-side session store down or slow: never a sign-out, never a guess.
      if (isOutage(error)) return { status: "unavailable", error };
      if (tokens !== null && isCode(error, "ERR_TOKEN_EXPIRED") && tokens.refreshToken !== undefined) {
        // Expiry is checked last, so the error's claims passed every other check.
        const claims = (error as TokenExpiredError).claims;
        if (claims !== undefined && this.denylist.refuses(claims)) {
          this.#rejected("ERR_SESSION_ENDED", "access", "cookie");
          return { status: "none", tokens, signedOut: true };
        }
        return { status: "expired", tokens };
      }
      if (isCode(error, "ERR_SESSION_ENDED")) return { status: "none", tokens, signedOut: true };
      // A refused token, or a cookie that broke something reading it: not a session either way.
      return { status: "none", tokens };
    }
  }

  /** Verify a stored token set (a refresh's, a sign-in's); throws InvalidTokenError or JwksUnavailableError. */
  async fromTokens<Custom extends CustomAttributes>(tokens: StoredTokens): Promise<ReadResult<Custom>> {
    const { access, id } = await this.#verify(tokens);
    const session = toSession<Custom>(tokens.accessToken, access, id, this.pools.get(access.iss));
    return { status: "valid", session, tokens, stale: this.#stale(tokens, access), rewrite: false };
  }

  /** Stale: due for a refresh, and only when there is a refresh token to refresh with. */
  #stale(tokens: StoredTokens, access: { exp: number; iat: number }, nowSeconds?: number): boolean {
    return tokens.refreshToken !== undefined && refreshDue(access, this.refreshMargin, nowSeconds);
  }

  /**
   * Every token of a set verified (the access token's claims may be at hand already), the ID
   * token the same user's; an ID token that lapsed alongside a valid access token is left out.
   */
  async #verify(tokens: StoredTokens, verified?: AccessTokenClaims): Promise<{ access: AccessTokenClaims; id: IdTokenClaims | undefined }> {
    const access = verified ?? (await this.#verifyAccess(tokens.accessToken));
    let id: IdTokenClaims | undefined;
    if (tokens.idToken !== undefined) {
      id = await this.verifier.verify(tokens.idToken, "id").catch((error: unknown) => {
        if (isCode(error, "ERR_TOKEN_EXPIRED")) return undefined;
        this.#rejected(error, "id", "cookie");
        throw error;
      });
      if (id && id.sub !== access.sub) {
        this.#rejected("ERR_TOKEN_CLAIM", "id", "cookie");
        throw new InvalidTokenError("the ID token belongs to another user");
      }
    }
    return { access, id };
  }

  /**
   * A session from an `Authorization: Bearer` access token; null when absent, invalid, or
   * anything else goes wrong judging it. Throws only an outage (see `isOutage`).
   */
  async fromBearer<Custom extends CustomAttributes>(authorization: string | null): Promise<Session<Custom> | null> {
    const match = authorization ? /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(authorization.trim()) : null;
    if (!match) return null;
    try {
      const access = await this.#verifyAccess(match[1]!, "bearer");
      return toSession<Custom>(match[1]!, access, undefined, this.pools.get(access.iss));
    } catch (error) {
      if (isOutage(error)) throw error;
      // An expired Bearer token is refused too: nothing refreshes it here.
      if (isCode(error, "ERR_TOKEN_EXPIRED")) this.#rejected(error, "access", "bearer");
      return null;
    }
  }

  /** Verify an access token and refuse it if its session was signed out, or its user everywhere, after it was issued. */
  async #verifyAccess(token: string, source: "cookie" | "bearer" = "cookie") {
    const access = await this.verifier.verify(token, "access").catch((error: unknown) => {
      // A cookie's lapsed access token is no refusal: the session is refreshed (a Bearer one is reported by the caller).
      if (!isCode(error, "ERR_TOKEN_EXPIRED")) this.#rejected(error, "access", source);
      throw error;
    });
    // Only the first read after start waits, until the sign-outs already made are known.
    const loading = this.denylist.ready();
    if (loading) await loading;
    if (this.denylist.refuses(access)) {
      this.#rejected("ERR_SESSION_ENDED", "access", source);
      throw new SessionEndedError("the session was signed out");
    }
    return access;
  }

  /** Report a refused token by its error's code; an outage is no refusal. */
  #rejected(error: unknown, slot: "access" | "id", source: "cookie" | "bearer"): void {
    if (!this.events.wants("tokenRejected") || isOutage(error)) return;
    const code = typeof error === "string" ? error : ((error as { code?: unknown })?.code ?? "ERR_TOKEN_INVALID");
    this.events.emit("tokenRejected", { code: typeof code === "string" ? code : "ERR_TOKEN_INVALID", slot, source });
  }
}

/** One string for the values sent, each length-prefixed so that no two lists of values give the same one. */
const readKey = (sent: readonly string[]): string => sent.map((value) => `${value.length}:${value}`).join("");
