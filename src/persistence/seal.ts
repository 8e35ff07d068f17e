import { sealData, unsealData } from "iron-session";
import type { Secret } from "../config/secret.ts";
import { Lru } from "../lib/lru.ts";

type Passwords = { seal: Record<number, string>; unseal: Record<number, string> };

/**
 * What a sealed value is for. A seal opens only as the purpose it was made for, so a value
 * sealed for one place (a sign-in transaction, anyone's for the asking) never stands in for
 * another (a session).
 */
export type SealPurpose =
  /** The refresh and ID tokens of a cookie session (`<name>.s`). */
  | "session"
  /** A server-side session's token set, in the store. */
  | "stored-session"
  /** A hosted-UI sign-in in progress (`<name>.tx.<state>`). */
  | "transaction"
  /** A password sign-in waiting on a Cognito challenge (`<name>.tx.pw`). */
  | "challenge"
  /** A refresh's result, shared through the store with other instances. */
  | "refresh-result";

export const SEAL_PURPOSES: readonly SealPurpose[] = ["session", "stored-session", "transaction", "challenge", "refresh-result"];

/**
 * Purposes whose seals are read again and again (every request of a session; every request
 * waiting on a refresh result), and so are worth keeping opened. The others come from
 * anyone's requests and are read once or twice: kept out, no request can fill the cache.
 */
const CACHED: ReadonlySet<SealPurpose> = new Set(["session", "stored-session", "refresh-result"]);

/** The envelope format; a seal of any other format is refused, never guessed at. */
const FORMAT = 1;

/**
 * What goes inside the seal, under its MAC: the format, the purpose, an expiry (seconds
 * since the epoch, so a cached unseal can honour it) and the value.
 */
export interface Envelope<T> {
  /** The envelope format, {@link FORMAT}. */
  f: typeof FORMAT;
  /** What the value was sealed for. */
  p: SealPurpose;
  /** Seconds since the epoch; the seal is refused from then on. */
  exp: number;
  /** The value. */
  v: T;
}

/**
 * The one string each seal is: iron's `Fe26.2*id*salt*iv*data*expiry*hmacSalt*hmac`, hex
 * salts as iron writes them, base64url without padding and with the unused low bits of the
 * last character zero, nothing before or after. iron itself ignores whatever follows a `~`
 * and decodes base64 leniently, so without this one seal would open as endless distinct
 * strings, each a cache entry of its own.
 */
const CANONICAL_SEAL =
  /^Fe26\.2\*[1-9]\d{0,7}\*[0-9a-f]{64}\*[\w-]{21}[AQgw]\*(?:[\w-]{4})*(?:[\w-]{2}[AEIMQUYcgkosw048]|[\w-][AQgw])?\*(?:[1-9]\d*)?\*[0-9a-f]{64}\*[\w-]{42}[AEIMQUYcgkosw048]$/;

/** Whether `sealed` is a seal as this module writes them, character for character. */
export const isCanonicalSeal = (sealed: string): boolean => CANONICAL_SEAL.test(sealed);

/** Bytes of opened seals kept; a session's seal and what it holds weigh about 8 KB. */
const CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Seals and unseals values with iron (`Fe26.2`, through iron-session), rotating secrets,
 * each value bound to its {@link SealPurpose}. Each secret gets an id derived from its
 * hash, so a seal names the secret that made it however the list is reordered or trimmed
 * later. The newest secret seals; every listed secret unseals. Opened seals of the purposes
 * read on every request are cached by their exact string: a session read is a lookup, not
 * a decrypt.
 */
export class Sealer {
  #passwords: Promise<Passwords> | undefined;
  readonly #secrets: readonly Secret[];
  readonly #cache: Lru<string, Envelope<unknown>>;

  /** `cacheBytes`: what the opened seals kept may weigh (seal and value), default 32 MiB. */
  constructor(secrets: readonly Secret[], { cacheBytes = CACHE_BYTES } = {}) {
    this.#secrets = secrets;
    this.#cache = new Lru(5_000, cacheBytes);
  }

  /** Seals currently cached. */
  get cachedSeals(): number {
    return this.#cache.size;
  }

  /** Seal `value` for `purpose`, for `ttl` seconds. */
  async seal<T>(purpose: SealPurpose, value: T, ttl: number): Promise<string> {
    const { seal } = await this.#ids();
    const envelope: Envelope<T> = { f: FORMAT, p: purpose, exp: Math.floor(Date.now() / 1000) + ttl, v: value };
    // iron-session appends `~2`, outside the MAC; the seal is iron's part alone.
    const marked = await sealData(envelope, { password: seal, ttl });
    const cut = marked.indexOf("~");
    const sealed = cut === -1 ? marked : marked.slice(0, cut);
    if (CACHED.has(purpose)) this.#cache.set(sealed, envelope, sealed.length);
    return sealed;
  }

  /**
   * The value of a seal for `purpose` opened (or made) here before and not expired, with
   * that expiry, without waiting; undefined when it is not at hand (call {@link unseal},
   * which decides).
   */
  peek<T>(purpose: SealPurpose, sealed: string): Readonly<Envelope<T>> | undefined {
    const cached = this.#cache.get(sealed) as Envelope<T> | undefined;
    return cached !== undefined && cached.p === purpose && cached.exp > Date.now() / 1000 ? cached : undefined;
  }

  /**
   * The value sealed for `purpose`, or undefined when the seal is not in canonical form,
   * tampered, expired, made with an unknown secret, of another format or for another purpose.
   */
  async unseal<T>(purpose: SealPurpose, sealed: string): Promise<T | undefined> {
    const now = Date.now() / 1000;
    const cached = this.#cache.get(sealed) as Envelope<T> | undefined;
    if (cached) return cached.p === purpose && cached.exp > now ? cached.v : undefined;
    if (!isCanonicalSeal(sealed)) return undefined;
    const { unseal } = await this.#ids();
    // ttl 0: expiry is checked from the envelope, which the seal's MAC covers.
    const envelope = (await unsealData<Envelope<T>>(sealed, { password: unseal, ttl: 0 })) as Partial<Envelope<T>>;
    if (envelope.f !== FORMAT || envelope.p !== purpose || typeof envelope.exp !== "number" || !("v" in envelope)) return undefined;
    if (CACHED.has(purpose)) this.#cache.set(sealed, envelope as Envelope<T>, sealed.length);
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
