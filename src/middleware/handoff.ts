/**
 * Request headers the middleware hands on to the app. Everything under the prefix is the
 * library's own: any such header a client sends is dropped before the app sees the request,
 * so nothing downstream can be fed a value the middleware did not set. None of them carries
 * session data; server-side reads verify the cookies themselves.
 */
export const INTERNAL_HEADER_PREFIX = "x-ncs-";

/** The path and query the visitor asked for; `requireSession()` uses it as the sign-in `returnTo`. */
export const PATH_HEADER = `${INTERNAL_HEADER_PREFIX}path`;

/** A copy of the request's headers without any inbound internal header, with the path handed on. */
export function handOffHeaders(request: Request): Headers {
  const headers = new Headers(request.headers);
  for (const name of [...headers.keys()]) {
    if (name.startsWith(INTERNAL_HEADER_PREFIX)) headers.delete(name);
  }
  const url = new URL(request.url);
  headers.set(PATH_HEADER, `${url.pathname}${url.search}`);
  return headers;
}
