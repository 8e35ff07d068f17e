import { callCognito } from "../cognito/api.ts";
import type { SignOutLevel } from "../config/options.ts";
import type { Core } from "../session/core.ts";
import { type CookieJar, parseCookieHeader } from "../persistence/jar.ts";
import type { CookieChanges } from "../persistence/changes.ts";
import type { StoredTokens } from "../persistence/tokens.ts";
import { isCode, type TokenExpiredError } from "../lib/errors.ts";
import { plainText, redirect, withCookies } from "../http/responses.ts";
import type { AccessTokenClaims } from "../verify/verifier.ts";
import { returnToUrl } from "../lib/return-to.ts";
import type { SignOutStep } from "../config/events.ts";

/** What a sign-out did: the cookie changes to send, and the steps that failed. */
interface SignOutOutcome {
  changes: CookieChanges;
  /** Empty when everything the level asks for was done. */
  failed: SignOutStep[];
  /** Whose session it was, when its access token verified. */
  sub: string | undefined;
}

/** Forms are small; a bigger body is not read for a `level` field. */
const MAX_FORM_BYTES = 4096;

/** True when the browser says the request came from another site (or a sibling subdomain). */
function isCrossSite(request: Request, appUrl: URL): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") return true;
  const origin = request.headers.get("origin");
  return origin !== null && origin !== appUrl.origin;
}

/**
 * `POST <basePath>/sign-out`: end the session at the configured level, or at the level
 * the form's `level` field asks for when the config allows it. Refused with 403 (the
 * session untouched) when `Origin` or `Sec-Fetch-Site` says the request is cross-site.
 * The cookies are always cleared, with `Clear-Site-Data: "cookies"`; a Cognito step
 * that failed is named in the `x-sign-out-incomplete` header rather than thrown at the
 * user. Ends with a 303 to `signOut.redirectTo`, or to the hosted UI's `/logout`.
 */
export async function signOut(core: Core, request: Request): Promise<Response> {
  if (request.method !== "POST") return plainText(405, "Sign-out needs a POST.", { allow: "POST" });
  if (isCrossSite(request, core.config.appUrl)) return plainText(403, "Cross-site sign-out refused.");
  const level = await requestedLevel(request, core.config.signOut);
  if (level === undefined) return plainText(400, "This sign-out level is not offered.");

  const { changes, failed, sub } = await endSession(core, parseCookieHeader(request.headers.get("cookie")), level);
  const { hostedUi, redirectTo } = core.config.signOut;
  const landing = returnToUrl(redirectTo, core.config.appUrl);
  const response = withCookies(redirect(hostedUi ? hostedUiLogoutUrl(core, landing) : landing, 303), changes);
  response.headers.set("clear-site-data", '"cookies"');
  if (failed.length > 0) response.headers.set("x-sign-out-incomplete", failed.join(", "));
  // Reported once the response is made: nothing a handler does to the payload can change it.
  core.events.emit("signOut", { level, incomplete: failed, sub });
  return response;
}

/**
 * End the session `jar` carries: the Cognito steps of `level`, never thrown, and the
 * cookie changes that delete every session, transaction and challenge cookie.
 */
async function endSession(core: Core, jar: CookieJar, level: SignOutLevel): Promise<SignOutOutcome> {
  const failed = new Set<SignOutStep>();
  const tokens = await core.storage.read(jar).catch(() => {
    failed.add("store");
    return null;
  });
  // A local sign-out calls nothing, not even for the keys: it names no user.
  const user = tokens && level !== "local" ? await verifiedAccess(core, tokens.accessToken) : undefined;
  if (tokens && level !== "local") {
    // Refused from before Cognito is called until an access-token lifetime after it answered:
    // a token the refresh token (stolen, or this one) yields while the calls are in flight
    // is refused too, whichever of them Cognito handles first.
    const deny = async () => {
      if (!user) return;
      await Promise.all([
        // The access tokens of this session: every one its refresh token issued, cookie or Bearer.
        core.denylist.revoke(user.claims, user.lifetime).catch(() => failed.add("store")),
        // Every instance refuses the user's access tokens issued until now, though they are still within their hour.
        level === "global" && core.denylist.signOut(user.claims.sub, user.lifetime).catch(() => failed.add("store")),
      ]);
    };
    await deny();
    await endAtCognito(core, tokens, level, failed);
    await deny();
  }
  if (!failed.has("store")) await core.storage.end(jar).catch(() => failed.add("store"));
  const changes = core.storage.clear(jar);
  changes.remove.push(...core.transactions.clear(jar).remove);
  return { changes, failed: [...failed], sub: user?.claims.sub };
}

/** The Cognito steps of `level` ("revoke" or "global"); each one that fails is added to `failed`. */
async function endAtCognito(core: Core, tokens: StoredTokens, level: SignOutLevel, failed: Set<SignOutStep>): Promise<void> {
  let revoked = false;
  if (level === "global") {
    // GlobalSignOut also ends every refresh token of the user, this one included.
    revoked = await signOutEverywhere(core, tokens).then(
      () => true,
      () => false,
    );
    if (!revoked) failed.add("global");
  }
  if (!revoked && tokens.refreshToken !== undefined) {
    const { clientId, clientSecret } = core.config;
    await callCognito(core.api, "RevokeToken", {
      ClientId: clientId,
      Token: tokens.refreshToken,
      ...(clientSecret ? { ClientSecret: clientSecret.reveal() } : {}),
    }).catch(() => failed.add("revoke"));
  }
}

/** `GlobalSignOut` needs a live access token: an expired one is refreshed first. */
async function signOutEverywhere(core: Core, tokens: StoredTokens): Promise<void> {
  let accessToken = tokens.accessToken;
  try {
    await core.verifier.verify(accessToken, "access");
  } catch (error) {
    if (!isCode(error, "ERR_TOKEN_EXPIRED") || tokens.refreshToken === undefined) throw error;
    accessToken = (await core.refresher.refresh(tokens)).accessToken;
  }
  await callCognito(core.api, "GlobalSignOut", { AccessToken: accessToken });
}

/**
 * The claims and lifetime (plus clock tolerance) of a stored access token, if it verifies.
 * An expired one counts: the verifier checks expiry after the signature and every other
 * claim. Anything else (a forged `.at` cookie) names no one, so it can never put another
 * user or session on the denylist.
 */
async function verifiedAccess(core: Core, accessToken: string): Promise<{ claims: AccessTokenClaims; lifetime: number } | undefined> {
  const claims = await core.verifier
    .verify(accessToken, "access")
    .catch((error) => (isCode(error, "ERR_TOKEN_EXPIRED") ? ((error as TokenExpiredError).claims as AccessTokenClaims | undefined) : undefined));
  return claims && { claims, lifetime: claims.exp - claims.iat + core.config.clockTolerance };
}

/** The hosted UI's `/logout`, which ends its own session and sends the browser to `landing`. */
function hostedUiLogoutUrl(core: Core, landing: URL): URL {
  // Config validation guarantees a domain, and so the OAuth client, whenever hostedUi is on.
  const url = new URL(core.oauth!.server.end_session_endpoint!);
  url.searchParams.set("client_id", core.config.clientId);
  url.searchParams.set("logout_uri", landing.href);
  return url;
}

/** The level the request asks for; the configured one when it asks for none; undefined when refused. */
async function requestedLevel(request: Request, config: Core["config"]["signOut"]): Promise<SignOutLevel | undefined> {
  const type = request.headers.get("content-type") ?? "";
  // Browsers send a Content-Length with every form; a body of unknown size is not read.
  const length = Number(request.headers.get("content-length") ?? Number.NaN);
  let asked: FormDataEntryValue | null = null;
  if (/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type) && length <= MAX_FORM_BYTES) {
    asked = await request.formData().then(
      (form) => form.get("level"),
      () => null,
    );
  }
  if (asked === null || asked === "") return config.level;
  return config.levels.find((level) => level === asked);
}
