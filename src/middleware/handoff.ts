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
 * Present when the middleware tried a refresh that was due and it failed without ending the
 * session (Cognito down, slow or erring): the app's own reads of this request then do not
 * try again, so one request waits out one timeout at most. A client can get it to the app
 * only where the middleware does not run, and there it can only stop a refresh of its own
 * session: it grants nothing.
 */
export const REFRESH_FAILED_HEADER = `${INTERNAL_HEADER_PREFIX}refresh-failed`;

/**
 * Prepare the request's own headers for the app: any inbound internal header dropped, the
 * path handed on, and whether a refresh already failed. In place: copying them would copy
 * the kilobytes of the Cookie header.
 */
export function handOff(request: Request, { refreshFailed = false }: { refreshFailed?: boolean } = {}): void {
  for (const name of [...request.headers.keys()]) {
    if (name.startsWith(INTERNAL_HEADER_PREFIX)) request.headers.delete(name);
  }
  const url = new URL(request.url);
  request.headers.set(PATH_HEADER, `${url.pathname}${url.search}`);
  if (refreshFailed) request.headers.set(REFRESH_FAILED_HEADER, "1");
}

/** Whether a refresh of this request's session may be tried: not when the middleware already tried in vain (see {@link REFRESH_FAILED_HEADER}). */
export const mayRefresh = (headers: Headers): boolean => !headers.has(REFRESH_FAILED_HEADER);
