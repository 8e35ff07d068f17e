import type { Core } from "../core.ts";
import type { CookieJar } from "../cookies/jar.ts";
import { applyToJar, type CookieChanges, emptyChanges } from "../cookies/session-cookies.ts";
import { CognitoSessionError, ConfigError, SessionEndedError, StoreUnavailableError } from "../errors.ts";
import { endsSession } from "../refresh/refresher.ts";
import type { CustomAttributes, Session } from "./session.ts";

/** The session a request carries, after any refresh, and the cookie writes that go with it. */
export interface Resolution<Custom extends CustomAttributes> {
  session: Session<Custom> | null;
  /** Cookie writes to put on the response; already applied to `jar`. */
  changes: CookieChanges;
  /** Keys or Cognito could not be reached and no session could be established: answer 503. */
  unavailable: boolean;
}

/**
 * Read the session from `jar`, refreshing it when it has lapsed or is about to. Only a
 * refusal of the refresh token (see `endsSession`) or cookies that cannot be read end the
 * session; any other failure (Cognito down, slow or erring, an answer that does not
 * verify) keeps the cookies so the next request tries again, and serves the session
 * while its access token is still valid. `jar` is updated with the new cookies so the
 * rest of the request sees them.
 */
export async function resolveSession<Custom extends CustomAttributes>(
  core: Core,
  jar: CookieJar,
  { refresh = true }: { refresh?: boolean } = {},
): Promise<Resolution<Custom>> {
  const read = await core.reader.fromCookies<Custom>(jar);
  const changes = emptyChanges();
  const done = (session: Session<Custom> | null, unavailable = false): Resolution<Custom> => {
    applyToJar(jar, changes);
    return { session, changes, unavailable };
  };

  switch (read.status) {
    case "unavailable":
      return done(null, true);
    case "none":
      // Unreadable or foreign cookies: remove them so they are not sent again.
      if (read.tokens !== null || hasSessionCookies(core, jar)) Object.assign(changes, core.cookies.clear(jar));
      return done(null);
    case "valid":
      if (!refresh) return done(read.session);
      if (!read.stale) {
        // Sealed with a secret that is no longer the newest: write it again with the newest.
        if (await core.cookies.sealedWithOldSecret(jar)) Object.assign(changes, await core.cookies.write(jar, read.tokens));
        return done(read.session);
      }
      break;
    case "expired":
      if (!refresh) return done(null);
      break;
  }

  try {
    const tokens = await core.refresher.refresh(read.tokens);
    const fresh = await core.reader.fromTokens<Custom>(tokens);
    Object.assign(changes, await core.cookies.write(jar, tokens));
    return done(fresh.status === "valid" ? fresh.session : null);
  } catch (error) {
    if (endsSession(error) || error instanceof SessionEndedError) {
      // A server-side session's tokens are dead: drop them from the store too (best effort, TTL does the rest).
      await core.cookies.end(jar).catch(() => {});
      Object.assign(changes, core.cookies.clear(jar));
      return done(null);
    }
    if (error instanceof StoreUnavailableError) {
      // The store could not take the refreshed tokens: serve what is still valid, else 503.
      return done(read.status === "valid" ? read.session : null, read.status !== "valid");
    }
    if (error instanceof CognitoSessionError && !(error instanceof ConfigError)) {
      // Keep every cookie: a still-valid session is served, a lapsed one retries next time.
      return done(read.status === "valid" ? read.session : null);
    }
    throw error;
  }
}

function hasSessionCookies(core: Core, jar: CookieJar): boolean {
  for (const name of jar.keys()) {
    if (name.startsWith(core.cookies.access) || name.startsWith(core.cookies.sealed) || name === core.cookies.id) return true;
  }
  return false;
}
