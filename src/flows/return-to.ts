const MAX_LENGTH = 2048;

/**
 * `value` if it is a path on `appUrl`'s own origin, otherwise `/`. Refuses absolute and
 * protocol-relative URLs, backslash tricks (`/\evil`), encoded slashes that decode to
 * `//`, control characters (header injection) and overlong values.
 */
export function safeReturnTo(value: string | null | undefined, appUrl: URL): string {
  if (!value || value.length > MAX_LENGTH) return "/";
  if (!value.startsWith("/") || value.startsWith("//")) return "/";
  // Control characters, spaces and backslashes have no place in a path we redirect to.
  if (/[\u0000-\u0020\u007f\\]/.test(value)) return "/";
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return "/";
  }
  if (decoded.startsWith("//") || /[\u0000-\u001f\u007f\\]/.test(decoded)) return "/";
  let url: URL;
  try {
    url = new URL(value, appUrl);
  } catch {
    return "/";
  }
  if (url.origin !== appUrl.origin) return "/";
  return `${url.pathname}${url.search}${url.hash}`;
}
