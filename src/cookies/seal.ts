import { sealData, unsealData } from "iron-session";
import type { Secret } from "../config/secret.ts";
import { Lru } from "../verify/lru.ts";

type Passwords = { seal: Record<number, string>; unseal: Record<number, string> };

/** Sealed data carries its own expiry (seconds since the epoch) so a cached unseal can honour it. */
export interface Envelope<T> {
  /** The value. */
  v: T;
  /** Seconds since the epoch; the seal is refused from then on. */
  exp: number;
}

/** Bytes of opened seals kept; a session's seal and what it holds weigh about 8 KB. */
const CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Seals and unseals cookie values with iron-session, rotating secrets. Each secret gets an
 * id derived from its hash, so a seal names the secret that made it however the list is
 * reordered or trimmed later. The newest secret seals; every listed secret unseals.
 * Unsealed values are cached by seal string: a session read is a lookup, not a decrypt.
 */
export class Sealer {
  #passwords: Promise<Passwords> | undefined;
  readonly #secrets: readonly Secret[];
  readonly #cache = new Lru<string, Envelope<unknown>>(5_000, CACHE_BYTES);

  constructor(secrets: readonly Secret[]) {
    this.#secrets = secrets;
  }

  /** Seal `value` for `ttl` seconds. */
  async seal<T>(value: T, ttl: number): Promise<string> {
    const { seal } = await this.#ids();
    const envelope: Envelope<T> = { v: value, exp: Math.floor(Date.now() / 1000) + ttl };
    const sealed = await sealData(envelope, { password: seal, ttl });
    this.#cache.set(sealed, envelope, sealed.length);
    return sealed;
  }

  /**
   * The value of a seal opened (or made) here before and not expired, with that expiry,
   * without waiting; undefined when it is not at hand (call {@link unseal}, which decides).
   */
  peek<T>(sealed: string): Readonly<Envelope<T>> | undefined {
    const cached = this.#cache.get(sealed) as Envelope<T> | undefined;
    return cached !== undefined && cached.exp > Date.now() / 1000 ? cached : undefined;
  }

  /** The sealed value, or undefined when it is tampered, expired or made with an unknown secret. */
  async unseal<T>(sealed: string): Promise<T | undefined> {
    const now = Date.now() / 1000;
    const cached = this.#cache.get(sealed) as Envelope<T> | undefined;
    if (cached) return cached.exp > now ? cached.v : undefined;
    const { unseal } = await this.#ids();
    // ttl 0: expiry is checked from the envelope, which the seal's MAC covers.
    const envelope = (await unsealData<Envelope<T>>(sealed, { password: unseal, ttl: 0 })) as Partial<Envelope<T>>;
    if (typeof envelope.exp !== "number" || !("v" in envelope)) return undefined;
    this.#cache.set(sealed, envelope as Envelope<T>, sealed.length);
    return envelope.exp > now ? envelope.v : undefined;
  }

  /**
   * Whether `sealed` was made with the current (first) secret; older seals get re-sealed.
   * Only the seal's start is read, so the first chunk of a chunked seal will do.
   */
  async isCurrent(sealed: string): Promise<boolean> {
    const { seal } = await this.#ids();
    const [id] = Object.keys(seal);
    return sealed.startsWith(`Fe26.2*${id}*`);
  }

  #ids(): Promise<Passwords> {
    this.#passwords ??= (async () => {
      const unseal: Record<number, string> = {};
      let first: number | undefined;
      for (const secret of this.#secrets) {
        const value = secret.reveal();
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
        // 24 bits: enough to tell a handful of secrets apart, too few to say anything about one.
        const id = ((digest[0]! << 16) | (digest[1]! << 8) | digest[2]!) + 1;
        if (id in unseal) continue;
        unseal[id] = value;
        first ??= id;
      }
      return { seal: { [first!]: unseal[first!]! }, unseal };
    })();
    return this.#passwords;
  }
}
