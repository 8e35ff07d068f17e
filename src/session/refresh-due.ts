/**
 * Whether a session whose access token has these claims is due for a refresh: within
 * `margin` seconds of its `exp`, but never before half its lifetime has passed, so
 * short-lived tokens (a local emulator's, or an app client set to minutes) are not
 * refreshed on every request. The one place this is decided: the reader (fresh or
 * stale), the refresher (whether a refresh it made is still worth reusing) and the shared
 * refresh (whether another instance's result is) all ask here.
 */
export function refreshDue(claims: { readonly exp: number; readonly iat: number }, margin: number, nowSeconds = Date.now() / 1000): boolean {
  return nowSeconds >= claims.exp - Math.min(margin, Math.max(0, claims.exp - claims.iat) / 2);
}
