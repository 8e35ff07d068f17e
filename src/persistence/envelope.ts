import type { Cipher } from "./cipher.ts";

/**
 * The plaintext of a seal (format 1): what it is for, until when, and the value, in bytes.
 *
 *   byte 0      format version, 1
 *   byte 1      purpose code ({@link PURPOSE_CODES})
 *   bytes 2–5   expiry, seconds since the epoch, unsigned 32-bit big-endian
 *   byte 6      body encoding: 0 JSON (UTF-8), 1 token set
 *   bytes 7–    the body
 *
 * A token set is an object with a number `e` and strings `a`, `i`, `r` (any of them absent),
 * nothing else. Its body is a byte of flags (1: `a`, 2: `i`, 4: `r` present), `e` as an
 * unsigned 32-bit big-endian integer, then each token present, in that order: a byte
 * `n`, then `n` segments, each a length (unsigned LEB128, at most 3 bytes) and the bytes
 * its base64url spells (a JWT is 3, a JWE 5), or, for `n` = 0, a length and the token as
 * UTF-8 text. A token is cut into segments only when every one is canonical base64url, so
 * joining them again gives back the very string; any other token is text. JWTs stored as
 * bytes take 3/4 of their characters: that is what keeps a session's cookies small.
 *
 * Decoding is exact: a byte out of place, a length past the end, anything left over, and
 * the value is refused.
 */

/** What a sealed value is for; a seal opens only as the purpose it was made for. */
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
  | "refresh-result"
  /** A server-side session's id (`<name>.id`). */
  | "session-id"
  /** A user's Cognito identity id in an identity pool, in a shared store. */
  | "identity-id"
  /** An identity's temporary AWS credentials, in a shared store. */
  | "credentials";

/** Each purpose's byte in the plaintext. Fixed: a seal written today must mean the same later. */
export const PURPOSE_CODES: Readonly<Record<SealPurpose, number>> = {
  session: 1,
  "stored-session": 2,
  transaction: 3,
  challenge: 4,
  "refresh-result": 5,
  "session-id": 6,
  "identity-id": 7,
  credentials: 8,
};

export const SEAL_PURPOSES = Object.keys(PURPOSE_CODES) as readonly SealPurpose[];

/** The plaintext format this code writes and reads; any other is refused, never guessed at. */
export const FORMAT = 1;
/** The latest expiry the format holds (2106-02-07); later ones are written as this. */
export const MAX_EXP = 0xffff_ffff;

const BODY_JSON = 0;
const BODY_TOKENS = 1;
const HEAD_BYTES = 7;
const TOKEN_FIELDS = ["a", "i", "r"] as const;
/** Segments of a token cut into bytes: a JWE has 5; more and it is kept as text. */
const MAX_SEGMENTS = 8;
/** A length fits 3 LEB128 bytes: 2 MiB, far more than a seal may hold (see MAX_JWE_LENGTH). */
const MAX_LENGTH = 1 << 21;

/** In a `u` pattern a paired surrogate is one code point outside this range: only lone ones match. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A value the token-set body holds: a session's tokens. */
export interface TokenSet {
  /** The access token (store-held values). */
  a?: string;
  /** The ID token. */
  i?: string;
  /** The refresh token. */
  r?: string;
  /** When the session ends, seconds since the epoch. */
  e: number;
}

/** Growable bytes, for writing a plaintext. */
class Writer {
  bytes = new Uint8Array(256);
  length = 0;

  #room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.#room(1);
    this.bytes[this.length++] = value;
  }

  uint32(value: number): void {
    this.#room(4);
    new DataView(this.bytes.buffer).setUint32(this.length, value);
    this.length += 4;
  }

  chunk(data: Uint8Array): void {
    if (data.length >= MAX_LENGTH) throw new RangeError("a sealed value's part is too long");
    for (let n = data.length; ; n >>>= 7) {
      if (n < 0x80) {
        this.byte(n);
        break;
      }
      this.byte((n & 0x7f) | 0x80);
    }
    this.raw(data);
  }

  raw(data: Uint8Array): void {
    this.#room(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  done(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/** The plaintext sealing `value` for `purpose` until `exp`; throws a TypeError for a value JSON cannot hold. */
export function encodeEnvelope(purpose: SealPurpose, exp: number, value: unknown, cipher: Cipher): Uint8Array {
  const out = new Writer();
  out.byte(FORMAT);
  out.byte(PURPOSE_CODES[purpose]);
  out.uint32(Math.min(MAX_EXP, Math.max(0, Math.floor(exp))));
  const tokens = asTokenSet(value);
  if (tokens && writeTokenSet(out, tokens, cipher)) return out.done();
  out.length = HEAD_BYTES - 1;
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError("a sealed value must be something JSON holds");
  out.byte(BODY_JSON);
  out.raw(utf8.encode(json));
  return out.done();
}

/**
 * The value `plaintext` holds when it is a format-1 plaintext for `purpose` whose expiry
 * is after `now` (seconds), decoded exactly; undefined otherwise. Throws on nothing it is
 * given, but may throw for plaintext no sealer wrote (JSON, UTF-8): callers catch.
 */
export function decodeEnvelope(plaintext: Uint8Array, purpose: SealPurpose, now: number, cipher: Cipher): { value: unknown } | undefined {
  // A plaintext shorter than the head has no body kind at byte 6, and is refused below.
  if (plaintext[0] !== FORMAT || plaintext[1] !== PURPOSE_CODES[purpose]) return undefined;
  const exp = uint32At(plaintext, 2);
  if (!(exp > now)) return undefined;
  const body = plaintext.subarray(HEAD_BYTES);
  if (plaintext[6] === BODY_JSON) return { value: JSON.parse(strictUtf8.decode(body)) };
  if (plaintext[6] === BODY_TOKENS) {
    const tokens = readTokenSet(body, cipher);
    return tokens && { value: tokens };
  }
  return undefined;
}

/** `value` as a token set when it is exactly one: a plain object of `e` (a 32-bit count of seconds) and strings `a`, `i`, `r`. */
function asTokenSet(value: unknown): TokenSet | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  // Only a plain object: anything else may say otherwise to JSON (toJSON), which must stay its reader.
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const record = value as Record<string, unknown>;
  const e = record.e;
  if (typeof e !== "number" || !Number.isInteger(e) || e < 0 || e > MAX_EXP) return undefined;
  for (const key of Object.keys(record)) {
    if (key === "e") continue;
    if (!(TOKEN_FIELDS as readonly string[]).includes(key)) return undefined;
    const token = record[key];
    // Text that UTF-8 cannot carry exactly (a lone surrogate) goes as JSON, which can.
    if (typeof token !== "string" || LONE_SURROGATE.test(token)) return undefined;
  }
  return record as unknown as TokenSet;
}

/** Write `tokens` as a token-set body; false (nothing promised of `out`) when a part is too long for it. */
function writeTokenSet(out: Writer, tokens: TokenSet, cipher: Cipher): boolean {
  out.byte(BODY_TOKENS);
  let flags = 0;
  for (const [bit, field] of TOKEN_FIELDS.entries()) if (tokens[field] !== undefined) flags |= 1 << bit;
  out.byte(flags);
  out.uint32(tokens.e);
  try {
    for (const field of TOKEN_FIELDS) {
      const token = tokens[field];
      if (token !== undefined) writeToken(out, token, cipher);
    }
  } catch {
    return false;
  }
  return true;
}

function writeToken(out: Writer, token: string, cipher: Cipher): void {
  const segments = token.split(".");
  const bytes = segments.length <= MAX_SEGMENTS ? segments.map((segment) => cipher.decode(segment)) : [undefined];
  if (bytes.every((b) => b !== undefined)) {
    out.byte(bytes.length);
    for (const segment of bytes) out.chunk(segment!);
    return;
  }
  out.byte(0);
  out.chunk(utf8.encode(token));
}

/** The unsigned 32-bit big-endian integer at `at`; bytes past the end read as 0 (what reads there is refused later). */
const uint32At = (bytes: Uint8Array, at: number) =>
  (bytes[at] ?? 0) * 2 ** 24 + ((bytes[at + 1] ?? 0) << 16) + ((bytes[at + 2] ?? 0) << 8) + (bytes[at + 3] ?? 0);

/** Reads a plaintext's body; a read past the end never throws, and the body must end exactly where the last read did. */
class Reader {
  at = 0;

  constructor(readonly bytes: Uint8Array) {}

  byte(): number | undefined {
    return this.at < this.bytes.length ? this.bytes[this.at++] : undefined;
  }

  /** Bytes past the end read as 0 and leave `at` past it: the body's last check refuses that. */
  uint32(): number {
    const value = uint32At(this.bytes, this.at);
    this.at += 4;
    return value;
  }

  chunk(): Uint8Array | undefined {
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.byte();
      if (byte === undefined || shift > 14) return undefined;
      length |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    // A length past the end leaves `at` past it: the body's last check refuses that.
    const chunk = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return chunk;
  }
}

function readTokenSet(body: Uint8Array, cipher: Cipher): TokenSet | undefined {
  const reader = new Reader(body);
  const flags = reader.byte();
  const e = reader.uint32();
  if (flags === undefined || flags > 0b111) return undefined;
  const tokens: TokenSet = { e };
  for (const [bit, field] of TOKEN_FIELDS.entries()) {
    if ((flags & (1 << bit)) === 0) continue;
    const token = readToken(reader, cipher);
    if (token === undefined) return undefined;
    tokens[field] = token;
  }
  return reader.at === body.length ? tokens : undefined;
}

function readToken(reader: Reader, cipher: Cipher): string | undefined {
  const segments = reader.byte();
  if (segments === undefined || segments > MAX_SEGMENTS) return undefined;
  if (segments === 0) {
    const text = reader.chunk();
    return text && strictUtf8.decode(text);
  }
  const parts: string[] = [];
  for (let i = 0; i < segments; i++) {
    const segment = reader.chunk();
    if (segment === undefined) return undefined;
    parts.push(cipher.encode(segment));
  }
  return parts.join(".");
}
