import type { Secret } from "../config/secret.ts";
import { SessionEndedError } from "../lib/errors.ts";
import type { SessionStore } from "../store/store.ts";
import type { CookieAttributes, CookieJar } from "./jar.ts";
import type { Sealer } from "./seal.ts";
import { type OpenedId, SessionIds } from "./session-id.ts";
import { type CookieChanges, emptyChanges } from "./changes.ts";
import { type SealedPart, type StoredTokens, sealedPart, stored } from "./tokens.ts";

/** What is sealed into the store for one session: the whole token set. */
interface StoredPart extends SealedPart {
  a: string;
}

/**
 * Server-side sessions: the browser holds one small cookie with a sealed session id; the
 * tokens live in the store, sealed, under a hash of that id, for as long as the refresh
 * token does. A refresh updates the stored tokens and leaves the cookie alone; sign-out
 * deletes them. Store failures surface as StoreUnavailableError (answered with 503).
 */
export class ServerSessions {
  readonly ids: SessionIds;

  constructor(
    /** Name of the id cookie. */
    readonly name: string,
    readonly store: SessionStore,
    readonly sealer: Sealer,
    secrets: readonly Secret[],
    readonly attributes: (maxAge: number) => CookieAttributes,
  ) {
    this.ids = new SessionIds(secrets);
  }

  /** The id the request's cookie seals; undefined when absent, sent twice, altered or foreign. */
  async opened(jar: CookieJar): Promise<OpenedId | undefined> {
    const values = jar.get(this.name);
    if (values?.length !== 1) return undefined;
    return this.ids.open(values[0]!);
  }

  async read(jar: CookieJar): Promise<StoredTokens | null> {
    const opened = await this.opened(jar);
    if (!opened) return null;
    const sealed = await this.store.get(storeKey(opened));
    if (sealed === undefined) return null;
    const part = await this.sealer.unseal<StoredPart>("stored-session", sealed).catch(() => undefined);
    if (!part || typeof part.a !== "string") return null;
    return stored(part.a, part);
  }

  /**
   * Store `tokens`. The request's session keeps its id (a refresh: only the stored tokens
   * change, and never bring back a session deleted meanwhile, which throws
   * SessionEndedError); a `newSession` (sign-in) always gets a new id, and the one the
   * request carried is deleted, so an id planted before sign-in is worth nothing after it.
   */
  async write(jar: CookieJar, tokens: StoredTokens, newSession: boolean): Promise<CookieChanges> {
    const ttl = tokens.endsAt - Math.floor(Date.now() / 1000);
    const part: StoredPart = { a: tokens.accessToken, ...sealedPart(tokens) };
    const sealed = await this.sealer.seal("stored-session", part, ttl);
    const changes = emptyChanges();
    const current = await this.opened(jar);
    if (current && !newSession) {
      if (!(await this.store.set(storeKey(current), sealed, ttl * 1000, "existing"))) {
        throw new SessionEndedError("the session was signed out while it was being refreshed");
      }
      // Secrets rotated: seal the same id again with the newest one.
      if (!current.current) changes.set.push({ name: this.name, value: await this.ids.seal(current.id), attributes: this.attributes(ttl) });
      return changes;
    }
    const created = await this.ids.create();
    await this.store.set(storeKey(created.opened), sealed, ttl * 1000, "new");
    if (current) await this.store.delete(storeKey(current));
    changes.set.push({ name: this.name, value: created.sealed, attributes: this.attributes(ttl) });
    return changes;
  }

  /** Delete the stored tokens of the request's session, if it has one. */
  async forget(jar: CookieJar): Promise<void> {
    const opened = await this.opened(jar);
    if (opened) await this.store.delete(storeKey(opened));
  }
}

const storeKey = (opened: OpenedId) => `session:${opened.key}`;
