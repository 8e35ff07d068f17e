import type { ResolvedConfig } from "../config/resolve.ts";
import type { Core } from "../core.ts";
import { parseCookieHeader } from "../cookies/jar.ts";
import { errorPage, redirect, withCookies } from "../http/responses.ts";
import { safeReturnTo } from "./return-to.ts";

/**
 * `GET <basePath>/sign-in?returnTo=/path`: start authorization code + PKCE (S256) with
 * `state` and `nonce` at the hosted UI. The transaction goes into its own sealed,
 * short-lived cookie, so sign-ins started in parallel tabs each finish on their own.
 * Without a hosted UI, forwards to the app's own sign-in page (`signInPage`), or answers
 * 404 when none is set.
 */
export async function signIn(core: Core, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const returnTo = safeReturnTo(url.searchParams.get("returnTo"), core.config.appUrl);
  if (!core.oauth) {
    const { basePath, signInPage } = core.config;
    return signInPage === `${basePath}/sign-in` ? notFound(core.config) : redirect(signInPageUrl(core.config, returnTo));
  }
  const jar = parseCookieHeader(request.headers.get("cookie"));
  const { transaction, changes } = await core.transactions.begin(jar, returnTo);
  return withCookies(redirect(await core.oauth.authorizationUrl(transaction)), changes);
}

/**
 * Where a visitor without a session signs in (`signInPage`), coming back to `returnTo`
 * afterwards: the sign-in routes check it with `safeReturnTo`.
 */
export function signInPageUrl(config: ResolvedConfig, returnTo: string): URL {
  const url = new URL(`${config.appUrl.origin}${config.signInPage}`);
  url.searchParams.set("returnTo", returnTo);
  return url;
}

/** The answer of a hosted-UI route in an app without a hosted UI; links to its own sign-in page, if it has one. */
export function notFound(config: ResolvedConfig): Response {
  const page = config.signInPage === `${config.basePath}/sign-in` ? undefined : config.signInPage;
  return errorPage(404, "Not found", "This app does not sign in through a hosted page.", page);
}
