import type { SessionStore } from "./store.ts";

/**
 * The default store: a map in this process. Nothing is shared, so with it the session
 * lives in cookies, refreshes are single-flight within the process, and a global sign-out
 * is enforced by this instance only. Expired entries are dropped when read.
 */
export class MemoryStore implements SessionStore {
  readonly shared = false;
  readonly #entries = new Map<string, { value: string; until: number }>();
  readonly #watchers: Array<{ prefix: string; listener: (key: string, value: string) => void }> = [];

  async get(key: string): Promise<string | undefined> {
    return this.#live(key)?.value;
  }

  async set(key: string, value: string, ttlMs: number, only?: "new" | "existing"): Promise<boolean> {
    const exists = this.#live(key) !== undefined;
    if ((only === "new" && exists) || (only === "existing" && !exists)) return false;
    this.#entries.set(key, { value, until: Date.now() + ttlMs });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async announce(key: string, value: string, ttlMs: number): Promise<void> {
    await this.set(key, value, ttlMs);
    for (const { prefix, listener } of this.#watchers) if (key.startsWith(prefix)) listener(key, value);
  }

  async watch(prefix: string, listener: (key: string, value: string) => void): Promise<void> {
    this.#watchers.push({ prefix, listener });
    for (const key of [...this.#entries.keys()]) {
      const entry = key.startsWith(prefix) ? this.#live(key) : undefined;
      if (entry) listener(key, entry.value);
    }
  }

  #live(key: string): { value: string; until: number } | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.until <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
