import type { Secret } from "../config/secret.ts";
import { base64url } from "../lib/base64url.ts";
import { keyOf } from "../store/store.ts";
import { type AesKey, type Cipher, defaultCipher, IV_BYTES, TAG_BYTES } from "./cipher.ts";
import { Sealer } from "./seal.ts";

/** What an opened session id cookie names. */
export interface OpenedId {
  /** The session's random id. */
  id: string;
  /** The store key its tokens live under: a hash of the id, so store keys never give one away. */
  key: string;
  /** Sealed in the current format with the newest secret; false once the secrets or the format have moved past it. */
  current: boolean;
}

const ID_BYTES = 16;
/** An id as written: base64url of {@link ID_BYTES} random bytes. */
const ID = /^[\w-]{21}[AQgw]$/;
/**
 * How long a sealed id opens: Cognito's longest refresh token lifetime (3,650 days). The
 * session ends sooner, with its tokens: their own seal's expiry and the store's TTL.
 */
export const ID_TTL = 3650 * 86_400;

/**
 * Seals server-side session ids into the id cookie: a seal for purpose `session-id`
 * (JWE compact, `dir` + `A256GCM`, about 140 characters) holding the id, so the cookie
 * gives nothing away and a forged or altered one is refused without asking the store.
 * Ids sealed by the previous release (base64url of IV ‖ AES-256-GCM ciphertext ‖ tag)
 * still open, as not current, so the cookie is written again in the current format.
 */
export class SessionIds {
  readonly #sealer: Sealer;
  readonly #secrets: readonly Secret[];
  readonly #cipher: Cipher = defaultCipher();
  #previousKeys: Promise<AesKey[]> | undefined;

  constructor(secrets: readonly Secret[]) {
    this.#secrets = secrets;
    this.#sealer = new Sealer(secrets);
  }

  /** A new random session id and its sealed cookie value. */
  async create(ttl = ID_TTL): Promise<{ sealed: string; opened: OpenedId }> {
    const id = base64url(crypto.getRandomValues(new Uint8Array(ID_BYTES)));
    return { sealed: await this.seal(id, ttl), opened: { id, key: await keyOf(id), current: true } };
  }

  /** `id` sealed with the newest secret, opening for `ttl` seconds. */
  seal(id: string, ttl = ID_TTL): Promise<string> {
    return this.#sealer.seal("session-id", id, ttl);
  }

  /** The id a cookie value seals, or undefined when it is malformed, altered, expired or sealed with an unknown secret. Never throws. */
  async open(value: string): Promise<OpenedId | undefined> {
    if (typeof value !== "string") return undefined;
    // A JWE is never this short.
    if (value.length === PREVIOUS_LENGTH) {
      const id = await this.#openPrevious(value);
      return id === undefined ? undefined : { id, key: await keyOf(id), current: false };
    }
    const id = await this.#sealer.unseal<unknown>("session-id", value);
    if (typeof id !== "string" || !ID.test(id)) return undefined;
    return { id, key: await keyOf(id), current: await this.#sealer.isCurrent(value) };
  }

  /** An id sealed by the previous release: AES-256-GCM, key SHA-256("ncs session id\0" + secret), no additional data. */
  async #openPrevious(value: string): Promise<string | undefined> {
    // 59 canonical characters are 44 bytes.
    const bytes = this.#cipher.decode(value);
    if (bytes === undefined) return undefined;
    const iv = bytes.subarray(0, IV_BYTES);
    const ciphertext = bytes.subarray(IV_BYTES, IV_BYTES + ID_BYTES);
    const tag = bytes.subarray(IV_BYTES + ID_BYTES);
    for (const key of await this.#previousKeysOf()) {
      const raw = await this.#cipher.decrypt(key, iv, new Uint8Array(0), ciphertext, tag);
      if (raw !== undefined) return base64url(raw);
    }
    return undefined;
  }

  #previousKeysOf(): Promise<AesKey[]> {
    this.#previousKeys ??= Promise.all(
      this.#secrets.map(async (secret) => {
        const material = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`ncs session id\0${secret.reveal()}`));
        return this.#cipher.importKey(new Uint8Array(material));
      }),
    );
    return this.#previousKeys;
  }
}

/** The previous release's sealed id: IV, ciphertext and tag, 44 bytes, 59 base64url characters. */
const PREVIOUS_BYTES = IV_BYTES + ID_BYTES + TAG_BYTES;
const PREVIOUS_LENGTH = Math.ceil((PREVIOUS_BYTES * 4) / 3);
