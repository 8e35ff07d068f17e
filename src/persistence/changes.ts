import { type CookieAttributes, type CookieJar, deleteCookie, setCookie } from "./jar.ts";

/** Cookies to set and delete; applied both to the response and to the request being served. */
export interface CookieChanges {
  set: Array<{ name: string; value: string; attributes: CookieAttributes }>;
  remove: Array<{ name: string; attributes: CookieAttributes }>;
}

export const emptyChanges = (): CookieChanges => ({ set: [], remove: [] });

/** The response's `Set-Cookie` values for `changes`. */
export function toSetCookieHeaders(changes: CookieChanges): string[] {
  return [
    ...changes.remove.map(({ name, attributes }) => deleteCookie(name, attributes)),
    ...changes.set.map(({ name, value, attributes }) => setCookie(name, value, attributes)),
  ];
}

/** Apply `changes` to a request's cookie jar, so the rest of the request sees them. */
export function applyToJar(jar: CookieJar, changes: CookieChanges): void {
  for (const { name } of changes.remove) jar.delete(name);
  for (const { name, value } of changes.set) jar.set(name, [value]);
}
