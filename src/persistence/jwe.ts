import type { Secret } from "../config/secret.ts";
import { type AesKey, type Cipher, IV_BYTES, TAG_BYTES } from "./cipher.ts";

/**
 * JWE compact serialization (RFC 7516 §7.1) with direct encryption and AES-256-GCM
 * (RFC 7518 `dir`, `A256GCM`): `header..iv.ciphertext.tag`, the encrypted key empty. Any
 * JOSE library opens it with the key. Parsing is strict: only the exact string
 * {@link encryptCompact} writes opens (one of our headers byte for byte, an empty encrypted
 * key, each other part in canonical base64url, nothing before, between or after); anything
 * else is undefined, never an error.
 */

/** A key derived from one configured secret, with the protected header that names it. */
export interface JweKey {
  /** 4 base64url characters naming the secret, derived apart from the key: they say nothing of either. */
  readonly kid: string;
  /** The protected header, base64url: `{"alg":"dir","enc":"A256GCM","kid":"…"}`. */
  readonly header: string;
  /** The header as the AEAD's additional data: its ASCII bytes (RFC 7516 §5.1 step 14). */
  readonly aad: Uint8Array;
  readonly key: AesKey;
}

/** HKDF-SHA256 `info` of the content-encryption key; the use is named so no other use of a secret yields the same key. */
export const KEY_INFO = "next-cognito-session JWE dir A256GCM key";
/** HKDF-SHA256 `info` of the key id. */
export const KID_INFO = "next-cognito-session JWE kid";
/** Bytes of a key id: 24 bits (4 characters) tell a few secrets apart; a clash only costs a second decryption. */
const KID_BYTES = 3;
/** base64url characters of an IV and a tag. */
const IV_CHARS = Math.ceil((IV_BYTES * 4) / 3);
const TAG_CHARS = Math.ceil((TAG_BYTES * 4) / 3);
const DOT = 46;
/**
 * The longest seal opened, in characters. A session cookie is at most 5 chunks of 4 KB and a
 * stored session holds a few tokens; longer input is refused before anything is decoded.
 */
export const MAX_JWE_LENGTH = 64 * 1024;

const ascii = new TextEncoder();

async function hkdf(secret: Secret, info: string, bytes: number): Promise<Uint8Array> {
  const ikm = await crypto.subtle.importKey("raw", ascii.encode(secret.reveal()), "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: ascii.encode(info) }, ikm, bytes * 8);
  return new Uint8Array(bits);
}

/** One key per secret, in the order given (the first seals); HKDF-SHA256 of the secret's UTF-8, empty salt. */
export async function deriveKeys(secrets: readonly Secret[], cipher: Cipher): Promise<JweKey[]> {
  return Promise.all(
    secrets.map(async (secret) => {
      const kid = cipher.encode(await hkdf(secret, KID_INFO, KID_BYTES));
      const header = cipher.encode(ascii.encode(JSON.stringify({ alg: "dir", enc: "A256GCM", kid })));
      return { kid, header, aad: ascii.encode(header), key: await cipher.importKey(await hkdf(secret, KEY_INFO, 32)) };
    }),
  );
}

/** `plaintext` sealed under `key` with a fresh random IV. */
export async function encryptCompact(key: JweKey, plaintext: Uint8Array, cipher: Cipher): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const { ciphertext, tag } = await cipher.encrypt(key.key, iv, key.aad, plaintext);
  return `${key.header}..${cipher.encode(iv)}.${cipher.encode(ciphertext)}.${cipher.encode(tag)}`;
}

/** What {@link decryptCompact} opened, and which of the keys opened it. */
export interface Decrypted {
  plaintext: Uint8Array;
  key: JweKey;
}

/** The plaintext of `jwe` and the key that opened it; undefined when it is not exactly a seal by one of `keys`. Never throws. */
export async function decryptCompact(keys: readonly JweKey[], jwe: string, cipher: Cipher): Promise<Decrypted | undefined> {
  if (typeof jwe !== "string" || jwe.length > MAX_JWE_LENGTH) return undefined;
  // header "." "" "." iv "." ciphertext "." tag, found by position: the IV and tag have fixed lengths.
  const headerEnd = jwe.indexOf(".");
  const ivStart = headerEnd + 2;
  const ivEnd = ivStart + IV_CHARS;
  const tagStart = jwe.length - TAG_CHARS;
  if (jwe.charCodeAt(headerEnd + 1) !== DOT || jwe.charCodeAt(ivEnd) !== DOT || jwe.charCodeAt(tagStart - 1) !== DOT || ivEnd + 1 > tagStart - 1) {
    return undefined;
  }
  const header = jwe.slice(0, headerEnd);
  const named = keys.filter((key) => key.header === header);
  // Decoded only once a key names the header: refusing a foreign seal costs no decoding.
  if (named.length === 0) return undefined;
  const iv = cipher.decode(jwe.slice(ivStart, ivEnd));
  const ciphertext = cipher.decode(jwe.slice(ivEnd + 1, tagStart - 1));
  const tag = cipher.decode(jwe.slice(tagStart));
  if (iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || ciphertext === undefined) return undefined;
  for (const key of named) {
    const decrypted = cipher.decrypt(key.key, iv, key.aad, ciphertext, tag);
    // node:crypto answers at once: no promise to wait on.
    const plaintext = decrypted instanceof Promise ? await decrypted : decrypted;
    if (plaintext !== undefined) return { plaintext, key };
  }
  return undefined;
}
