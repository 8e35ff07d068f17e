import type { ResolvedConfig } from "../config/resolve.ts";
import { isLoopbackHost } from "../lib/url.ts";
import type { Core } from "../session/core.ts";
import { parseCookieHeader } from "../persistence/jar.ts";
import { errorPage, plainText, redirect, signInPageUrl, withCookies } from "../http/responses.ts";
import { HOSTED_UI_PARAMETERS, type HostedUiParameters } from "../cognito/oauth.ts";
import { safeReturnTo } from "../lib/return-to.ts";

/**
 * `GET <basePath>/sign-in?returnTo=/path`: start authorization code + PKCE (S256) with
 * `state` and `nonce` at the hosted UI. The transaction goes into its own sealed,
 * short-lived cookie, so sign-ins started in parallel tabs each finish on their own.
 * Without a hosted UI, forwards to the app's own sign-in page (`signInPage`), or answers
 * 404 when none is set. `identity_provider`, `idp_identifier`, `lang` and `login_hint` in
 * the query go on to the hosted UI when `signInParameters` allows their values; any other
 * value is refused with 400 (see {@link hostedUiParameters}).
 */
export async function signIn(core: Core, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const { appUrl } = core.config;
  const returnTo = safeReturnTo(url.searchParams.get("returnTo"), appUrl);
  if (!core.oauth) {
    const { basePath, signInPage } = core.config;
    return signInPage === `${basePath}/sign-in` ? notFound(core.config) : redirect(signInPageUrl(core.config, returnTo));
  }
  // The transaction cookie stays with the host the browser used, and the hosted UI sends the
  // browser back to APP_URL's: started at another name of the same machine (127.0.0.1 for
  // localhost), the sign-in moves to APP_URL first, or its callback would find no transaction.
  if (atAnotherLoopbackName(request.headers.get("host"), appUrl)) return moveTo(`${appUrl.origin}${url.pathname}${url.search}`, appUrl.origin);
  const extra = hostedUiParameters(url.searchParams, core.config);
  if (typeof extra === "string") return plainText(400, extra);
  const jar = parseCookieHeader(request.headers.get("cookie"));
  const { transaction, changes } = await core.transactions.begin(jar, returnTo);
  return withCookies(redirect(await core.oauth.authorizationUrl(transaction, extra)), changes);
}

/**
 * The hosted-UI parameters of a sign-in link's query, each checked against
 * `signInParameters`: `identity_provider`, `idp_identifier` and `lang` must be listed
 * there; `login_hint` must be allowed, and a plausible username. A parameter given twice,
 * both `identity_provider` and `idp_identifier`, or any value not allowed gives the reason
 * for a 400 instead (a string), never a value passed on. Empty values count as absent.
 */
export function hostedUiParameters(query: URLSearchParams, config: Pick<ResolvedConfig, "signInParameters">): HostedUiParameters | string {
  const allowed = config.signInParameters;
  const lists = { identity_provider: allowed.identityProviders, idp_identifier: allowed.idpIdentifiers, lang: allowed.languages } as const;
  const result: HostedUiParameters = {};
  for (const name of HOSTED_UI_PARAMETERS) {
    const values = query.getAll(name).filter((value) => value !== "");
    if (values.length === 0) continue;
    if (values.length > 1) return `${name} may be given once.`;
    const value = values[0]!;
    const ok = name === "login_hint" ? allowed.loginHint && LOGIN_HINT.test(value) : lists[name].includes(value);
    if (!ok) return `This app does not accept this ${name}.`;
    result[name] = value;
  }
  if (result.identity_provider !== undefined && result.idp_identifier !== undefined) return "identity_provider and idp_identifier may not be given together.";
  return result;
}

/** A username or email as a hint: 1 to 128 characters, no control characters. */
const LOGIN_HINT = /^[^\u0000-\u001f\u007f]{1,128}$/u;

/** The answer of a hosted-UI route in an app without a hosted UI; links to its own sign-in page, if it has one. */
export function notFound(config: ResolvedConfig): Response {
  const page = config.signInPage === `${config.basePath}/sign-in` ? undefined : config.signInPage;
  return errorPage(404, "Not found", "This app does not sign in through a hosted page.", page);
}

/**
 * A page that takes the browser on to `target` (a `Refresh` header) and says where it is
 * going. Not a Location redirect: Next rewrites a middleware's redirect to a relative one when
 * its host is the one Next listens on, and the browser would stay where it is, in a loop.
 */
function moveTo(target: string, origin: string): Response {
  const response = errorPage(200, `Sign in at ${origin}`, `This app signs in at ${origin}: continue there.`, target);
  response.headers.set("refresh", `0; url=${target}`);
  return response;
}

/**
 * Whether the `Host` a request came with names APP_URL's port under another loopback name,
 * APP_URL being on loopback itself: the browser is then on the app's own machine, where
 * APP_URL reaches this same server, so the redirect lands here again with APP_URL's host.
 * Any other Host (another port, another machine) may be a proxy's, and is left alone.
 */
function atAnotherLoopbackName(host: string | null, appUrl: URL): boolean {
  if (!host || !isLoopbackHost(appUrl.hostname)) return false;
  let seen: URL;
  try {
    seen = new URL(`${appUrl.protocol}//${host}`);
  } catch {
    return false;
  }
  return isLoopbackHost(seen.hostname) && seen.port === appUrl.port && seen.hostname !== appUrl.hostname;
}
