import type { ResolvedConfig } from "../config/resolve.ts";
import type { Outage } from "../lib/errors.ts";
import { type CookieChanges, toSetCookieHeaders } from "../persistence/changes.ts";
import { type Service, serviceOf } from "./outage.ts";

/** Set `changes` on `response`; any response that touches session cookies must not be cached. */
export function withCookies<R extends Response>(response: R, changes: CookieChanges): R {
  const headers = toSetCookieHeaders(changes);
  if (headers.length === 0) return response;
  for (const header of headers) response.headers.append("set-cookie", header);
  response.headers.set("cache-control", "private, no-store");
  return response;
}

/** What a response computed from a session varies with: the credentials it was read from. */
const CREDENTIALS = ["Cookie", "Authorization"];

/**
 * Mark a response computed from a request's session (or its absence) as that requester's
 * own, so no shared cache serves it to anyone else: `Vary: Cookie, Authorization` merged
 * into the response's own `Vary`, and `Cache-Control: private, no-store` unless the
 * response already says `no-store`, or a bare `private` without `public` (a browser-only
 * cache the code chose). Anything else (none, `public`, `s-maxage`, `no-cache`,
 * `private="set-cookie"`) is replaced: a CDN that ignores cookies must never keep one
 * user's answer. A response with immutable headers (`Response.redirect()`, `fetch()`) is
 * copied first.
 */
export function privateResponse(response: Response): Response {
  try {
    markPrivate(response.headers);
    return response;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const copy = new Response(response.body, response);
    markPrivate(copy.headers);
    return copy;
  }
}

function markPrivate(headers: Headers): void {
  // Set first, whatever it holds: on immutable headers this throws before anything changed.
  headers.set("vary", mergeVary(headers.get("vary")));
  if (!staysPrivate(headers.get("cache-control"))) headers.set("cache-control", "private, no-store");
}

function mergeVary(vary: string | null): string {
  const names = (vary ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.includes("*")) return "*";
  const have = new Set(names.map((name) => name.toLowerCase()));
  return [...names, ...CREDENTIALS.filter((name) => !have.has(name.toLowerCase()))].join(", ");
}

/** Whether a Cache-Control value already keeps a response out of every shared cache. */
function staysPrivate(value: string | null): boolean {
  if (value === null) return false;
  const directives = value.split(",").map((d) => d.trim().toLowerCase());
  if (directives.includes("no-store")) return true;
  // `private="field"` makes only the named fields private; `public` next to `private` is contradictory.
  return directives.includes("private") && !directives.some((d) => d === "public" || d.startsWith("public="));
}

/**
 * Where a visitor without a session signs in (`signInPage`), coming back to `returnTo`
 * afterwards: the sign-in routes check it with `safeReturnTo`.
 */
export function signInPageUrl(config: ResolvedConfig, returnTo: string): URL {
  const url = new URL(`${config.appUrl.origin}${config.signInPage}`);
  url.searchParams.set("returnTo", returnTo);
  return url;
}

/** A redirect; 303 after a POST so the browser follows with GET. */
export function redirect(location: string | URL, status: 302 | 303 | 307 = 302): Response {
  return new Response(null, { status, headers: { location: String(location), "cache-control": "private, no-store" } });
}

/**
 * A small HTML page for flow errors a person sees (bad callback, refused sign-in), with a
 * link to `signInPath` when the app has a sign-in page.
 */
export function errorPage(status: number, title: string, detail: string, signInPath: string | undefined): Response {
  const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const link = signInPath === undefined ? "" : `<p><a href="${escapeHtml(signInPath)}">Sign in again</a></p>`;
  const body = `<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p>${link}`;
  return new Response(body, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "private, no-store" },
  });
}

/**
 * Render `path` (a page of the app, on `appUrl`) in place of the page asked for, with
 * `status`: the middleware's rewrite (`x-middleware-rewrite`, what `NextResponse.rewrite`
 * sets), made here without Next so refusals keep one builder.
 */
export function rewrite(config: ResolvedConfig, path: string, status: 403): Response {
  return new Response(null, {
    status,
    headers: { "x-middleware-rewrite": new URL(path, config.appUrl.origin).href, "cache-control": "private, no-store" },
  });
}

/** A short plain-text answer to a request the library's own routes refuse (wrong method, cross-site, bad form). */
export function plainText(status: 400 | 403 | 405, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "cache-control": "private, no-store", ...headers } });
}

/** Seconds a client is asked to wait before trying again after a 503. */
const RETRY_AFTER_SECONDS = "5";

/** What a page says could not be reached, per service. */
const UNREACHABLE: Record<Service, string> = {
  "user-pool-keys": "the user pool's signing keys cannot be fetched right now",
  cognito: "Cognito cannot be reached right now",
  "session-store": "the session store cannot be reached right now",
};

/**
 * The 503 of an outage, naming the service that could not be reached ({@link Service}) and
 * nothing else of the error: for code, JSON `{"error":"unavailable","service":…}`; for a
 * person, a page (`title`, then what could not be done, `action`, and why). `Retry-After`
 * and `Cache-Control: private, no-store` either way.
 */
export function unavailable(outage: Outage, page?: { title: string; action: string; signInPath: string | undefined }): Response {
  const service = serviceOf(outage);
  const response = page
    ? errorPage(503, page.title, `${page.action}: ${UNREACHABLE[service]}. Please try again.`, page.signInPath)
    : Response.json({ error: "unavailable", service }, { status: 503, headers: { "cache-control": "private, no-store" } });
  response.headers.set("retry-after", RETRY_AFTER_SECONDS);
  return response;
}

/** A JSON error for APIs, with the RFC 6750 challenge. */
export function bearerError(
  status: 401 | 403,
  realm: string,
  error: "invalid_token" | "insufficient_scope" | undefined,
  extra: { scope?: string; description?: string } = {},
): Response {
  const params = [`realm="${realm}"`];
  if (error) params.push(`error="${error}"`);
  if (extra.description) params.push(`error_description="${extra.description}"`);
  if (extra.scope) params.push(`scope="${extra.scope}"`);
  return Response.json(
    { error: status === 401 ? "unauthenticated" : "forbidden", ...(extra.description ? { message: extra.description } : {}) },
    {
      status,
      headers: { "www-authenticate": `Bearer ${params.join(", ")}`, "cache-control": "private, no-store" },
    },
  );
}

/**
 * The RFC 6750 answer to a refused request: 401 `invalid_token` without a (valid) session,
 * 403 `insufficient_scope` naming the scopes asked for when the session falls short.
 */
export function challenge(realm: string, reason: "unauthenticated" | "forbidden", scopes: readonly string[] = []): Response {
  if (reason === "unauthenticated") return bearerError(401, realm, "invalid_token");
  return bearerError(403, realm, "insufficient_scope", scopes.length > 0 ? { scope: scopes.join(" ") } : {});
}

/**
 * The headers {@link withCookies} gives a response for `changes`, and those of
 * {@link privateResponse}, for an answer written some other way (Node's ServerResponse in
 * the Pages Router), so both kinds of answer carry the same.
 */
export function cookieHeaders(changes: CookieChanges): Headers {
  return withCookies(new Response(null), changes).headers;
}

/** See {@link cookieHeaders}. */
export function privateHeaders(): Headers {
  return privateResponse(new Response(null)).headers;
}
