import { stringifySetCookie, type SetCookie } from "cookie";

/**
 * Largest `Set-Cookie` header we send, attributes included. Browsers keep a cookie whose
 * name and value fit in 4096 bytes and drop larger ones silently; counting the attributes
 * too leaves a margin on every browser.
 */
export const MAX_SET_COOKIE = 4096;
/**
 * What the session's cookies may add to a request's `Cookie` header, in bytes. Servers
 * refuse larger request heads: Node (and so `next start`) at 16 KiB for the request line
 * and every header together, nginx and Apache at 8 KiB per header line by default, load
 * balancers at 16 KiB. 12 KiB leaves 4 KiB for the URL, the browser's other headers and
 * the app's other cookies under the 16 KiB most Next deployments have. Real Cognito token
 * sets take 5–6 KiB; one with a 6 KiB ID token takes about 12.
 */
export const MAX_SESSION_COOKIE_BYTES = 12 * 1024;
/**
 * More chunks than this is refused on read and never written. A value within
 * {@link MAX_SESSION_COOKIE_BYTES} needs at most 4 (each chunk holds about 4 000 bytes).
 */
export const MAX_CHUNKS = 5;

/** A value that was present but unusable (a missing or duplicated chunk). */
export const MALFORMED = Symbol("malformed cookie");

/** The request's cookies by name; a name sent twice keeps every value. */
export type CookieJar = Map<string, string[]>;

/**
 * Parse a `Cookie` header: `;`-separated `name=value` pairs, each trimmed, pairs without
 * `=` or with an empty name skipped. Values are kept as sent: ours are URL-safe and never
 * decoded. Scanned by index rather than split, as every request pays for it.
 */
export function parseCookieHeader(header: string | null | undefined): CookieJar {
  const jar: CookieJar = new Map();
  if (!header) return jar;
  const length = header.length;
  for (let start = 0; start < length; ) {
    // The name runs to the first "=" of the pair; a pair without one is skipped. Each character is looked at once.
    let eq = start;
    let c = 0;
    for (; eq < length; eq++) {
      c = header.charCodeAt(eq);
      if (c === 61 || c === 59) break;
    }
    if (c !== 61) {
      start = eq + 1;
      continue;
    }
    let end = header.indexOf(";", eq + 1);
    if (end === -1) end = length;
    const name = trimmed(header, start, eq);
    if (name !== "") {
      const value = trimmed(header, eq + 1, end);
      const values = jar.get(name);
      if (values) values.push(value);
      else jar.set(name, [value]);
    }
    start = end + 1;
  }
  return jar;
}

/** `text.slice(from, to).trim()`, without the second copy when neither end is blank (ASCII checked; anything else goes to trim). */
function trimmed(text: string, from: number, to: number): string {
  while (from < to && text.charCodeAt(from) === 32) from++;
  const first = text.charCodeAt(from);
  const last = text.charCodeAt(to - 1);
  const plain = from >= to || (first > 32 && first < 127 && last > 32 && last < 127);
  return plain ? text.slice(from, to) : text.slice(from, to).trim();
}

/** Serialize a jar back to a `Cookie` header (for rewriting the request). */
export function formatCookieHeader(jar: CookieJar): string {
  const parts: string[] = [];
  for (const [name, values] of jar) for (const value of values) parts.push(`${name}=${value}`);
  return parts.join("; ");
}

/** A cookie's name and the names of its chunks, `name.0` … `name.<MAX_CHUNKS - 1>`: made once per cookie, not per read. */
export type ChunkNames = readonly [whole: string, ...chunks: string[]];

export const chunkNames = (name: string): ChunkNames => [name, ...Array.from({ length: MAX_CHUNKS }, (_, i) => `${name}.${i}`)];

/**
 * The parts of a value that may be split across chunks, as sent and not joined (joining
 * copies kilobytes that a cache lookup can compare part by part). Unchunked: `name=value`,
 * one part. Chunked: `name.0=<count>~<part>`, `name.1=<part>`, … A duplicate, a missing
 * chunk, or both forms at once reads as {@link MALFORMED}, never as a partial value.
 */
export function readChunks(jar: CookieJar, names: ChunkNames): readonly string[] | undefined | typeof MALFORMED {
  const whole = jar.get(names[0]);
  const first = jar.get(names[1]!);
  if (whole && first) return MALFORMED;
  if (whole) return whole.length === 1 ? whole : MALFORMED;
  // Later chunks without the first are the remains of a value, not the absence of one.
  if (!first) {
    for (let i = 2; i < names.length; i++) if (jar.has(names[i]!)) return MALFORMED;
    return undefined;
  }
  if (first.length !== 1) return MALFORMED;
  // `<count>~`, count one digit 1–MAX_CHUNKS; checked by character, as a regex over a 4 KB value costs microseconds.
  const head = first[0]!;
  const count = head.charCodeAt(0) - 48;
  if (!(count >= 1 && count <= MAX_CHUNKS) || head.charCodeAt(1) !== 126) return MALFORMED;
  const parts = [head.slice(2)];
  for (let i = 1; i < count; i++) {
    const part = jar.get(names[i + 1]!);
    if (part?.length !== 1) return MALFORMED;
    parts.push(part[0]!);
  }
  return parts;
}

/** The value {@link readChunks} reads, joined. */
export function readChunked(jar: CookieJar, name: string): string | undefined | typeof MALFORMED {
  const parts = readChunks(jar, chunkNames(name));
  return typeof parts === "object" ? parts.join("") : parts;
}

/**
 * The cookies a value is written as: one cookie when its `Set-Cookie` fits in
 * {@link MAX_SET_COOKIE} bytes, else `.0`, `.1`, … with the count in front, each sized so
 * that its own `Set-Cookie` fits. Undefined when that takes more than {@link MAX_CHUNKS}
 * chunks. Values are ASCII (JWTs, iron seals), so a character is a byte.
 */
export function splitChunks(name: string, value: string, attributes: CookieAttributes): Array<[string, string]> | undefined {
  if (setCookie(name, value, attributes).length <= MAX_SET_COOKIE) return [[name, value]];
  // Every chunk name has one digit, and the first carries "<count>~" in front.
  const room = MAX_SET_COOKIE - setCookie(`${name}.0`, "", attributes).length - 2;
  const count = Math.ceil(value.length / room);
  if (!(room > 0 && count <= MAX_CHUNKS)) return undefined;
  const chunks: Array<[string, string]> = [];
  for (let i = 0; i < count; i++) {
    const part = value.slice(i * room, (i + 1) * room);
    chunks.push([`${name}.${i}`, i === 0 ? `${count}~${part}` : part]);
  }
  return chunks;
}

/** What `cookies` add to a request's `Cookie` header, in bytes: `name=value` pairs joined by "; ". */
export function cookieHeaderBytes(cookies: ReadonlyArray<readonly [string, string]>): number {
  let bytes = Math.max(0, 2 * (cookies.length - 1));
  for (const [name, value] of cookies) bytes += name.length + 1 + value.length;
  return bytes;
}

export type CookieAttributes = Omit<SetCookie, "name" | "value">;

/** One `Set-Cookie` header value. */
export function setCookie(name: string, value: string, attributes: CookieAttributes): string {
  return stringifySetCookie({ name, value, ...attributes });
}

/** A `Set-Cookie` that deletes `name`. */
export function deleteCookie(name: string, attributes: CookieAttributes): string {
  return stringifySetCookie({ name, value: "", ...attributes, maxAge: 0, expires: new Date(0) });
}
