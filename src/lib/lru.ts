/**
 * Characters at the end of a key that index it. The keys here are tokens and seals that
 * end in a signature or MAC, so their last characters are as good as random: 12 base64url
 * characters are 72 bits. (V8 copies a slice this short instead of viewing its parent, and
 * hashes the copy faster: a third of a lookup.)
 */
const INDEX_CHARS = 12;

/**
 * Bytes an entry costs besides its key and value: the Map slot, the entry object and the
 * index string. An estimate, on the high side, so that many small entries cannot outgrow
 * the budget either.
 */
export const ENTRY_OVERHEAD = 128;

interface Entry<K, V> {
  key: K;
  value: V;
  /** What the entry counts against the byte budget. */
  bytes: number;
  /** Read since it last reached the front: it gets a second chance before eviction. */
  used: boolean;
}

/**
 * A bounded least-recently-used map for long string keys read from requests: JWTs and
 * sealed cookies, 1–20 KB each, ending in a signature or MAC. Bounded twice: by entries,
 * and by bytes, the key's characters (request headers are Latin-1: a byte each) plus what
 * the caller says the value weighs plus {@link ENTRY_OVERHEAD}, so keys of any length cannot
 * take more memory than the budget.
 *
 * A Map hashes its whole key, and a key read from a request is a new string every time, so
 * hashing a 4 KB key on every lookup would cost more than the rest of a session read. Entries
 * are therefore indexed by the key's last {@link INDEX_CHARS} characters and a hit is
 * confirmed on the whole key: two keys sharing an ending never answer for each other, and
 * setting one replaces the other, so keys must end in characters no one can choose. Stored
 * keys are copied, so an entry does not keep alive the Cookie header it was sliced from.
 *
 * A Map keeps insertion order. A hit only marks its entry (re-inserting it on every read
 * would cost as much as the lookup); when the map is full, marked entries at the front are
 * moved to the end unmarked and the first unmarked one is dropped: the "second chance"
 * approximation of least recently used.
 */
export class Lru<K extends string, V> {
  readonly #map = new Map<string, Entry<K, V>>();
  #bytes = 0;

  constructor(
    /** Most entries held. */
    readonly max: number,
    /** Most bytes held, by the count above; an entry that alone exceeds it is not kept. */
    readonly maxBytes: number,
  ) {}

  get(key: K): V | undefined {
    const index = key.slice(-INDEX_CHARS);
    const entry = this.#map.get(index);
    if (entry === undefined || entry.key !== key) return undefined;
    entry.used = true;
    return entry.value;
  }

  /** Keep `value` under `key`; `valueBytes` is what the value weighs, by the caller's estimate. */
  set(key: K, value: V, valueBytes = 0): void {
    // Already a copy: V8 copies slices shorter than 13 characters rather than viewing the key.
    const index = key.slice(-INDEX_CHARS);
    this.#drop(index);
    const bytes = key.length + valueBytes + ENTRY_OVERHEAD;
    if (this.max <= 0 || bytes > this.maxBytes) return;
    // Make room before inserting, so the new entry is never the one dropped.
    while (this.#map.size >= this.max || this.#bytes + bytes > this.maxBytes) {
      const [first, entry] = this.#map.entries().next().value!;
      this.#map.delete(first);
      if (!entry.used) {
        this.#bytes -= entry.bytes;
        continue;
      }
      entry.used = false;
      this.#map.set(first, entry);
    }
    this.#map.set(index, { key: own(key), value, bytes, used: false });
    this.#bytes += bytes;
  }

  delete(key: K): void {
    const index = key.slice(-INDEX_CHARS);
    if (this.#map.get(index)?.key === key) this.#drop(index);
  }

  get size(): number {
    return this.#map.size;
  }

  /** Bytes held, by the count the budget is kept in. */
  get bytes(): number {
    return this.#bytes;
  }

  #drop(index: string): void {
    const entry = this.#map.get(index);
    if (entry === undefined) return;
    this.#map.delete(index);
    this.#bytes -= entry.bytes;
  }
}

/**
 * A copy of `text` that shares no memory with the string it was cut from, in one piece.
 * Engines keep a slice (V8: of 13 characters or more) as a view of its parent, and a
 * view is a second object to fetch on every later comparison; joining two halves builds a
 * new flat string. Shorter strings are never views, so they are kept as they are.
 */
export function own<T extends string>(text: T): T {
  if (text.length < 13) return text;
  const half = text.length >> 1;
  return [text.slice(0, half), text.slice(half)].join("") as T;
}
