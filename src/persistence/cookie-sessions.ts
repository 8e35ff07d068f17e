import { Log } from "../config/logger.ts";
import { SessionTooLargeError } from "../lib/errors.ts";
import type { CookieChanges } from "./changes.ts";
import type { CookieNames } from "./cookie-names.ts";
import { type CookieJar, cookieHeaderBytes, MALFORMED, MAX_SESSION_COOKIE_BYTES, readChunks, splitChunks } from "./jar.ts";
import type { Sealer } from "./seal.ts";
import type { Held, Opened, SessionStorage } from "./storage.ts";
import { type SealedPart, type StoredTokens, sealedPart, stored } from "./tokens.ts";

/**
 * Sessions kept in the cookies themselves: the access token as issued (`<name>.at`), and
 * the refresh and ID tokens sealed together (`<name>.s`). Both may be chunked. What a
 * request sent is `[access token, ...the seal's chunks as sent]`.
 */
export class CookieSessions implements SessionStorage {
  readonly kind = "cookie";
  /** Whether a session's ID token has been left out of its cookies, and the operator told. */
  #saidIdTokenLeftOut = false;

  constructor(
    readonly names: CookieNames,
    readonly sealer: Sealer,
    readonly log: Log = Log.silent,
  ) {}

  sent(jar: CookieJar): readonly string[] | null {
    const access = readChunks(jar, this.names.accessChunks);
    if (access === undefined || access === MALFORMED) return null;
    const sealed = readChunks(jar, this.names.sealedChunks);
    if (sealed === MALFORMED) return null;
    const accessToken = access.length === 1 ? access[0]! : access.join("");
    // The seal's chunks stay apart: comparing them one by one costs less than joining 4 KB.
    return sealed === undefined ? [accessToken] : [accessToken, ...sealed];
  }

  accessToken(sent: readonly string[]): string | undefined {
    return sent[0];
  }

  async open(sent: readonly string[]): Promise<Opened | null> {
    const [accessToken, ...sealed] = sent;
    if (accessToken === undefined) return null;
    // An access token alone (no refresh or ID token) is a session until the token lapses.
    if (sealed.length === 0) {
      const tokens = { accessToken, idToken: undefined, refreshToken: undefined, endsAt: Math.floor(Date.now() / 1000) };
      return { tokens, until: Number.POSITIVE_INFINITY, rewrite: false, held: undefined };
    }
    const part = await this.sealer.unseal<SealedPart>("session", sealed.join(""));
    if (!part) return null;
    // The secret's id is at the start of the seal: the first chunk tells.
    return { tokens: stored(accessToken, part), until: part.e, rewrite: !(await this.sealer.isCurrent(sealed[0]!)), held: undefined };
  }

  /** Cookies hold the whole of a cookie session: nothing outside the request to look at. */
  async holds(_held: Held): Promise<boolean> {
    return true;
  }

  async read(jar: CookieJar): Promise<StoredTokens | null> {
    const sent = this.sent(jar);
    return sent && ((await this.open(sent))?.tokens ?? null);
  }

  async write(jar: CookieJar, tokens: StoredTokens): Promise<CookieChanges> {
    const maxAge = tokens.endsAt - Math.floor(Date.now() / 1000);
    const attributes = this.names.attributes(maxAge);
    const set = (await this.#cookiesOf(tokens, maxAge)).map(([name, value]) => ({ name, value, attributes }));
    // Delete whatever the request had that the new set does not overwrite: stale chunks, a store-held session's id.
    const written = new Set(set.map((c) => c.name));
    const { remove } = this.names.removals(jar, []);
    return { set, remove: remove.filter((c) => !written.has(c.name)) };
  }

  /**
   * The cookies (chunks included) that hold `tokens`, within {@link MAX_SESSION_COOKIE_BYTES}.
   * A set too large for it is kept without its ID token (the session then has the access
   * token's claims only), which is said once; one too large even then throws
   * {@link SessionTooLargeError}.
   */
  async #cookiesOf(tokens: StoredTokens, maxAge: number): Promise<Array<[string, string]>> {
    const attributes = this.names.attributes(maxAge);
    const cookiesOf = async (set: StoredTokens) => {
      const access = splitChunks(this.names.access, set.accessToken, attributes);
      const sealed = access && splitChunks(this.names.sealed, await this.sealer.seal("session", sealedPart(set), maxAge), attributes);
      return access && sealed ? [...access, ...sealed] : undefined;
    };
    const fits = (cookies: Array<[string, string]> | undefined) => cookies !== undefined && cookieHeaderBytes(cookies) <= MAX_SESSION_COOKIE_BYTES;
    const whole = await cookiesOf(tokens);
    if (fits(whole)) return whole!;
    if (tokens.idToken !== undefined) {
      const lean = await cookiesOf({ ...tokens, idToken: undefined });
      if (fits(lean)) {
        if (!this.#saidIdTokenLeftOut) {
          this.#saidIdTokenLeftOut = true;
          this.log.warn(
            "a session's cookies would exceed the bytes a request can carry, so its ID token is left out of them " +
              '(the session has the access token\'s claims only). Keep sessions on the server (sessions: "server") to keep it.',
            { limitBytes: MAX_SESSION_COOKIE_BYTES },
          );
        }
        return lean!;
      }
    }
    throw new SessionTooLargeError(
      `the session's tokens need more than the ${MAX_SESSION_COOKIE_BYTES} bytes of cookies a request can carry; keep sessions on the server (sessions: "server")`,
    );
  }

  clear(jar: CookieJar): CookieChanges {
    return this.names.removals(jar, [this.names.access, this.names.sealed]);
  }

  async end(_jar: CookieJar): Promise<void> {}
}
