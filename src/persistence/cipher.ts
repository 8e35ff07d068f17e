import { atobUrl, base64url } from "../lib/base64url.ts";
import { nodeBuiltins } from "../verify/runtime.ts";

/**
 * What sealing needs from the runtime: AES-256-GCM and base64url. On Node, node:crypto's
 * `createDecipheriv` opens a seal synchronously in a few microseconds, where WebCrypto's
 * `subtle.decrypt` costs a promise and a hop to another thread; Edge and every other
 * runtime use WebCrypto. Everything above this module is the same code on every runtime.
 * node:crypto is reached as verify/runtime.ts reaches it (`process.getBuiltinModule`,
 * guarded for Edge), so no bundler sees it.
 */

declare const aesKey: unique symbol;
/** An AES-256 key imported by one {@link Cipher}; only that cipher can use it. */
export type AesKey = { readonly [aesKey]: true };

/** Bytes of an AES-GCM initialization vector (96 bits, as RFC 7518 §5.3 requires). */
export const IV_BYTES = 12;
/** Bytes of an AES-GCM authentication tag (128 bits). */
export const TAG_BYTES = 16;

export interface Cipher {
  /** `"node"` (node:crypto) or `"web"` (WebCrypto). */
  readonly name: "node" | "web";
  /** An AES-256-GCM key from its 32 raw bytes. */
  importKey(raw: Uint8Array): Promise<AesKey>;
  /** `plaintext` encrypted under `key` and `iv`, `aad` authenticated with it. */
  encrypt(key: AesKey, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<{ ciphertext: Uint8Array; tag: Uint8Array }>;
  /** The plaintext, or undefined when `tag` does not authenticate `ciphertext` and `aad` under `key`. Never throws. */
  decrypt(key: AesKey, iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** base64url without padding: the one spelling {@link decode} accepts. */
  encode(bytes: Uint8Array): string;
  /**
   * The bytes `segment` spells, only when it is exactly what {@link encode} writes for them:
   * base64url, no padding, no whitespace, no `+` or `/`, the unused low bits of the last
   * character zero. Anything else is undefined, so one value has one spelling.
   */
  decode(segment: string): Uint8Array | undefined;
}

type NodeCrypto = typeof import("node:crypto");
type NodeBuffer = typeof import("node:buffer").Buffer;

/** AES-256-GCM through node:crypto, with KeyObjects (a raw key costs a key schedule per call). */
export function nodeCipher(crypto: NodeCrypto, Buffer: NodeBuffer): Cipher {
  const view = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    name: "node",
    async importKey(raw) {
      return crypto.createSecretKey(Uint8Array.from(raw)) as unknown as AesKey;
    },
    async encrypt(key, iv, aad, plaintext) {
      const cipher = crypto.createCipheriv("aes-256-gcm", key as unknown as import("node:crypto").KeyObject, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad);
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { ciphertext, tag: cipher.getAuthTag() };
    },
    decrypt(key, iv, aad, ciphertext, tag) {
      try {
        const decipher = crypto.createDecipheriv("aes-256-gcm", key as unknown as import("node:crypto").KeyObject, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad);
        decipher.setAuthTag(tag);
        const plaintext = decipher.update(ciphertext);
        // Throws when the tag does not verify: only then is the plaintext known to be the sealer's.
        decipher.final();
        return plaintext;
      } catch {
        return undefined;
      }
    },
    // Subarrays of what node:crypto returns are Buffers already: no view to make.
    encode: (bytes) => (Buffer.isBuffer(bytes) ? bytes : view(bytes)).toString("base64url"),
    decode(segment) {
      // Buffer decodes leniently: it reads only the low byte of a character past ASCII, takes
      // the base64 alphabet's `+` and `/` too, skips any other character, and ignores unused low
      // bits. Each of those is ruled out here, at a fraction of the cost of writing the bytes
      // back and comparing (a quarter of an unseal).
      const length = segment.length;
      if (Buffer.byteLength(segment, "utf8") !== length || segment.includes("+") || segment.includes("/")) return undefined;
      const bytes = Buffer.from(segment, "base64url");
      // A skipped character leaves fewer bytes than the length spells.
      if (bytes.length !== (length * 3) >> 2) return undefined;
      // The last, partial group (2 or 3 characters for 1 or 2 bytes) must spell its bytes back
      // exactly; a lone last character spells no byte and never does.
      const partial = length % 4;
      return partial === 0 || bytes.toString("base64url", bytes.length - partial + 1) === segment.slice(length - partial) ? bytes : undefined;
    },
  };
}

/** AES-256-GCM through WebCrypto: Edge middleware and anything that is not Node. */
export const webCipher: Cipher = {
  name: "web",
  async importKey(raw) {
    return (await crypto.subtle.importKey("raw", Uint8Array.from(raw), "AES-GCM", false, ["encrypt", "decrypt"])) as unknown as AesKey;
  },
  async encrypt(key, iv, aad, plaintext) {
    const params = { name: "AES-GCM", iv: Uint8Array.from(iv), additionalData: Uint8Array.from(aad), tagLength: TAG_BYTES * 8 };
    const sealed = new Uint8Array(await crypto.subtle.encrypt(params, key as unknown as CryptoKey, Uint8Array.from(plaintext)));
    return { ciphertext: sealed.subarray(0, sealed.length - TAG_BYTES), tag: sealed.subarray(sealed.length - TAG_BYTES) };
  },
  async decrypt(key, iv, aad, ciphertext, tag) {
    // WebCrypto takes the tag at the end of the ciphertext.
    const sealed = new Uint8Array(ciphertext.length + tag.length);
    sealed.set(ciphertext);
    sealed.set(tag, ciphertext.length);
    const params = { name: "AES-GCM", iv: Uint8Array.from(iv), additionalData: Uint8Array.from(aad), tagLength: TAG_BYTES * 8 };
    return crypto.subtle.decrypt(params, key as unknown as CryptoKey, sealed).then(
      (plaintext) => new Uint8Array(plaintext),
      () => undefined,
    );
  },
  encode: base64url,
  decode(segment) {
    const binary = atobUrl(segment);
    if (binary === undefined) return undefined;
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    // atob ignores the unused low bits of the last character: only the spelling with them zero is this value's.
    return base64url(bytes) === segment ? bytes : undefined;
  },
};

function nodeCipherIfAny(): Cipher | undefined {
  const node = nodeBuiltins();
  if (node === undefined || typeof node.crypto.createDecipheriv !== "function" || typeof node.crypto.createSecretKey !== "function") return undefined;
  return nodeCipher(node.crypto, node.Buffer);
}

let chosen: Cipher | undefined;

/** The fastest cipher available here, chosen once. */
export function defaultCipher(): Cipher {
  chosen ??= nodeCipherIfAny() ?? webCipher;
  return chosen;
}
