import type { SessionCookies } from "../persistence/session-cookies.ts";
import type { StoredTokens } from "../persistence/tokens.ts";
import type { CookieJar } from "../persistence/jar.ts";
import { InvalidTokenError, isCode, isOutage, type Outage, type TokenExpiredError } from "../lib/errors.ts";
import { refreshDue, refreshTime } from "./refresher.ts";
import type { Denylist } from "../store/denylist.ts";
import type { AccessTokenClaims, IdTokenClaims, TokenVerifier } from "../verify/verifier.ts";
import { type CustomAttributes, type Session, type SessionPool, toSession } from "./session.ts";

/** What the request's session cookies amount to. */
export type ReadResult<Custom extends CustomAttributes> =
  /** No session cookies, or cookies that cannot be read (tampered, foreign, malformed). */
  | { status: "none"; tokens: StoredTokens | null }
  /** A verified session; `stale` when it lapses within the refresh margin. */
  | { status: "valid"; session: Session<Custom>; tokens: StoredTokens; stale: boolean }
  /** The access token has lapsed; a refresh token is at hand. */
  | { status: "expired"; tokens: StoredTokens }
  /** Keys (or the server-side session store) could not be reached: answer 503, neither a session nor a sign-out. */
  | { status: "unavailable"; error: Outage };

/**
 * What a warm read needs of a token set verified before, in one object: the tokens it was
 * verified from, the session they make, and the figures its checks compare, so the read
 * looks up nothing else and touches no claims object.
 */
interface VerifiedTokens {
  accessToken: string;
  idToken: string | undefined;
  session: Session<CustomAttributes>;
  /** The access token's, for the denylist. */
  sub: string;
  iat: number;
  jti: string | undefined;
  origin_jti: string | undefined;
  /** The earliest `exp` of the set's tokens. */
  exp: number;
  /** When the session becomes due for a refresh (see `refreshTime`). */
  refreshAt: number;
}

/** Reads sessions from cookies and from bearer tokens, verifying every token. */
export class SessionReader {
  /**
   * Claims of token sets read before, by the set: {@link SessionCookies.peek} gives the same
   * frozen object for the same cookies, so a warm read finds them without comparing tokens.
   * Expiry and the denylist are still checked on every read.
   */
  readonly #verified = new WeakMap<StoredTokens, VerifiedTokens>();

  constructor(
    readonly cookies: SessionCookies,
    readonly verifier: TokenVerifier,
    /** Seconds before expiry at which a session counts as stale and is refreshed (see `refreshDue`). */
    readonly refreshMargin: number,
    /** Sessions signed out and users signed out everywhere: their tokens are refused, cookie or Bearer. */
    readonly denylist: Denylist,
    /** The configured pools by issuer, which each session is tied to (see `AccessRule.pools`). */
    readonly pools: ReadonlyMap<string, SessionPool>,
  ) {}

  /**
   * The session the cookies in `jar` amount to. Never throws: an outage (keys, store) is
   * `unavailable`; anything else that goes wrong while reading, expected or not, means
   * the cookies are not a session (`none`, and the caller clears them).
   */
  async fromCookies<Custom extends CustomAttributes>(jar: CookieJar): Promise<ReadResult<Custom>> {
    let tokens: StoredTokens | null = null;
    try {
      const sent = this.cookies.sent(jar);
      let cached: StoredTokens | undefined;
      if (sent) {
        // One clock reading for every check of the warm path.
        const now = Date.now() / 1000;
        cached = this.cookies.peek(sent, now);
        const warm = cached && this.#fromCache<Custom>(cached, now);
        if (warm) return warm;
      }
      // A seal opened before needs no second opening when only the claims must be looked at again.
      tokens = cached ?? (await this.cookies.read(jar));
      if (!tokens) return { status: "none", tokens: null };
      return await this.fromTokens<Custom>(tokens);
    } catch (error) {
      // Keys or the server-side session store down or slow: never a sign-out, never a guess.
      if (isOutage(error)) return { status: "unavailable", error };
      if (tokens !== null && isCode(error, "ERR_TOKEN_EXPIRED") && tokens.refreshToken !== undefined) {
        // Expiry is checked last, so the error's claims passed every other check.
        const claims = (error as TokenExpiredError).claims;
        if (claims !== undefined && this.denylist.refuses(claims)) return { status: "none", tokens };
        return { status: "expired", tokens };
      }
      // A refused token, or a cookie that broke something reading it: not a session either way.
      return { status: "none", tokens };
    }
  }

  /** Verify a stored token set; throws InvalidTokenError or JwksUnavailableError. */
  async fromTokens<Custom extends CustomAttributes>(tokens: StoredTokens): Promise<ReadResult<Custom>> {
    const warm = this.#fromCache<Custom>(tokens, Date.now() / 1000);
    if (warm) return warm;
    const access = await this.#verifyAccess(tokens.accessToken);
    let id: IdTokenClaims | undefined;
    if (tokens.idToken !== undefined) {
      // An ID token that lapsed alongside a still-valid access token is just left out.
      id = await this.verifier.verify(tokens.idToken, "id").catch((error: unknown) => {
        if (isCode(error, "ERR_TOKEN_EXPIRED")) return undefined;
        throw error;
      });
      if (id && id.sub !== access.sub) throw new InvalidTokenError("the ID token belongs to another user");
    }
    return this.#valid(tokens, access, id);
  }

  /**
   * The read answered from caches without waiting: every token verified before and not
   * expired, the denylist loaded and not refusing the user. Undefined whenever anything is
   * short of that; the full path then decides, and does every check itself.
   */
  #fromCache<Custom extends CustomAttributes>(tokens: StoredTokens, now: number): ReadResult<Custom> | undefined {
    if (this.denylist.ready() !== undefined) return undefined;
    let known = this.#verified.get(tokens);
    // Bound to the very token strings they were verified from, whatever becomes of the object.
    const same = known !== undefined && known.accessToken === tokens.accessToken && known.idToken === tokens.idToken;
    if (!same || !this.verifier.unexpired(known!, now)) {
      known = this.#peekClaims(tokens, now);
      if (known === undefined) return undefined;
      this.#verified.set(tokens, known);
    }
    if (this.denylist.refuses(known!)) return undefined;
    const { session, refreshAt } = known!;
    return { status: "valid", session: session as Session<Custom>, tokens, stale: tokens.refreshToken !== undefined && now >= refreshAt };
  }

  /** A token set whose every token the verifier holds, unexpired, and whose ID token is the same user's. */
  #peekClaims(tokens: StoredTokens, now: number): VerifiedTokens | undefined {
    const access = this.verifier.peek(tokens.accessToken, "access", now);
    if (access === undefined) return undefined;
    let id: IdTokenClaims | undefined;
    if (tokens.idToken !== undefined) {
      id = this.verifier.peek(tokens.idToken, "id", now);
      if (id === undefined || id.sub !== access.sub) return undefined;
    }
    return {
      accessToken: tokens.accessToken,
      idToken: tokens.idToken,
      session: toSession(tokens.accessToken, access, id, this.pools.get(access.iss)),
      sub: access.sub,
      iat: access.iat,
      jti: access.jti,
      origin_jti: access.origin_jti,
      exp: id === undefined ? access.exp : Math.min(access.exp, id.exp),
      refreshAt: refreshTime(access, this.refreshMargin),
    };
  }

  #valid<Custom extends CustomAttributes>(tokens: StoredTokens, access: AccessTokenClaims, id: IdTokenClaims | undefined): ReadResult<Custom> {
    const session = toSession<Custom>(tokens.accessToken, access, id, this.pools.get(access.iss));
    // Stale only when there is a refresh token to refresh with.
    const stale = tokens.refreshToken !== undefined && refreshDue(access, this.refreshMargin);
    return { status: "valid", session, tokens, stale };
  }

  /**
   * A session from an `Authorization: Bearer` access token; null when absent, invalid, or
   * anything else goes wrong judging it. Throws only an outage (see `isOutage`).
   */
  async fromBearer<Custom extends CustomAttributes>(authorization: string | null): Promise<Session<Custom> | null> {
    const match = authorization ? /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(authorization.trim()) : null;
    if (!match) return null;
    try {
      const access = await this.#verifyAccess(match[1]!);
      return toSession<Custom>(match[1]!, access, undefined, this.pools.get(access.iss));
    } catch (error) {
      if (isOutage(error)) throw error;
      return null;
    }
  }

  /** Verify an access token and refuse it if its session was signed out, or its user everywhere, after it was issued. */
  async #verifyAccess(token: string) {
    const access = await this.verifier.verify(token, "access");
    // Only the first read after start waits, until the sign-outs already made are known.
    const loading = this.denylist.ready();
    if (loading) await loading;
    if (this.denylist.refuses(access)) throw new InvalidTokenError("the session was signed out");
    return access;
  }
}
