import type { Secret } from "../config/secret.ts";
import { base64UrlToBytes, base64url } from "../lib/base64url.ts";
import { keyOf } from "../store/store.ts";
import { Lru } from "../lib/lru.ts";

/** What an opened session id cookie names. */
export interface OpenedId {
  /** The session's random id. */
  id: string;
  /** The store key its tokens live under: a hash of the id, so store keys never give one away. */
  key: string;
  /** Sealed with the newest secret; false once the secrets have rotated past it. */
  current: boolean;
}

const ID_BYTES = 16;
const IV_BYTES = 12;

/**
 * Seals server-side session ids into a cookie value of about 60 characters: AES-256-GCM
 * over 16 random bytes, one key per session secret (the newest seals, every one opens), so
 * the cookie gives nothing away and a forged or altered one is refused without asking the
 * store. iron-session's envelope (two 256-bit salts in hex, an HMAC) alone would exceed the
 * 200-byte budget of the id cookie. Opened values are cached: a warm read is a lookup.
 */
export class SessionIds {
  #keys: Promise<CryptoKey[]> | undefined;
  readonly #cache = new Lru<string, OpenedId>(10_000, 4 * 1024 * 1024);
  readonly #secrets: readonly Secret[];

  constructor(secrets: readonly Secret[]) {
    this.#secrets = secrets;
  }

  /** A new random session id and its sealed cookie value. */
  async create(): Promise<{ sealed: string; opened: OpenedId }> {
    const raw = crypto.getRandomValues(new Uint8Array(ID_BYTES));
    const id = base64url(raw);
    return { sealed: await this.seal(id), opened: { id, key: await keyOf(id), current: true } };
  }

  /** `id` sealed with the newest secret. */
  async seal(id: string): Promise<string> {
    const raw = base64UrlToBytes(id)!;
    const [key] = await this.#keysOf();
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key!, raw));
    const out = new Uint8Array(IV_BYTES + sealed.length);
    out.set(iv);
    out.set(sealed, IV_BYTES);
    return base64url(out);
  }

  /** The id a cookie value seals, or undefined when it is malformed, altered or sealed with an unknown secret. */
  async open(value: string): Promise<OpenedId | undefined> {
    const cached = this.#cache.get(value);
    if (cached) return cached;
    const bytes = base64UrlToBytes(value);
    if (!bytes || bytes.length !== IV_BYTES + ID_BYTES + 16) return undefined;
    // Lenient decoding lets a few strings stand for the same bytes; only the one written is read, and cached.
    if (base64url(bytes) !== value) return undefined;
    const keys = await this.#keysOf();
    for (const [index, key] of keys.entries()) {
      try {
        const raw = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, IV_BYTES) }, key, bytes.slice(IV_BYTES));
        const id = base64url(new Uint8Array(raw));
        const opened = { id, key: await keyOf(id), current: index === 0 };
        this.#cache.set(value, opened, opened.id.length + opened.key.length);
        return opened;
      } catch {
        // Not this secret's; try the next.
      }
    }
    return undefined;
  }

  #keysOf(): Promise<CryptoKey[]> {
    this.#keys ??= Promise.all(
      this.#secrets.map(async (secret) => {
        // A key of its own, derived apart from iron-session's use of the same secret.
        const material = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`ncs session id\0${secret.reveal()}`));
        return crypto.subtle.importKey("raw", material, "AES-GCM", false, ["encrypt", "decrypt"]);
      }),
    );
    return this.#keys;
  }
}
