import type { Outage } from "../lib/errors.ts";
import { outageOf, serviceOf } from "./outage.ts";

/**
 * Request headers the middleware hands on to the app. Everything under the prefix is the
 * library's own: any such header a client sends is dropped before the app sees the request,
 * so nothing downstream can be fed a value the middleware did not set. None of them carries
 * session data; server-side reads verify the cookies themselves.
 */
export const INTERNAL_HEADER_PREFIX = "x-ncs-";

/**
 * The path and query the visitor asked for; `requireSession()` uses it as the sign-in
 * `returnTo`. Handed on with every request the middleware finds no session in, the only
 * ones sign-in is for; a signed-in request's headers go on as the browser sent them.
 */
export const PATH_HEADER = `${INTERNAL_HEADER_PREFIX}path`;

/**
 * Present when the middleware tried a refresh that was due and it failed without ending the
 * session (Cognito down, slow or erring): `unavailable:<service>` when that left no session
 * to serve and the answer is a 503 (the store could not take the new tokens), naming the
 * service as the 503 does; `failed` otherwise. The app's own reads of this request then do
 * not try again, so one request waits out one timeout at most. A client can get it to the
 * app only where the middleware does not run, and there it can only stop a refresh of its
 * own session: it grants nothing.
 */
export const REFRESH_FAILED_HEADER = `${INTERNAL_HEADER_PREFIX}refresh-failed`;

/**
 * What the middleware's refresh of this request came to, when it failed (see
 * {@link REFRESH_FAILED_HEADER}): `unavailable` is the outage that left no session.
 */
export interface RefreshFailure {
  unavailable: Outage | undefined;
}

const UNAVAILABLE_PREFIX = "unavailable:";

/**
 * Prepare the request's own headers for the app: any inbound internal header dropped, the
 * path handed on, and whether a refresh already failed. In place: copying them would copy
 * the kilobytes of the Cookie header.
 */
export function handOff(request: Request, { refreshFailed }: { refreshFailed?: RefreshFailure } = {}): void {
  for (const name of [...request.headers.keys()]) {
    if (name.startsWith(INTERNAL_HEADER_PREFIX)) request.headers.delete(name);
  }
  const url = new URL(request.url);
  request.headers.set(PATH_HEADER, `${url.pathname}${url.search}`);
  if (refreshFailed) {
    const { unavailable } = refreshFailed;
    request.headers.set(REFRESH_FAILED_HEADER, unavailable ? `${UNAVAILABLE_PREFIX}${serviceOf(unavailable)}` : "failed");
  }
}

/** Whether `headers` carry any header under {@link INTERNAL_HEADER_PREFIX} (a client's, unless the middleware set it). */
export function hasInternalHeaders(headers: Headers): boolean {
  for (const name of headers.keys()) if (name.startsWith(INTERNAL_HEADER_PREFIX)) return true;
  return false;
}

/**
 * How the middleware's refresh of this request failed, if it did, the outage rebuilt from
 * the service it names; any other value counts as `failed`.
 */
export function refreshFailedUpstream(headers: Headers): RefreshFailure | undefined {
  const value = headers.get(REFRESH_FAILED_HEADER);
  if (value === null) return undefined;
  return { unavailable: value.startsWith(UNAVAILABLE_PREFIX) ? outageOf(value.slice(UNAVAILABLE_PREFIX.length)) : undefined };
}
