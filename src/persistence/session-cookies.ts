import type { ResolvedConfig } from "../config/resolve.ts";
import { Lru } from "../lib/lru.ts";
import {
  type ChunkNames,
  chunkNames,
  type CookieAttributes,
  type CookieJar,
  cookieHeaderBytes,
  MALFORMED,
  MAX_SESSION_COOKIE_BYTES,
  readChunks,
  splitChunks,
} from "./jar.ts";
import { SessionTooLargeError } from "../lib/errors.ts";
import { type CookieChanges, emptyChanges } from "./changes.ts";
import { Sealer } from "./seal.ts";
import { ServerSessions } from "./store-sessions.ts";
import { type SealedPart, type StoredTokens, sealedPart, stored } from "./tokens.ts";

/** A cookie session's cookies as the request sent them: the access token, and the sealed value's chunks unjoined. */
export interface SentCookies {
  accessToken: string;
  sealed: readonly string[] | undefined;
}

/** A seal opened before, with the cookies it was sent as. */
interface Opened {
  /** The sealed value's chunks, copied. */
  sealed: readonly string[];
  /** Frozen: the same object answers every read of these cookies. */
  tokens: StoredTokens;
  /** The seal's own expiry (seconds since the epoch). */
  exp: number;
}

/** Characters at the end of a seal that find it among those opened: they end in its MAC, which no one can choose. */
const SEAL_TAIL = 12;

/** The last {@link SEAL_TAIL} characters of a seal sent as `parts`, however its chunks were cut. */
function sealTail(parts: readonly string[]): string {
  const last = parts[parts.length - 1]!;
  // Only a last chunk shorter than the tail needs the parts joined, which is rare.
  return last.length >= SEAL_TAIL || parts.length === 1 ? last.slice(-SEAL_TAIL) : parts.join("").slice(-SEAL_TAIL);
}

/** Whether two chunk lists are the same chunks; equal parts mean equal values (the converse need not hold: a miss, never a wrong hit). */
function sameParts(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The session's cookies: the access token as issued (`<name>.at`), and the refresh and
 * ID tokens sealed together (`<name>.s`). Both may be chunked. Reading is strict: any
 * malformed part means no session. With server-side sessions (`sessions: "server"`) the
 * browser holds only a sealed id (`<name>.id`) and the tokens live in the store.
 */
export class SessionCookies {
  readonly access: string;
  readonly sealed: string;
  readonly transaction: string;
  /** The server-side session id cookie. */
  readonly id: string;
  readonly sealer: Sealer;
  /** Present when sessions are kept in the store. */
  readonly server: ServerSessions | undefined;
  readonly #accessNames: ChunkNames;
  readonly #sealedNames: ChunkNames;
  /**
   * Seals opened before, found by the seal's tail and confirmed on every chunk of the seal
   * and on the access token sent with it: a warm read compares the cookies once instead of
   * joining 4 KB to look it up. One entry per seal, however its chunks are cut or whatever
   * access token comes with it (a mismatch replaces the entry), so entries come only from
   * seals that opened, not from what else a request carries.
   */
  readonly #opened = new Lru<string, Opened>(5_000, 32 * 1024 * 1024);
  /** Whether a session's ID token has been left out of its cookies, and the operator told. */
  #saidIdTokenLeftOut = false;

  constructor(readonly config: ResolvedConfig) {
    const prefix = config.cookies.secure ? "__Host-" : "";
    this.access = `${prefix}${config.cookies.name}.at`;
    this.sealed = `${prefix}${config.cookies.name}.s`;
    this.transaction = `${prefix}${config.cookies.name}.tx`;
    this.id = `${prefix}${config.cookies.name}.id`;
    this.#accessNames = chunkNames(this.access);
    this.#sealedNames = chunkNames(this.sealed);
    this.sealer = new Sealer(config.secrets);
    this.server =
      config.sessions === "server" ? new ServerSessions(this.id, config.store, this.sealer, config.secrets, (maxAge) => this.attributes(maxAge)) : undefined;
  }

  /** Seals held opened for warm reads. */
  get openedSeals(): number {
    return this.#opened.size;
  }

  /** Attributes of every cookie we write. */
  attributes(maxAge: number): CookieAttributes {
    return {
      httpOnly: true,
      secure: this.config.cookies.secure,
      sameSite: "lax",
      path: "/",
      maxAge: Math.max(0, Math.floor(maxAge)),
    };
  }

  /** The stored tokens, or null when there is no usable session cookie set. */
  async read(jar: CookieJar): Promise<StoredTokens | null> {
    if (this.server) return this.server.read(jar);
    const sent = this.sent(jar);
    if (sent === null) return null;
    if (sent.sealed === undefined) {
      return { accessToken: sent.accessToken, idToken: undefined, refreshToken: undefined, endsAt: Math.floor(Date.now() / 1000) };
    }
    const part = await this.sealer.unseal<SealedPart>("session", sent.sealed.join(""));
    return part ? stored(sent.accessToken, part) : null;
  }

  /**
   * A cookie session's cookies as sent, or null when there is none to read: server-side
   * sessions, no access token, or a malformed (duplicated, missing) chunk of either cookie.
   */
  sent(jar: CookieJar): SentCookies | null {
    if (this.server) return null;
    const access = readChunks(jar, this.#accessNames);
    if (access === undefined || access === MALFORMED) return null;
    const sealed = readChunks(jar, this.#sealedNames);
    if (sealed === MALFORMED) return null;
    return { accessToken: access.length === 1 ? access[0]! : access.join(""), sealed };
  }

  /**
   * The stored tokens when they can be read without waiting: a seal opened before and not
   * expired. The same frozen object answers every read of the same cookies, so what was
   * verified of it can be found by identity. Undefined when {@link read} must decide.
   */
  peek(sent: SentCookies, nowSeconds = Date.now() / 1000): StoredTokens | undefined {
    if (sent.sealed === undefined) return undefined;
    const tail = sealTail(sent.sealed);
    const known = this.#opened.get(tail);
    if (known !== undefined && known.tokens.accessToken === sent.accessToken && sameParts(known.sealed, sent.sealed)) {
      return known.exp > nowSeconds ? known.tokens : undefined;
    }
    // The sealer keeps nothing opened: a seal not held here is a miss, and read() decides.
    return undefined;
  }

  /**
   * Whether the sealed cookie was made with a secret other than the newest one; such a
   * session is written again so an old secret can be retired once sessions have moved on.
   */
  async sealedWithOldSecret(jar: CookieJar): Promise<boolean> {
    if (this.server) return (await this.server.opened(jar))?.current === false;
    // The secret's id is at the start of the seal: the first chunk tells, with no 4 KB join.
    const parts = readChunks(jar, this.#sealedNames);
    return typeof parts === "object" && !(await this.sealer.isCurrent(parts[0]!));
  }

  /**
   * Cookie changes that store `tokens`, replacing every session cookie the request carried.
   * `newSession` (sign-in) gives a server-side session a new id; otherwise it keeps its own.
   */
  async write(jar: CookieJar, tokens: StoredTokens, { newSession = false } = {}): Promise<CookieChanges> {
    if (this.server) {
      const changes = await this.server.write(jar, tokens, newSession);
      // Cookies of the other mode (sessions made before the switch) go.
      for (const name of this.#sent(jar)) changes.remove.push({ name, attributes: this.attributes(0) });
      return changes;
    }
    const maxAge = tokens.endsAt - Math.floor(Date.now() / 1000);
    const attributes = this.attributes(maxAge);
    const changes = emptyChanges();
    for (const [name, value] of await this.#cookiesOf(tokens, maxAge)) changes.set.push({ name, value, attributes });
    // Delete whatever the request had that the new set does not overwrite: stale chunks.
    const written = new Set(changes.set.map((c) => c.name));
    for (const name of [...this.#sent(jar), ...(jar.has(this.id) ? [this.id] : [])]) {
      if (!written.has(name)) changes.remove.push({ name, attributes: this.attributes(0) });
    }
    return changes;
  }

  /**
   * The cookies (chunks included) that hold `tokens`, within {@link MAX_SESSION_COOKIE_BYTES}.
   * A set too large for it is kept without its ID token (the session then has the access
   * token's claims only), which is said once; one too large even then throws
   * {@link SessionTooLargeError}.
   */
  async #cookiesOf(tokens: StoredTokens, maxAge: number): Promise<Array<[string, string]>> {
    const attributes = this.attributes(maxAge);
    const cookiesOf = async (set: StoredTokens) => {
      const access = splitChunks(this.access, set.accessToken, attributes);
      const sealed = access && splitChunks(this.sealed, await this.sealer.seal("session", sealedPart(set), maxAge), attributes);
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
          console.warn(
            `next-cognito-session: a session's cookies would exceed ${MAX_SESSION_COOKIE_BYTES} bytes, so its ID token is left out of them ` +
              '(the session has the access token\'s claims only). Keep sessions on the server (sessions: "server") to keep it.',
          );
        }
        return lean!;
      }
    }
    throw new SessionTooLargeError(
      `the session's tokens need more than the ${MAX_SESSION_COOKIE_BYTES} bytes of cookies a request can carry; keep sessions on the server (sessions: "server")`,
    );
  }

  /** Cookie changes that delete every session cookie: the request's, and the base names always. */
  clear(jar: CookieJar): CookieChanges {
    const changes = emptyChanges();
    const names = new Set([this.access, this.sealed, ...this.#sent(jar)]);
    if (this.server || jar.has(this.id)) names.add(this.id);
    for (const name of names) {
      changes.remove.push({ name, attributes: this.attributes(0) });
    }
    return changes;
  }

  /**
   * The cookie session's names present in `jar`: the whole cookies and the chunks we write,
   * nothing else. Other names that look like chunks (`.7`, `.00`, …) were never set by us,
   * so no browser holds them: deleting them would only let a long Cookie header turn into
   * as many `Set-Cookie` headers.
   */
  #sent(jar: CookieJar): string[] {
    return [...this.#accessNames, ...this.#sealedNames].filter((name) => jar.has(name));
  }

  /** End the request's server-side session in the store (a no-op for cookie sessions); pair with {@link clear}. */
  async end(jar: CookieJar): Promise<void> {
    await this.server?.forget(jar);
  }
}
