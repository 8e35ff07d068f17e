import type { Core } from "../core.ts";
import { parseCookieHeader } from "../cookies/jar.ts";
import { ConfigError } from "../errors.ts";
import { redirect, withCookies } from "../http/responses.ts";
import { safeReturnTo } from "./return-to.ts";

/**
 * `GET <basePath>/sign-in?returnTo=/path`: start authorization code + PKCE (S256) with
 * `state` and `nonce` at the hosted UI. The transaction goes into its own sealed,
 * short-lived cookie, so sign-ins started in parallel tabs each finish on their own.
 */
export async function signIn(core: Core, request: Request): Promise<Response> {
  if (!core.oauth) throw new ConfigError("COGNITO_DOMAIN", "is required for hosted-UI sign-in");
  const url = new URL(request.url);
  const returnTo = safeReturnTo(url.searchParams.get("returnTo"), core.config.appUrl);
  const jar = parseCookieHeader(request.headers.get("cookie"));
  const { transaction, changes } = await core.transactions.begin(jar, returnTo);
  return withCookies(redirect(await core.oauth.authorizationUrl(transaction)), changes);
}
