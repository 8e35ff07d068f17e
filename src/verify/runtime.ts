import { atobUrl, base64UrlToBytes } from "../lib/base64url.ts";

/**
 * What verification needs from the runtime: base64url decoding, RSA public-key import and
 * the RS256 check. Node's own `crypto.verify` is about twice as fast as WebCrypto's
 * `subtle.verify` (no thread-pool hop, no promise), so Node gets its own implementation;
 * every other runtime (Edge middleware, workers, browsers) uses WebCrypto. This module is
 * the only place the two differ: everything above it is the same code on every runtime.
 *
 * Node's crypto is reached through `process.getBuiltinModule` rather than an import, so no
 * bundler ever sees `node:crypto` in the Edge middleware bundle. Next's Edge sandbox
 * defines `EdgeRuntime` and stubs `process.*` with functions that throw, hence the guard.
 */

declare const rsaKey: unique symbol;
/** A public key imported by one {@link Runtime}; only that runtime can use it. */
export type RsaPublicKey = { readonly [rsaKey]: true };

export interface Runtime {
  /** `"node"` (node:crypto) or `"web"` (WebCrypto). */
  readonly name: "node" | "web";
  /**
   * UTF-8 text of a base64url segment the caller has already checked is base64url; throws
   * when the bytes are not UTF-8, and may throw when the segment is not base64url.
   */
  decodeText(segment: string): string;
  /**
   * Import an RSA public key from its JWK modulus and exponent (base64url). Rejects
   * keys shorter than 2048 bits.
   */
  importRsaKey(n: string, e: string): Promise<RsaPublicKey>;
  /**
   * Whether `signature` (base64url) is an RS256 signature of the UTF-8 bytes of
   * `signingInput` by `key`. UTF-8, not Latin-1: Latin-1 would drop the high byte of a
   * character like U+0141, letting a different string pass for the signed one.
   */
  verifyRs256(key: RsaPublicKey, signingInput: string, signature: string): boolean | Promise<boolean>;
}

/** Smallest RSA modulus accepted, in bits (RFC 7518 §3.3). */
export const MIN_RSA_BITS = 2048;

type NodeCrypto = typeof import("node:crypto");
type NodeBuffer = typeof import("node:buffer").Buffer;

/** Scratch room for a signature, in bytes: an RSA signature is as long as its modulus. */
const SIGNATURE_BYTES = 2048;
/**
 * Scratch room for the signed text, in bytes: the UTF-8 of the longest token accepted
 * (`MAX_TOKEN_LENGTH` characters, 3 bytes each at most). Longer input is decoded the
 * allocating way, so it is never cut short.
 */
const DATA_BYTES = 96 * 1024;

/**
 * RS256 through node:crypto with cached KeyObjects. Segments are decoded into one scratch
 * buffer rather than a new Buffer each: every call is synchronous and done with the bytes
 * before it returns, and allocating three short-lived buffers per token cost a few
 * percent of a verification.
 */
export function nodeRuntime(crypto: NodeCrypto, Buffer: NodeBuffer): Runtime {
  const scratch = Buffer.allocUnsafeSlow(DATA_BYTES + SIGNATURE_BYTES);
  const data = (text: string) => {
    if (text.length * 3 > DATA_BYTES) return Buffer.from(text, "utf8");
    return scratch.subarray(0, scratch.write(text, 0, "utf8"));
  };
  // base64url takes 4 characters for 3 bytes: a string of n characters never needs n bytes.
  const bytes = (segment: string, at: number, room: number) => {
    if (segment.length > room) return Buffer.from(segment, "base64url");
    return scratch.subarray(at, at + scratch.write(segment, at, "base64url"));
  };
  return {
    name: "node",
    // Strict, as on WebCrypto: Buffer's own decoding would turn bytes that are not UTF-8 into U+FFFD.
    decodeText: (segment) => utf8.decode(bytes(segment, 0, DATA_BYTES)),
    async importRsaKey(n, e) {
      const key = crypto.createPublicKey({ key: { kty: "RSA", n, e }, format: "jwk" });
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) throw new RangeError("RSA key too short");
      return key as unknown as RsaPublicKey;
    },
    verifyRs256: (key, signingInput, signature) =>
      crypto.verify("sha256", data(signingInput), key as unknown as import("node:crypto").KeyObject, bytes(signature, DATA_BYTES, SIGNATURE_BYTES)),
  };
}

const RS256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;
const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

/** RS256 through WebCrypto: Edge middleware and anything that is not Node. */
export const webRuntime: Runtime = {
  name: "web",
  decodeText(segment) {
    const binary = atobUrl(segment);
    if (binary === undefined) throw new TypeError("not base64url");
    // Cognito's JSON is almost always ASCII, which needs no UTF-8 decoding.
    if (!/[^\x00-\x7f]/.test(binary)) return binary;
    return utf8.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  },
  async importRsaKey(n, e) {
    const key = await crypto.subtle.importKey("jwk", { kty: "RSA", n, e }, RS256, false, ["verify"]);
    if ((key.algorithm as RsaHashedKeyAlgorithm).modulusLength < MIN_RSA_BITS) throw new RangeError("RSA key too short");
    return key as unknown as RsaPublicKey;
  },
  async verifyRs256(key, signingInput, signature) {
    const bytes = base64UrlToBytes(signature);
    // Not base64url is not a signature of anything.
    if (bytes === undefined) return false;
    return crypto.subtle.verify(RS256, key as unknown as CryptoKey, bytes, utf8Encoder.encode(signingInput));
  },
};

/** node:crypto and Buffer when this is Node (never on Edge, never through an import); undefined elsewhere. */
export function nodeBuiltins(): { crypto: NodeCrypto; Buffer: NodeBuffer } | undefined {
  if (typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === "string") return undefined;
  try {
    // Node ≥ 20.16 / 22.3; older Node falls back to WebCrypto, which is slower but the same checks.
    const get = globalThis.process?.getBuiltinModule;
    if (typeof get !== "function") return undefined;
    const crypto = get("node:crypto") as NodeCrypto | undefined;
    const buffer = get("node:buffer") as typeof import("node:buffer") | undefined;
    if (typeof crypto?.verify !== "function" || typeof buffer?.Buffer !== "function") return undefined;
    return { crypto, Buffer: buffer.Buffer };
  } catch {
    return undefined;
  }
}

let chosen: Runtime | undefined;

/** The fastest runtime available here, chosen once. */
export function defaultRuntime(): Runtime {
  if (chosen === undefined) {
    const node = nodeBuiltins();
    chosen = node ? nodeRuntime(node.crypto, node.Buffer) : webRuntime;
  }
  return chosen;
}
