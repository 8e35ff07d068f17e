import type { Core } from "./core.ts";
import type { CookieJar } from "../persistence/jar.ts";
import { applyToJar, type CookieChanges, emptyChanges } from "../persistence/changes.ts";
import { isCode, type Outage } from "../lib/errors.ts";
import { endsSession } from "./refresher.ts";
import type { SessionEndReason } from "../config/events.ts";
import type { CustomAttributes, Session } from "./session.ts";

/** The session a request carries, after any refresh, and the cookie writes that go with it. */
export interface Resolution<Custom extends CustomAttributes> {
  session: Session<Custom> | null;
  /** Cookie writes to put on the response; already applied to `jar`. */
  changes: CookieChanges;
  /** What could not be reached (keys, Cognito, the store) when no session could be established: answer 503. */
  unavailable: Outage | undefined;
  /**
   * A refresh was due, was tried, and failed in a way that keeps the cookies (Cognito down,
   * slow or erring): later requests try again, but nothing else serving this request should.
   */
  refreshFailed: boolean;
}

/**
 * Read the session from `jar`, refreshing it when it has lapsed or is about to. Only a
 * refusal of the refresh token (see `endsSession`) or cookies that cannot be read end the
 * session; any other failure (Cognito down, slow or erring, an answer that does not
 * verify) keeps the cookies so the next request tries again, and serves the session
 * while its access token is still valid. `jar` is updated with the new cookies so the
 * rest of the request sees them. Throws only a ConfigError: whatever else goes wrong is
 * an outage (503), a kept session, or no session.
 */
export async function resolveSession<Custom extends CustomAttributes>(
  core: Core,
  jar: CookieJar,
  { refresh = true }: { refresh?: boolean } = {},
): Promise<Resolution<Custom>> {
  const read = await core.reader.fromCookies<Custom>(jar);
  const changes = emptyChanges();
  let refreshFailed = false;
  const done = (session: Session<Custom> | null, unavailable?: Outage): Resolution<Custom> => {
    applyToJar(jar, changes);
    return { session, changes, unavailable, refreshFailed };
  };
  const clear = (reason: SessionEndReason) => {
    // Replaces anything queued: the cookies go, whatever was about to be written.
    Object.assign(changes, core.storage.clear(jar));
    // Asked first: a flood of forged cookies must not cost an object each when no one listens.
    if (core.events.wants("sessionEnded")) core.events.emit("sessionEnded", { reason });
    return done(null);
  };

  if (read.status === "unavailable") return done(null, read.error);
  if (read.status === "none") {
    // Unreadable or foreign cookies: remove them so they are not sent again.
    if (read.tokens === null && !core.cookieNames.hasSessionCookies(jar)) return done(null);
    return clear(read.signedOut ? "signed-out" : "invalid");
  }
  if (!refresh) return done(read.status === "valid" ? read.session : null);
  const valid = read.status === "valid" ? read.session : null;

  let refreshing = false;
  try {
    if (read.status === "valid" && !read.stale) {
      // Sealed with a secret that is no longer the newest: write it again with the newest.
      if (read.rewrite) Object.assign(changes, await core.storage.write(jar, read.tokens));
      return done(read.session);
    }
    refreshing = true;
    const tokens = await core.refresher.refresh(read.tokens);
    const fresh = await core.reader.fromTokens<Custom>(tokens);
    Object.assign(changes, await core.storage.write(jar, tokens));
    return done(fresh.status === "valid" ? fresh.session : null);
  } catch (error) {
    // Refused by Cognito, signed out meanwhile, or too large to keep: the session is over.
    const ended: SessionEndReason | undefined = endsSession(error)
      ? "refresh-refused"
      : isCode(error, "ERR_SESSION_ENDED")
        ? "signed-out"
        : isCode(error, "ERR_SESSION_TOO_LARGE")
          ? "too-large"
          : undefined;
    if (ended !== undefined) {
      // A server-side session's tokens are dead: drop them from the store too (best effort, TTL does the rest).
      await core.storage.end(jar).catch(() => {});
      return clear(ended);
    }
    if (isCode(error, "ERR_CONFIG")) throw error;
    if (isCode(error, "ERR_COGNITO_SESSION")) {
      refreshFailed = refreshing;
      // The store could not take the refreshed tokens: serve what is still valid, else 503.
      if (isCode(error, "ERR_STORE_UNAVAILABLE")) return done(valid, valid === null ? (error as Outage) : undefined);
      // Keep every cookie: a still-valid session is served, a lapsed one retries next time.
      return done(valid);
    }
    // Nothing this library throws: something in the cookies broke a step that trusts them. Not a session.
    return clear("invalid");
  }
}
