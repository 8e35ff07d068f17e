/**
 * Request headers the middleware hands on to the app. Everything under the prefix is the
 * library's own: any such header a client sends is dropped before the app sees the request,
 * so nothing downstream can be fed a value the middleware did not set. None of them carries
 * session data; server-side reads verify the cookies themselves.
 */
export const INTERNAL_HEADER_PREFIX = "x-ncs-";

/** The path and query the visitor asked for; `requireSession()` uses it as the sign-in `returnTo`. */
export const PATH_HEADER = `${INTERNAL_HEADER_PREFIX}path`;

/**
 * Prepare the request's own headers for the app: any inbound internal header dropped, the
 * path handed on. In place: copying them would copy the kilobytes of the Cookie header.
 */
export function handOff(request: Request): void {
  for (const name of [...request.headers.keys()]) {
    if (name.startsWith(INTERNAL_HEADER_PREFIX)) request.headers.delete(name);
  }
  const url = new URL(request.url);
  request.headers.set(PATH_HEADER, `${url.pathname}${url.search}`);
}
