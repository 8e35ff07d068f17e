import type { Core } from "../core.ts";
import { parseCookieHeader, readChunked } from "../cookies/jar.ts";
import { emptyChanges } from "../cookies/session-cookies.ts";
import { CognitoRejectedError, CognitoUnavailableError, ConfigError, InvalidTokenError, JwksUnavailableError } from "../errors.ts";
import { errorPage, redirect, withCookies } from "../http/responses.ts";
import { type Transaction, transactionCookie } from "./sign-in.ts";

/**
 * `GET <basePath>/callback?code&state`: finish a hosted-UI sign-in. Nothing is set and
 * the token endpoint is not called unless the state matches a live transaction cookie.
 * On success every session cookie the browser had is replaced (no session fixation).
 */
export async function callback(core: Core, request: Request): Promise<Response> {
  const { oauth, cookies, config } = core;
  if (!oauth) throw new ConfigError("COGNITO_DOMAIN", "is required for hosted-UI sign-in");
  const url = new URL(request.url);
  const signInPath = `${config.basePath}/sign-in`;
  const fail = (status: number, title: string, detail: string) => errorPage(status, title, detail, signInPath);

  const state = url.searchParams.get("state");
  if (!state || state.length > 512) return fail(400, "Sign-in failed", "The sign-in response carried no state.");
  const jar = parseCookieHeader(request.headers.get("cookie"));
  const txName = transactionCookie(core, state);
  const sealed = readChunked(jar, txName);
  const tx = typeof sealed === "string" ? await cookies.sealer.unseal<Transaction>(sealed) : undefined;
  if (!tx || tx.state !== state) {
    return fail(400, "Sign-in failed", "This sign-in expired or was started in another browser. Please try again.");
  }

  // The transaction is single-use: whatever happens next, its cookie goes.
  const changes = emptyChanges();
  changes.remove.push({ name: txName, attributes: cookies.attributes(0) });

  const error = url.searchParams.get("error");
  if (error !== null) {
    const denied = error === "access_denied";
    return withCookies(
      fail(denied ? 403 : 400, denied ? "Sign-in cancelled" : "Sign-in failed", `The identity provider answered: ${error.slice(0, 64)}.`),
      changes,
    );
  }

  try {
    const issued = await oauth.exchangeCode(url, tx);
    await core.verifier.verify(issued.accessToken, "access");
    if (issued.idToken !== undefined) await core.verifier.verify(issued.idToken, "id");
    const session = await cookies.write(jar, {
      accessToken: issued.accessToken,
      idToken: issued.idToken,
      refreshToken: issued.refreshToken,
      endsAt: Math.floor(Date.now() / 1000) + config.sessionMaxAge,
    });
    changes.set.push(...session.set);
    changes.remove.push(...session.remove);
    return withCookies(redirect(new URL(tx.returnTo, config.appUrl)), changes);
  } catch (caught) {
    if (caught instanceof CognitoUnavailableError || caught instanceof JwksUnavailableError) {
      return withCookies(fail(503, "Sign-in unavailable", "The identity provider could not be reached. Please try again."), changes);
    }
    if (caught instanceof CognitoRejectedError || caught instanceof InvalidTokenError) {
      return withCookies(fail(400, "Sign-in failed", "The sign-in could not be completed. Please try again."), changes);
    }
    throw caught;
  }
}
