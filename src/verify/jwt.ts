import { MalformedTokenError } from "../lib/errors.ts";
import type { Runtime } from "./runtime.ts";

/** A compact JWS split, its payload decoded. Nothing in it is trusted yet. */
export interface DecodedJwt {
  /** The header segment, still base64url: see {@link decodeHeader}. */
  header: string;
  /** Frozen, with every nested object frozen too. */
  payload: Readonly<Record<string, unknown>>;
  /** `<header>.<payload>`, the bytes the signature covers. */
  signingInput: string;
  /** The signature segment, still base64url. */
  signature: string;
}

/**
 * Longest token accepted, in characters. Cognito tokens are 1–6 KB even with many groups
 * and custom claims; the cap keeps a hostile header from costing more than a real one.
 */
export const MAX_TOKEN_LENGTH = 32 * 1024;

/** Deepest nesting of objects and arrays accepted in a header or payload. */
const MAX_DEPTH = 16;

/**
 * Keys that could reach an object's prototype if claims were ever copied with plain
 * assignment. Cognito issues none of them, so a token carrying one is refused outright.
 */
const UNSAFE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Three non-empty base64url segments. */
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * Split a compact JWS and decode its payload: exactly three non-empty base64url segments,
 * none of a length (4k+1) that no base64 has, a payload that is a JSON object with no
 * unsafe keys. Throws {@link MalformedTokenError}.
 *
 * Every segment is checked character by character, though the signature covers the exact
 * bytes of the first two: runtimes' decoders differ on anything else (Node's skips it, `atob`
 * takes "+", "/", "=" and blanks), and only a strict reading is the same on every runtime
 * and no more lenient than other JWS libraries. It costs a few percent of a cold
 * verification; a cached token is never decoded again.
 */
export function decodeJwt(token: string, runtime: Runtime): DecodedJwt {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
    throw new MalformedTokenError("not a compact JWS");
  }
  const first = token.indexOf(".");
  const second = token.indexOf(".", first + 1);
  const signature = token.slice(second + 1);
  if (signature.length % 4 === 1) throw new MalformedTokenError("the signature is not base64url");
  return {
    header: token.slice(0, first),
    payload: parseSegment(token.slice(first + 1, second), runtime, "payload"),
    signingInput: token.slice(0, second),
    signature,
  };
}

/** The JSON object a header segment holds; throws {@link MalformedTokenError}. */
export function decodeHeader(segment: string, runtime: Runtime): Readonly<Record<string, unknown>> {
  return parseSegment(segment, runtime, "header");
}

function parseSegment(segment: string, runtime: Runtime, part: string): Readonly<Record<string, unknown>> {
  // A length of 4k+1 cannot be base64; runtimes differ on it, so refuse it before decoding.
  if (segment.length % 4 === 1) throw new MalformedTokenError(`the ${part} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(runtime.decodeText(segment));
  } catch {
    throw new MalformedTokenError(`the ${part} is not JSON`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new MalformedTokenError(`the ${part} is not a JSON object`);
  }
  harden(value, 0, part);
  return value as Record<string, unknown>;
}

/** Refuse unsafe keys and deep nesting, and freeze, so cached claims cannot be altered by one caller for another. */
function harden(value: object, depth: number, part: string): void {
  if (depth > MAX_DEPTH) throw new MalformedTokenError(`the ${part} is nested too deeply`);
  if (Array.isArray(value)) {
    // By index: Object.keys would make a string of every index.
    for (const child of value) if (child !== null && typeof child === "object") harden(child, depth + 1, part);
    Object.freeze(value);
    return;
  }
  // Object.keys, not for-in: for-in would also walk anything added to Object.prototype.
  for (const key of Object.keys(value)) {
    if (UNSAFE_KEYS.has(key)) throw new MalformedTokenError(`the ${part} has a forbidden key`);
    const child = (value as Record<string, unknown>)[key];
    if (child !== null && typeof child === "object") harden(child, depth + 1, part);
  }
  Object.freeze(value);
}
