import type { IssuedTokens } from "../cognito/oauth.ts";
import type { Core } from "../session/core.ts";
import type { CookieJar } from "../persistence/jar.ts";
import type { CookieChanges } from "../persistence/changes.ts";
import { InvalidTokenError } from "../lib/errors.ts";
import type { SignInEvent } from "../config/events.ts";

/**
 * Verify freshly issued tokens and return the cookie changes that make them the session.
 * Every session cookie `jar` carried is overwritten or deleted, and any pending password
 * challenge dropped, so nothing planted before sign-in survives it (no session fixation).
 * Throws an InvalidTokenError (or JwksUnavailableError) when the tokens do not verify.
 * Reports `signIn` once the cookies are made.
 */
export async function startSession(core: Core, jar: CookieJar, issued: IssuedTokens, method: SignInEvent["method"]): Promise<CookieChanges> {
  const access = await core.verifier.verify(issued.accessToken, "access");
  if (issued.idToken !== undefined) {
    const id = await core.verifier.verify(issued.idToken, "id");
    if (id.sub !== access.sub) throw new InvalidTokenError("the ID token belongs to another user");
  }
  const changes = await core.storage.write(
    jar,
    {
      accessToken: issued.accessToken,
      idToken: issued.idToken,
      refreshToken: issued.refreshToken,
      endsAt: Math.floor(Date.now() / 1000) + core.config.sessionMaxAge,
    },
    // A server-side session gets a new id at every sign-in, so a planted one is worth nothing.
    { newSession: true },
  );
  changes.remove.push(...core.transactions.dropChallenge(jar).remove);
  core.events.emit("signIn", { method, sub: access.sub, username: typeof access.username === "string" ? access.username : undefined });
  return changes;
}
