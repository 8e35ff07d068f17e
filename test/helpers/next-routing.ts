// Next's own routing, as the oracle for the `protect` rules: path-to-regexp as Next ships it
// (the syntax of `config.matcher`), the middleware matchers Next builds from it, the App
// Router's route matchers and the URL the middleware is handed. All from the installed Next.
import { createRequire } from "node:module";
import { NextRequest } from "next/server";
import { normalizeRscURL } from "next/dist/shared/lib/router/utils/app-paths.js";
import { getRouteRegex } from "next/dist/shared/lib/router/utils/route-regex.js";

const require = createRequire(import.meta.url);

/** path-to-regexp 6 as bundled with Next. */
export const { pathToRegexp } = require("next/dist/compiled/path-to-regexp") as { pathToRegexp(path: string): RegExp };

type MiddlewareMatcher = { regexp: string };

/**
 * Whether Next would run a middleware whose `config.matcher` is `pattern` for a request whose
 * parsed pathname is `pathname`: as resolve-routes.js decides, on the pathname as is or decoded.
 * Loads Next's build-time matcher code (a second or two, and it patches `console` so that
 * logging from the test throws): only the files that need it pay for it.
 */
export function nextMatcherRuns(pattern: string): (pathname: string) => boolean {
  const { getMiddlewareMatchers } = require("next/dist/build/analysis/get-page-static-info") as {
    getMiddlewareMatchers(matcher: string[], nextConfig: object): MiddlewareMatcher[];
  };
  const { getMiddlewareRouteMatcher } = require("next/dist/shared/lib/router/utils/middleware-route-matcher") as {
    getMiddlewareRouteMatcher(matchers: MiddlewareMatcher[]): (pathname: string, req: object, query: object) => boolean;
  };
  const match = getMiddlewareRouteMatcher(getMiddlewareMatchers([pattern], {}));
  return (pathname) => {
    if (match(pathname, { headers: {} }, {})) return true;
    try {
      return match(decodeURIComponent(pathname), { headers: {} }, {});
    } catch {
      return false;
    }
  };
}

/**
 * Whether the App Router routes `pathname` to `route` (`/dashboard/[id]`, `/dashboard/settings`).
 * Dynamic routes: Next's route regex on the encoded path (router-utils/filesystem.js
 * buildFilesystemDynamicRoute); a match counts even where a param does not decode and Next
 * answers 400. Static routes: the path without a trailing slash, as is or decoded as a whole
 * (filesystem.js getItem).
 */
export function nextRoutes(route: string, pathname: string): boolean {
  if (route.includes("[")) return getRouteRegex(route).re.test(pathname);
  const item = pathname !== "/" && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname;
  if (item === route) return true;
  try {
    return decodeURIComponent(item) === route;
  } catch {
    return false;
  }
}

/**
 * The paths Next's router may route a request target by: the parsed pathname (router-server
 * parses with WHATWG URL, like the middleware), and in minimal mode with the RSC,
 * segment-prefetch and `_next/data` forms normalized away (server/normalizers/request).
 */
export function routerPathnames(target: string): string[] {
  const pathname = new URL(`http://n${target}`).pathname;
  const views = new Set([pathname]);
  const segment = /^(.*)\.segments\/.+\.segment\.rsc$/.exec(pathname);
  if (segment) views.add(segment[1] || "/");
  if (pathname.endsWith(".rsc")) views.add(pathname.slice(0, -".rsc".length) || "/");
  const data = /^\/_next\/data\/[^/]+(\/.+)\.json$/.exec(pathname);
  if (data) views.add(data[1] === "/index" ? "/" : data[1]!);
  return [...views];
}

/**
 * The request the middleware gets for `target`, as Next's adapter (server/web/adapter.js)
 * builds it: `.rsc` stripped from the URL, then parsed by NextURL.
 */
export function middlewareRequest(base: string, target: string, init?: ConstructorParameters<typeof NextRequest>[1]): NextRequest {
  return new NextRequest(normalizeRscURL(`${base}${target}`), init);
}
