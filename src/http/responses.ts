import { type CookieChanges, toSetCookieHeaders } from "../cookies/session-cookies.ts";

/** Set `changes` on `response`; any response that touches session cookies must not be cached. */
export function withCookies<R extends Response>(response: R, changes: CookieChanges): R {
  const headers = toSetCookieHeaders(changes);
  if (headers.length === 0) return response;
  for (const header of headers) response.headers.append("set-cookie", header);
  response.headers.set("cache-control", "private, no-store");
  return response;
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
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const link = signInPath === undefined ? "" : `<p><a href="${escape(signInPath)}">Sign in again</a></p>`;
  const body = `<!doctype html><meta charset="utf-8"><title>${escape(title)}</title>
<h1>${escape(title)}</h1><p>${escape(detail)}</p>${link}`;
  return new Response(body, {
    status,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "private, no-store" },
  });
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
