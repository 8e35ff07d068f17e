const MAX_LENGTH = 2048;

// Control characters, spaces and backslashes have no place in a path we redirect to:
// browsers read `\` as `/`, and CR/LF would split the Location header.
const UNSAFE = /[\u0000-\u0020\u007f\\]/;

/**
 * `value` if it is a path on `appUrl`'s own origin, otherwise `/`. Refuses absolute and
 * protocol-relative URLs, backslash tricks (`/\evil`), encoded slashes that decode to
 * `//`, dot segments that collapse to `//` (`/.//evil`), control characters (header
 * injection) and overlong values. The result is always a path starting with a single `/`.
 */
export function safeReturnTo(value: string | null | undefined, appUrl: URL): string {
  if (!value || value.length > MAX_LENGTH) return "/";
  // Before parsing: the URL parser would read `//evil` as a host and drop tabs and newlines.
  if (!value.startsWith("/") || value.startsWith("//") || UNSAFE.test(value)) return "/";
  const url = new URL(value, appUrl);
  const result = `${url.pathname}${url.search}${url.hash}`;
  // Then the path as resolved (`/a/..//evil` is the path `//evil`, which a browser reads as
  // another host), decoded (`/%2F%2Fevil`, and `/./%2F%2Fevil` once its dot segment is gone).
  let decoded: string;
  try {
    decoded = decodeURIComponent(result);
  } catch {
    return "/";
  }
  if (decoded.startsWith("//") || UNSAFE.test(decoded)) return "/";
  return result;
}

/** The absolute URL of a path `safeReturnTo` produced, always on `appUrl`'s origin. */
export function returnToUrl(path: string, appUrl: URL): URL {
  // Concatenation, not `new URL(path, base)`: a path can never replace the origin this way.
  return new URL(`${appUrl.origin}${safeReturnTo(path, appUrl)}`);
}
