import { type CookieJar, parseCookieHeader } from "../cookies/jar.ts";
import type { CookieChanges } from "../cookies/session-cookies.ts";

// next/headers is loaded lazily: it exists only inside a Next request, and this module is
// also imported where there is none (the middleware bundle, tests).

/**
 * The current Next request's cookies, read from the raw `Cookie` header like every other
 * read path, so a duplicated name stays visible instead of being collapsed.
 */
export async function requestCookieJar(): Promise<CookieJar> {
  const { headers } = await import("next/headers");
  return parseCookieHeader((await headers()).get("cookie"));
}

/**
 * Write `changes` through `cookies()` from `next/headers`. Works in route handlers and
 * server actions; Next throws in a server component, which cannot set cookies.
 */
export async function writeCookieChanges(changes: CookieChanges): Promise<void> {
  const { cookies } = await import("next/headers");
  const store = await cookies();
  // `store.delete()` would drop `Secure`, and browsers ignore a `__Host-` deletion without it.
  for (const { name, attributes } of changes.remove) {
    store.set({ ...attributes, name, value: "", maxAge: 0, expires: new Date(0) });
  }
  for (const { name, value, attributes } of changes.set) store.set({ ...attributes, name, value });
}
