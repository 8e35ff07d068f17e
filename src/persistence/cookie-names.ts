import { type CookieChanges, emptyChanges } from "./changes.ts";
import { type ChunkNames, type CookieAttributes, type CookieJar, chunkNames } from "./jar.ts";

/**
 * The names of every cookie the library writes for one app, and the attributes they are
 * written with. Both ways of keeping a session know all the names, so whichever is
 * configured clears the cookies the other one left (sessions made before a switch).
 */
export class CookieNames {
  /** A cookie session's access token, as issued (`<name>.at`, maybe chunked). */
  readonly access: string;
  /** A cookie session's refresh and ID tokens, sealed together (`<name>.s`, maybe chunked). */
  readonly sealed: string;
  /** A store-held session's sealed id (`<name>.id`). */
  readonly id: string;
  /** Sign-ins in progress: `<name>.tx.<state>` and `<name>.tx.pw`. */
  readonly transaction: string;
  /** {@link access} and the names of its chunks. */
  readonly accessChunks: ChunkNames;
  /** {@link sealed} and the names of its chunks. */
  readonly sealedChunks: ChunkNames;

  constructor(readonly cookies: { readonly name: string; readonly secure: boolean }) {
    const prefix = cookies.secure ? "__Host-" : "";
    this.access = `${prefix}${cookies.name}.at`;
    this.sealed = `${prefix}${cookies.name}.s`;
    this.id = `${prefix}${cookies.name}.id`;
    this.transaction = `${prefix}${cookies.name}.tx`;
    this.accessChunks = chunkNames(this.access);
    this.sealedChunks = chunkNames(this.sealed);
  }

  /** Attributes of every cookie the library writes, kept for `maxAge` seconds (0 deletes). */
  attributes(maxAge: number): CookieAttributes {
    return {
      httpOnly: true,
      secure: this.cookies.secure,
      sameSite: "lax",
      path: "/",
      maxAge: Math.max(0, Math.floor(maxAge)),
    };
  }

  /**
   * The cookie session's names present in `jar`: the whole cookies and the chunks we write,
   * nothing else. Other names that look like chunks (`.7`, `.00`, …) were never set by us,
   * so no browser holds them: deleting them would only let a long Cookie header turn into
   * as many `Set-Cookie` headers.
   */
  cookieSessionNames(jar: CookieJar): string[] {
    return [...this.accessChunks, ...this.sealedChunks].filter((name) => jar.has(name));
  }

  /** Whether `jar` holds anything that looks like a session cookie of either kind, well formed or not. */
  hasSessionCookies(jar: CookieJar): boolean {
    for (const name of jar.keys()) {
      if (name.startsWith(this.access) || name.startsWith(this.sealed) || name === this.id) return true;
    }
    return false;
  }

  /**
   * Changes that delete `always` and every session cookie of either kind that `jar` holds
   * and the other kind would miss: a cookie session's chunks, a store-held session's id.
   */
  removals(jar: CookieJar, always: readonly string[]): CookieChanges {
    const changes = emptyChanges();
    const names = new Set([...always, ...this.cookieSessionNames(jar)]);
    if (jar.has(this.id)) names.add(this.id);
    for (const name of names) changes.remove.push({ name, attributes: this.attributes(0) });
    return changes;
  }
}
