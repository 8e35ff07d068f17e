import { Lru, own } from "../lib/lru.ts";
import type { Held } from "../persistence/storage.ts";
import type { StoredTokens } from "../persistence/tokens.ts";
import type { DeniableClaims } from "../store/denylist.ts";
import type { CustomAttributes, Session } from "./session.ts";

/** A session read that succeeded, kept for the next request that sends the same cookies. */
export interface CachedSession {
  /** The session cookies' values as the request sent them (see `SessionStorage.sent`), copied. */
  readonly sent: readonly string[];
  /** What the read stood on outside the cookies (a store-held session's sealed tokens), confirmed at every use. */
  readonly held: Held | undefined;
  /** Frozen. */
  readonly tokens: StoredTokens;
  readonly session: Session<CustomAttributes>;
  /** The access token's claims that the checks at every use need: the denylist's, and `refreshDue`'s. */
  readonly access: Readonly<DeniableClaims & { exp: number }>;
  /** When the entry stops answering (seconds since the epoch): its earliest token's expiry, clock tolerance included, or its seal's. */
  readonly until: number;
  /** Written with an old secret: write it again. */
  readonly rewrite: boolean;
}

/** Characters at the end of the last value sent that index an entry: a MAC's, a tag's or a signature's, which no one can choose. */
const INDEX_CHARS = 12;

/**
 * Sessions read before, by the exact values of the cookies that were sent for them:
 * every value of the request must equal the entry's, so a changed token or chunk is a
 * miss, never another session. Only reads that succeeded get in, so no request can fill
 * it with cookies of its own making; it holds no verdict on anything else. Bounded by
 * entries and by bytes (`Lru`), and indexed by the end of the last value (a seal's MAC, a
 * sealed id's tag, a lone access token's signature), which no one can choose for a value
 * that reads: the holder of one session cannot make its entry displace another's.
 * What an entry answers is checked at every use by the reader: its expiry, the denylist,
 * and for store-held sessions that the store still holds what it was read from.
 */
export class SessionCache {
  readonly #entries: Lru<string, CachedSession>;

  constructor(maxEntries: number, maxBytes: number) {
    this.#entries = new Lru(maxEntries, maxBytes);
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held, by the estimate the budget is kept in. */
  get bytes(): number {
    return this.#entries.bytes;
  }

  /** The entry for exactly these values, if there is one. */
  get(sent: readonly string[]): CachedSession | undefined {
    const entry = this.#entries.get(indexOf(sent));
    return entry !== undefined && same(entry.sent, sent) ? entry : undefined;
  }

  /** Keep `entry`, its values copied so it holds no request's header alive; replaces any entry of the same index. */
  set(entry: CachedSession): void {
    const sent = entry.sent.map(own);
    let bytes = entry.held?.value.length ?? 0;
    for (const value of sent) bytes += value.length;
    // The tokens and the session built from them weigh about what was sent or held again.
    this.#entries.set(indexOf(sent), { ...entry, sent }, 2 * bytes);
  }

  /** Drop the entry for exactly these values, if there is one. */
  delete(sent: readonly string[]): void {
    if (this.get(sent) !== undefined) this.#entries.delete(indexOf(sent));
  }
}

const indexOf = (sent: readonly string[]): string => (sent[sent.length - 1] ?? "").slice(-INDEX_CHARS);

/** Whether two lists of values are the same values, one by one. */
function same(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
