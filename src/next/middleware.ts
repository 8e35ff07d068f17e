import { type NextFetchEvent, type NextRequest, NextResponse } from "next/server.js";
import type { Core } from "../session/core.ts";
import { type CookieJar, formatCookieHeader, parseCookieHeader } from "../persistence/jar.ts";
import type { CookieChanges } from "../persistence/changes.ts";
import { callback } from "../flows/callback.ts";
import { signIn } from "../flows/sign-in.ts";
import { signOut } from "../flows/sign-out.ts";
import { withCookies } from "../http/responses.ts";
import { refusalOf, refusalResponse } from "../http/refusal.ts";
import { resolveSession } from "../session/resolve.ts";
import { bearerSession } from "../session/request-session.ts";
import type { CustomAttributes, Session } from "../session/session.ts";
import { handOff, hasInternalHeaders } from "../http/handoff.ts";
import { sessionRoute } from "../http/session-route.ts";
import { compileRules, matchRules, wantsPage } from "../http/rules.ts";

/**
 * The app's own middleware logic, run after the session is settled and the `protect`
 * rules have let the request through. `request` already carries the refreshed cookies.
 * Return a response (a redirect, a rewrite, `NextResponse.next(…)`, another library's
 * middleware's answer) or nothing to continue; refreshed cookies are put on whatever it is.
 */
export type MiddlewareHandler<Custom extends CustomAttributes = CustomAttributes> = (
  request: NextRequest,
  context: { session: Session<Custom> | null; event: NextFetchEvent | undefined },
  // A handler that only looks, or only changes the request, returns nothing at all: `void`
  // lets `(request) => { … }` type-check, which `undefined` alone does not.
  // biome-ignore lint/suspicious/noConfusingVoidType: a function type's return, where void is what users write
) => Response | undefined | void | Promise<Response | undefined | void>;

/**
 * `auth.middleware`: export it as `middleware` (or `proxy`) as it is, or call it with a
 * {@link MiddlewareHandler} to compose your own logic with it:
 * `export const middleware = auth.middleware((request, { session }) => …)`.
 */
export interface AuthMiddleware<Custom extends CustomAttributes = CustomAttributes> {
  (request: NextRequest, event?: NextFetchEvent): Promise<Response>;
  (handler: MiddlewareHandler<Custom>): (request: NextRequest, event?: NextFetchEvent) => Promise<Response>;
}

/**
 * The middleware (`middleware.ts` on Edge, `proxy.ts` on Node): mounts the sign-in,
 * callback and sign-out routes and the client components' session route, refreshes sessions before they lapse and enforces the
 * `protect` rules. Server-side reads verify the cookies again on their own, so skipping
 * this function never yields a session.
 */
export function createMiddleware<Custom extends CustomAttributes = CustomAttributes>(core: Core): AuthMiddleware<Custom> {
  const rules = compileRules(core.config.protect);
  const base = core.config.basePath;
  const { signInPage, forbiddenPage } = core.config;

  function middleware(request: NextRequest, event?: NextFetchEvent): Promise<Response>;
  function middleware(handler: MiddlewareHandler<Custom>): (request: NextRequest, event?: NextFetchEvent) => Promise<Response>;
  function middleware(arg: NextRequest | MiddlewareHandler<Custom>, event?: NextFetchEvent) {
    if (typeof arg === "function") return (request: NextRequest, e?: NextFetchEvent) => run(request, e, arg);
    return run(arg, event, undefined);
  }
  return middleware;

  async function run(request: NextRequest, event: NextFetchEvent | undefined, handler: MiddlewareHandler<Custom> | undefined): Promise<Response> {
    const pathname = request.nextUrl.pathname;
    if (pathname === `${base}/sign-in`) return signIn(core, request);
    if (pathname === `${base}/callback`) return callback(core, request);
    if (pathname === `${base}/sign-out`) return signOut(core, request);

    const jar = parseCookieHeader(request.headers.get("cookie"));
    // An API client's Bearer token is judged alone; otherwise the cookie session, refreshed when due.
    const { session, changes, unavailable, refreshFailed } = (await bearerSession<Custom>(core, request.headers)) ?? (await resolveSession<Custom>(core, jar));
    // Client components' view of the session, refreshed above when it was due.
    if (pathname === `${base}/session`) return withCookies(sessionRoute(request.method, { session, unavailable, refreshFailed }), changes);

    // Every rule covering the path holds, so the strictest answer wins.
    // The pages refused visitors are sent to are never behind a rule themselves: the sign-in
    // page would send them to itself, forever, and the forbidden page would refuse itself.
    const matched = pathname === signInPage || pathname === forbiddenPage ? [] : matchRules(rules, pathname);
    if (matched.length > 0) {
      // The audience is worked out only for a refusal: it reads the path several ways.
      const refusal = refusalOf(
        { session, unavailable },
        matched.map((m) => m.rule),
        () => (wantsPage(request, pathname) ? "page" : "api"),
      );
      if (refusal) return withCookies(refusalResponse(refusal, core.config, `${pathname}${request.nextUrl.search}`), changes);
    }

    // The request goes on with headers of the middleware's making only when it has something
    // to hand on: new cookies, a failed refresh, the path a sign-in would come back to (no
    // session), or inbound internal headers to drop. Handing headers on copies every one of
    // them (the Cookie header's kilobytes too, checked character by character by Headers)
    // into the response: most of a warm request's cost, spared when the browser's own go on.
    // The app's own handler may change the request, which must go on too.
    const handsOn =
      handler !== undefined || session === null || refreshFailed || changes.set.length > 0 || changes.remove.length > 0 || hasInternalHeaders(request.headers);
    if (handsOn) {
      handOff(request, refreshFailed ? { refreshFailed: { unavailable } } : {});
      adoptCookies(request, jar, changes);
    }
    // Made with the request's headers from the start: handing them on to a bare next() later
    // would copy them a second time.
    const response =
      (handler && (await handler(request, { session, event }))) ||
      (handsOn ? NextResponse.next({ request: { headers: request.headers } }) : NextResponse.next());
    // What the app's handler changed on the request goes on too.
    const finish = (r: Response) => withCookies(handsOn ? handOn(r, request.headers) : r, changes);
    try {
      return finish(response);
    } catch (error) {
      // `Response.redirect()` and friends have immutable headers: finish a copy instead.
      if (error instanceof TypeError) return finish(new Response(response.body, response));
      throw error;
    }
  }
}

/**
 * Give `request` the refreshed cookies, keeping `request.cookies` in step, so the app's own
 * middleware logic sees the request as its pages will. Nothing to do on most requests.
 */
function adoptCookies(request: NextRequest, jar: CookieJar, changes: CookieChanges): void {
  if (changes.set.length === 0 && changes.remove.length === 0) return;
  for (const { name } of changes.remove) request.cookies.delete(name);
  for (const { name, value } of changes.set) request.cookies.set(name, value);
  // Then the Cookie header itself, verbatim: `request.cookies` re-encodes every value it
  // writes, which would alter the app's other cookies.
  request.headers.set("cookie", formatCookieHeader(jar));
}

/**
 * A response that lets the request continue (`next()` or a rewrite) but names no request
 * headers would hand on the browser's original ones, stale cookies included: give it
 * `headers`, the way `NextResponse.next({ request: { headers } })` does.
 */
function handOn(response: Response, headers: Headers): Response {
  const continues = response.headers.has("x-middleware-next") || response.headers.has("x-middleware-rewrite");
  if (!continues || response.headers.has("x-middleware-override-headers")) return response;
  NextResponse.next({ request: { headers } }).headers.forEach((value, name) => {
    if (name.startsWith("x-middleware-") && name !== "x-middleware-next") response.headers.set(name, value);
  });
  return response;
}
