import type { Core } from "../session/core.ts";
import { type CookieJar, parseCookieHeader } from "../persistence/jar.ts";
import type { CookieChanges } from "../persistence/changes.ts";
import { refreshFailedUpstream } from "../http/handoff.ts";
import { resolveSession } from "../session/resolve.ts";
import type { CustomAttributes, Session } from "../session/session.ts";

// next/headers is loaded lazily: it exists only inside a Next request, and this module is
// also imported where there is none (the middleware bundle, tests).

/**
 * The current Next request's cookies, read from the raw `Cookie` header like every other
 * read path, so a duplicated name stays visible instead of being collapsed.
 */
export async function requestCookieJar(): Promise<CookieJar> {
  return parseCookieHeader((await requestHeaders()).get("cookie"));
}

async function requestHeaders(): Promise<Headers> {
  const { headers } = await import("next/headers.js");
  return (await headers()) as Headers;
}

/**
 * Write `changes` through `cookies()` from `next/headers`. Works in route handlers and
 * server actions; Next throws in a server component, which cannot set cookies.
 */
export async function writeCookieChanges(changes: CookieChanges): Promise<void> {
  const { cookies } = await import("next/headers.js");
  const store = await cookies();
  // `store.delete()` would drop `Secure`, and browsers ignore a `__Host-` deletion without it.
  for (const { name, attributes } of changes.remove) {
    store.set({ ...attributes, name, value: "", maxAge: 0, expires: new Date(0) });
  }
  for (const { name, value, attributes } of changes.set) store.set({ ...attributes, name, value });
}

/**
 * The session of `jar`, refreshed when due (and `refresh` allows), with whatever cookies
 * that changes handed to `write`.
 */
export async function refreshAndPersist<Custom extends CustomAttributes>(
  core: Core,
  jar: CookieJar,
  write: (changes: CookieChanges) => Promise<void>,
  { refresh = true }: { refresh?: boolean } = {},
): Promise<Session<Custom> | null> {
  const { session, changes } = await resolveSession<Custom>(core, jar, { refresh });
  if (changes.set.length > 0 || changes.remove.length > 0) await write(changes);
  return session;
}

/**
 * `auth.refreshSession()`: {@link refreshAndPersist} over the current Next request's
 * cookies and {@link writeCookieChanges}, with no second try when the middleware's
 * refresh of this request already failed.
 */
export async function refreshCurrentSession<Custom extends CustomAttributes>(core: Core): Promise<Session<Custom> | null> {
  const headers = await requestHeaders();
  return refreshAndPersist<Custom>(core, parseCookieHeader(headers.get("cookie")), writeCookieChanges, {
    refresh: refreshFailedUpstream(headers) === undefined,
  });
}
