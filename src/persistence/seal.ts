import { unsealData } from "iron-session";
import type { Secret } from "../config/secret.ts";
import { type Cipher, defaultCipher } from "./cipher.ts";
import { decodeEnvelope, encodeEnvelope, type SealPurpose } from "./envelope.ts";
import { decryptCompact, deriveKeys, encryptCompact, type JweKey } from "./jwe.ts";

export { SEAL_PURPOSES, type SealPurpose } from "./envelope.ts";

/**
 * Purposes whose seals of the previous release (iron, `Fe26.2`) still open, for one
 * release: the sessions, so an upgrade signs no one out. Each is written again in the
 * current format on the request that reads it ({@link Sealer.isCurrent} says false).
 * Transactions, challenges and refresh results live minutes at most and are refused.
 */
const PREVIOUS_READABLE: ReadonlySet<SealPurpose> = new Set(["session", "stored-session"]);

/**
 * The one string each seal of the previous release is: iron's
 * `Fe26.2*id*salt*iv*data*expiry*hmacSalt*hmac`, hex salts, base64url without padding and
 * with the unused low bits of the last character zero, nothing before or after.
 */
const PREVIOUS_SEAL =
  /^Fe26\.2\*[1-9]\d{0,7}\*[0-9a-f]{64}\*[\w-]{21}[AQgw]\*(?:[\w-]{4})*(?:[\w-]{2}[AEIMQUYcgkosw048]|[\w-][AQgw])?\*(?:[1-9]\d*)?\*[0-9a-f]{64}\*[\w-]{42}[AEIMQUYcgkosw048]$/;

/**
 * Seals values as JWE compact, `dir` + `A256GCM` (see jwe.ts), each bound to its
 * {@link SealPurpose}, an expiry and the plaintext format (see envelope.ts). One key per
 * configured secret, derived once: the newest seals, every listed one opens. A pure
 * function of the secrets and its input: nothing opened is kept.
 */
export class Sealer {
  readonly #secrets: readonly Secret[];
  readonly #cipher: Cipher;
  #keys: Promise<JweKey[]> | undefined;
  /** The keys once derived: a read then waits on nothing before decrypting. */
  #derived: JweKey[] | undefined;
  #previous: Promise<Record<number, string>> | undefined;

  constructor(secrets: readonly Secret[]) {
    this.#secrets = secrets;
    this.#cipher = defaultCipher();
  }

  /** Seal `value` for `purpose`, for `ttl` seconds. */
  async seal<T>(purpose: SealPurpose, value: T, ttl: number): Promise<string> {
    const [key] = await this.#keysOf();
    const exp = Math.floor(Date.now() / 1000) + Math.ceil(ttl);
    return encryptCompact(key!, encodeEnvelope(purpose, exp, value, this.#cipher), this.#cipher);
  }

  /**
   * The value sealed for `purpose`, or undefined when the seal is not exactly as written,
   * tampered, expired, made with an unknown secret, of another format or for another
   * purpose. Never throws.
   */
  async unseal<T>(purpose: SealPurpose, sealed: string): Promise<T | undefined> {
    try {
      if (sealed.startsWith("Fe26.2*")) return PREVIOUS_READABLE.has(purpose) ? ((await this.#unsealPrevious(purpose, sealed)) as T | undefined) : undefined;
      const opened = await decryptCompact(this.#derived ?? (await this.#keysOf()), sealed, this.#cipher);
      return opened && (decodeEnvelope(opened.plaintext, purpose, Date.now() / 1000, this.#cipher)?.value as T | undefined);
    } catch {
      // Not a string, or bytes that authenticated yet do not decode (never written by a sealer): no value.
      return undefined;
    }
  }

  /**
   * Whether `sealed` was made in the current format with the current (first) secret;
   * anything else is written again. Only the seal's start is read, so the first chunk of a
   * chunked seal will do.
   */
  async isCurrent(sealed: string): Promise<boolean> {
    const [key] = await this.#keysOf();
    return sealed.startsWith(`${key!.header}.`);
  }

  #keysOf(): Promise<JweKey[]> {
    this.#keys ??= deriveKeys(this.#secrets, this.#cipher).then((keys) => (this.#derived = keys));
    return this.#keys;
  }

  /** A seal of the previous release, opened with iron-session and checked as that release did. */
  async #unsealPrevious(purpose: SealPurpose, sealed: string): Promise<unknown> {
    if (!PREVIOUS_SEAL.test(sealed)) return undefined;
    // ttl 0: the expiry that counts is the envelope's, which the seal's MAC covers.
    const envelope = (await unsealData(sealed, { password: await this.#previousPasswords(), ttl: 0 })) as Record<string, unknown>;
    const { f, p, exp } = envelope;
    if (f !== 1 || p !== purpose || typeof exp !== "number") return undefined;
    return exp > Date.now() / 1000 ? envelope.v : undefined;
  }

  /** The previous release's iron passwords: each secret under a 24-bit id from its SHA-256. */
  #previousPasswords(): Promise<Record<number, string>> {
    this.#previous ??= (async () => {
      const passwords: Record<number, string> = {};
      for (const secret of this.#secrets) {
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret.reveal())));
        const id = ((digest[0]! << 16) | (digest[1]! << 8) | digest[2]!) + 1;
        passwords[id] ??= secret.reveal();
      }
      return passwords;
    })();
    return this.#previous;
  }
}
