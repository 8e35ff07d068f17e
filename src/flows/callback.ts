import type { Core } from "../session/core.ts";
import { parseCookieHeader } from "../persistence/jar.ts";
import { type CookieChanges, emptyChanges } from "../persistence/changes.ts";
import { isCode, isOutage } from "../lib/errors.ts";
import { errorPage, redirect, unavailable, withCookies } from "../http/responses.ts";
import { returnToUrl } from "../lib/return-to.ts";
import { notFound } from "./sign-in.ts";
import { startSession } from "./start-session.ts";

/**
 * `GET <basePath>/callback?code&state`: finish a hosted-UI sign-in. Unless the state
 * names a live transaction cookie not yet used, nothing is set and the token endpoint is
 * not called. The code is exchanged with the PKCE verifier, the tokens are verified (the
 * ID token's `nonce` too), and every session cookie the browser had is replaced, so a
 * session planted before sign-in never survives it. Without a hosted UI: 404.
 */
export async function callback(core: Core, request: Request): Promise<Response> {
  const { oauth, config } = core;
  if (!oauth) return notFound(config);
  const url = new URL(request.url);
  const fail = (status: number, title: string, detail: string, changes: CookieChanges = emptyChanges()) =>
    withCookies(errorPage(status, title, detail, config.signInPage), changes);

  const state = url.searchParams.get("state");
  if (!state) return fail(400, "Sign-in failed", "The sign-in response carried no state.");
  const jar = parseCookieHeader(request.headers.get("cookie"));
  // Taking the transaction deletes its cookie whatever happens next: it is single-use.
  const { transaction: tx, changes } = await core.transactions.take(jar, state);
  if (!tx) {
    // Also what a browser sees after starting at another address than APP_URL: the cookie stayed there.
    const origin = config.appUrl.origin;
    return fail(
      400,
      "Sign-in failed",
      `This sign-in expired, was already used, or was started in another browser or at another address than ${origin}. Open ${origin} and sign in again.`,
      changes,
    );
  }

  const error = url.searchParams.get("error");
  if (error !== null) {
    // Only a plain error code is echoed; `error_description` is the other party's free text.
    const code = /^[\w.-]{1,64}$/.test(error) ? error : "unknown_error";
    return error === "access_denied"
      ? fail(403, "Sign-in cancelled", "The sign-in was cancelled or refused. You can try again.", changes)
      : fail(400, "Sign-in failed", `The identity provider answered: ${code}.`, changes);
  }

  try {
    const issued = await oauth.exchangeCode(url, tx);
    const session = await startSession(core, jar, issued, "hosted-ui");
    changes.set.push(...session.set);
    changes.remove.push(...session.remove);
    return withCookies(redirect(returnToUrl(tx.returnTo, config.appUrl)), changes);
  } catch (caught) {
    if (isOutage(caught)) {
      // Cognito's token endpoint, the keys to verify what it sent, or the store to keep it.
      return withCookies(unavailable(caught, { title: "Sign-in unavailable", action: "Sign-in cannot be completed", signInPath: config.signInPage }), changes);
    }
    if (isCode(caught, "ERR_SESSION_TOO_LARGE")) {
      return fail(400, "Sign-in failed", "This account's sign-in is too large for this site's cookies. Please tell the site's operator.", changes);
    }
    // A used or expired code, a failed PKCE or nonce check, a token that does not verify.
    if (isCode(caught, "ERR_COGNITO_REJECTED") || isCode(caught, "ERR_TOKEN_INVALID")) {
      return fail(400, "Sign-in failed", "The sign-in could not be completed. Please try again.", changes);
    }
    throw caught;
  }
}
