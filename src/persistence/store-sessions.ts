import type { Secret } from "../config/secret.ts";
import { SessionEndedError } from "../lib/errors.ts";
import type { SessionStore } from "../store/store.ts";
import { type CookieChanges, emptyChanges } from "./changes.ts";
import type { CookieNames } from "./cookie-names.ts";
import type { CookieJar } from "./jar.ts";
import type { Sealer } from "./seal.ts";
import { type OpenedId, SessionIds } from "./session-id.ts";
import type { Held, Opened, SessionStorage } from "./storage.ts";
import { type SealedPart, type StoredTokens, sealedPart, stored } from "./tokens.ts";

/** What is sealed into the store for one session: the whole token set. */
interface StoredPart extends SealedPart {
  a: string;
}

/**
 * Sessions kept in the store: the browser holds one small cookie with a sealed session id
 * (`<name>.id`); the tokens live in the store, sealed, under a hash of that id, for as long
 * as the refresh token does. A refresh updates the stored tokens and leaves the cookie
 * alone; sign-out deletes them. Store failures surface as StoreUnavailableError (answered
 * with 503). What a request sent is `[the id cookie's value]`; a read stands on the sealed
 * tokens the store held, which a refresh or sign-out on any instance replaces or deletes.
 */
export class StoreSessions implements SessionStorage {
  readonly kind = "store";
  readonly ids: SessionIds;

  constructor(
    readonly names: CookieNames,
    readonly store: SessionStore,
    readonly sealer: Sealer,
    secrets: readonly Secret[],
  ) {
    this.ids = new SessionIds(secrets);
  }

  sent(jar: CookieJar): readonly string[] | null {
    const values = jar.get(this.names.id);
    // Sent twice is someone's doing, not ours: no session.
    return values?.length === 1 ? values : null;
  }

  /** Sealed in the store with the rest. */
  accessToken(_sent: readonly string[]): string | undefined {
    return undefined;
  }

  async open(sent: readonly string[]): Promise<Opened | null> {
    const opened = sent.length === 1 ? await this.ids.open(sent[0]!) : undefined;
    if (!opened) return null;
    const key = storeKey(opened);
    const sealed = await this.store.get(key);
    if (sealed === undefined) return null;
    const part = await this.sealer.unseal<StoredPart>("stored-session", sealed).catch(() => undefined);
    if (!part || typeof part.a !== "string") return null;
    // An id sealed with an old secret is sealed again with the newest.
    return { tokens: stored(part.a, part), until: part.e, rewrite: !opened.current, held: { key, value: sealed } };
  }

  async holds(held: Held): Promise<boolean> {
    return (await this.store.get(held.key)) === held.value;
  }

  async read(jar: CookieJar): Promise<StoredTokens | null> {
    const sent = this.sent(jar);
    return sent && ((await this.open(sent))?.tokens ?? null);
  }

  /**
   * Store `tokens`. The request's session keeps its id (a refresh: only the stored tokens
   * change, and never bring back a session deleted meanwhile, which throws
   * SessionEndedError); a `newSession` (sign-in) always gets a new id, and the one the
   * request carried is deleted, so an id planted before sign-in is worth nothing after it.
   */
  async write(jar: CookieJar, tokens: StoredTokens, { newSession = false } = {}): Promise<CookieChanges> {
    const ttl = tokens.endsAt - Math.floor(Date.now() / 1000);
    const part: StoredPart = { a: tokens.accessToken, ...sealedPart(tokens) };
    const sealed = await this.sealer.seal("stored-session", part, ttl);
    const changes = emptyChanges();
    // Cookies of the other kind (sessions made before the switch) go.
    for (const name of this.names.cookieSessionNames(jar)) changes.remove.push({ name, attributes: this.names.attributes(0) });
    const current = await this.#opened(jar);
    if (current && !newSession) {
      if (!(await this.store.set(storeKey(current), sealed, ttl * 1000, "existing"))) {
        throw new SessionEndedError("the session was signed out while it was being refreshed");
      }
      // Secrets rotated: seal the same id again with the newest one.
      if (!current.current) changes.set.push({ name: this.names.id, value: await this.ids.seal(current.id, ttl), attributes: this.names.attributes(ttl) });
      return changes;
    }
    // The id opens for as long as its tokens are kept, like its cookie, and no longer.
    const created = await this.ids.create(ttl);
    await this.store.set(storeKey(created.opened), sealed, ttl * 1000, "new");
    if (current) await this.store.delete(storeKey(current));
    changes.set.push({ name: this.names.id, value: created.sealed, attributes: this.names.attributes(ttl) });
    return changes;
  }

  clear(jar: CookieJar): CookieChanges {
    return this.names.removals(jar, [this.names.access, this.names.sealed, this.names.id]);
  }

  /** Delete the stored tokens of the request's session, if it has one. */
  async end(jar: CookieJar): Promise<void> {
    const opened = await this.#opened(jar);
    if (opened) await this.store.delete(storeKey(opened));
  }

  /** The id the request's cookie seals; undefined when absent, sent twice, altered or foreign. */
  async #opened(jar: CookieJar): Promise<OpenedId | undefined> {
    const sent = this.sent(jar);
    return sent ? this.ids.open(sent[0]!) : undefined;
  }
}

const storeKey = (opened: OpenedId) => `session:${opened.key}`;
