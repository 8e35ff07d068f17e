import type { CookieChanges } from "./changes.ts";
import type { CookieJar } from "./jar.ts";
import type { StoredTokens } from "./tokens.ts";

/** A value kept outside the request (in the store) that a session read stood on. */
export interface Held {
  /** Where it is kept. */
  readonly key: string;
  /** What was there when the session was read. */
  readonly value: string;
}

/** What a storage found behind the cookies a request sent. */
export interface Opened {
  tokens: StoredTokens;
  /**
   * When what was opened lapses on its own (seconds since the epoch): the seal's or the
   * stored value's expiry, whatever the tokens inside say.
   */
  until: number;
  /** Written with a secret other than the newest: write it again, so that old secrets can be retired. */
  rewrite: boolean;
  /** What the read stood on besides the cookies: the same cookies are the same session only while it is still held (see {@link SessionStorage.holds}). */
  held: Held | undefined;
}

/**
 * Where a session's tokens are kept between requests, and how a request's cookies name
 * them. Chosen once per app from `sessions`: the tokens in the cookies themselves
 * (`"cookie"`), or in the store behind a sealed id (`"server"`). Reading is strict: a
 * malformed, tampered, foreign or lapsed value is no session, never a partial one.
 */
export interface SessionStorage {
  readonly kind: "cookie" | "store";
  /**
   * The values of the session cookies `jar` holds, exactly as sent, in a fixed order; null
   * when it holds none or a malformed set (a chunk missing or sent twice). Opens nothing:
   * equal values are equal sessions (while what they stood on is {@link holds held}).
   */
  sent(jar: CookieJar): readonly string[] | null;
  /**
   * The access token among values {@link sent} returned, when this storage keeps it in the
   * clear (cookie sessions); undefined when it is sealed away. A read verifies it before
   * opening anything, so a forged one costs a signature check, not a decryption.
   */
  accessToken(sent: readonly string[]): string | undefined;
  /**
   * The tokens behind values {@link sent} returned; null when they are not a session.
   * Throws StoreUnavailableError when the store cannot answer.
   */
  open(sent: readonly string[]): Promise<Opened | null>;
  /** Whether `held` is still what the storage holds. Throws StoreUnavailableError when the store cannot answer. */
  holds(held: Held): Promise<boolean>;
  /** {@link sent} and {@link open} in one: the request's tokens, or null. */
  read(jar: CookieJar): Promise<StoredTokens | null>;
  /**
   * Cookie changes that store `tokens` for the request's session, replacing every session
   * cookie `jar` carried, the other kind's included. `newSession` (sign-in): a store-held
   * session gets a new id, and the old one's tokens go.
   */
  write(jar: CookieJar, tokens: StoredTokens, options?: { newSession?: boolean }): Promise<CookieChanges>;
  /** Cookie changes that delete every session cookie `jar` carries, of either kind, and this kind's always. */
  clear(jar: CookieJar): CookieChanges;
  /** Forget the request's session wherever it is kept outside the cookies (a no-op for cookie sessions); pair with {@link clear}. */
  end(jar: CookieJar): Promise<void>;
}
