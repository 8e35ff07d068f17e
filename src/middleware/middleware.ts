import { type NextRequest, NextResponse } from "next/server";
import type { Core } from "../core.ts";
import { formatCookieHeader, parseCookieHeader } from "../cookies/jar.ts";
import { callback } from "../flows/callback.ts";
import { signIn } from "../flows/sign-in.ts";
import { signOut } from "../flows/sign-out.ts";
import { bearerError, errorPage, redirect, withCookies } from "../http/responses.ts";
import { authorize } from "../session/authorize.ts";
import { resolveSession } from "../session/resolve.ts";
import { handOffHeaders } from "./handoff.ts";
import { compileRules, matchRule, wantsPage } from "./rules.ts";

/**
 * The middleware (`middleware.ts` on Edge, `proxy.ts` on Node): mounts the sign-in,
 * callback and sign-out routes, refreshes sessions before they lapse and enforces the
 * `protect` rules. Server-side reads verify the cookies again on their own, so skipping
 * this function never yields a session.
 */
export function createMiddleware(core: Core) {
  const rules = compileRules(core.config.protect);
  const base = core.config.basePath;
  const realm = core.config.appUrl.host;

  return async function middleware(request: NextRequest): Promise<Response> {
    const pathname = request.nextUrl.pathname;
    if (pathname === `${base}/sign-in`) return signIn(core, request);
    if (pathname === `${base}/callback`) return callback(core, request);
    if (pathname === `${base}/sign-out`) return signOut(core, request);

    const headers = handOffHeaders(request);
    const jar = parseCookieHeader(request.headers.get("cookie"));
    const { session, changes, unavailable } = await resolveSession(core, jar);

    const matched = matchRule(rules, pathname);
    if (matched) {
      const page = wantsPage(request, pathname);
      if (unavailable) {
        const response = page
          ? errorPage(503, "Temporarily unavailable", "Sign-in cannot be checked right now. Please try again.", `${base}/sign-in`)
          : Response.json({ error: "unavailable" }, { status: 503, headers: { "cache-control": "private, no-store" } });
        response.headers.set("retry-after", "5");
        return withCookies(response, changes);
      }
      const decision = authorize(session, matched.rule);
      if (!decision.allowed) {
        if (decision.reason === "unauthenticated") {
          if (page) {
            const signInUrl = new URL(`${base}/sign-in`, core.config.appUrl);
            signInUrl.searchParams.set("returnTo", `${pathname}${request.nextUrl.search}`);
            return withCookies(redirect(signInUrl, 307), changes);
          }
          return withCookies(bearerError(401, realm, "invalid_token"), changes);
        }
        const scope = [...(matched.rule.scopes ?? [])].join(" ");
        return withCookies(
          page
            ? errorPage(403, "Forbidden", "Your account may not open this page.", `${base}/sign-in`)
            : bearerError(403, realm, "insufficient_scope", scope ? { scope } : {}),
          changes,
        );
      }
    }

    if (changes.set.length > 0 || changes.remove.length > 0) headers.set("cookie", formatCookieHeader(jar));
    return withCookies(NextResponse.next({ request: { headers } }), changes);
  };
}
