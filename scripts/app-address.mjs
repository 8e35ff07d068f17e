// Where `npm run dev` and `npm run example:start` serve the example, and the line that tells
// a person where to sign in: APP_URL's origin, the only address whose sign-in can finish
// (the hosted UI returns to APP_URL; a sign-in started at 127.0.0.1 is moved there first).

/**
 * The host for `next dev`/`next start -H`: `host` when given, else APP_URL's own when it is a
 * loopback name (so Next's "Local:" line shows APP_URL's origin), else 127.0.0.1.
 * @param {string} appUrl
 * @param {string | undefined} [host]
 */
export function listenHost(appUrl, host) {
  if (host) return host;
  const bare = new URL(appUrl).hostname.replace(/^\[(.*)\]$/, "$1");
  // The library's loopback rule (isLoopbackHost): localhost, ::1, 127.0.0.0/8.
  return bare === "localhost" || bare === "::1" || /^127(?:\.\d{1,3}){3}$/.test(bare) ? bare : "127.0.0.1";
}

/**
 * `Sign in at <APP_URL>/ as … with password …` for the embedded Cognito's users, or
 * `Open <APP_URL>/` for any other Cognito.
 * @param {string} appUrl
 * @param {{ users: string[], password: string } | undefined} info
 */
export function signInLine(appUrl, info) {
  const origin = new URL(appUrl).origin;
  return info ? `Sign in at ${origin}/ as ${info.users.join(" or ")} with password ${info.password}` : `Open ${origin}/`;
}
