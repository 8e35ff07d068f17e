import { callCognito } from "../cognito/api.ts";
import type { Core } from "../core.ts";
import { parseCookieHeader } from "../cookies/jar.ts";
import { CognitoSessionError } from "../errors.ts";
import { redirect, withCookies } from "../http/responses.ts";

/** True when the browser says the request came from another site. */
export function isCrossSite(request: Request, appUrl: URL): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") return true;
  const origin = request.headers.get("origin");
  return origin !== null && origin !== appUrl.origin;
}

/**
 * `POST <basePath>/sign-out`: revoke the refresh token and clear the session cookies.
 * The cookies are cleared even when Cognito cannot be reached; the failure is reported in
 * the `x-sign-out-incomplete` response header rather than thrown at the user.
 */
export async function signOut(core: Core, request: Request): Promise<Response> {
  if (request.method !== "POST") {
    return new Response("Sign-out needs a POST.", { status: 405, headers: { allow: "POST" } });
  }
  if (isCrossSite(request, core.config.appUrl)) {
    return new Response("Cross-site sign-out refused.", { status: 403 });
  }
  const jar = parseCookieHeader(request.headers.get("cookie"));
  const tokens = await core.cookies.read(jar);
  let incomplete: string | undefined;
  if (tokens?.refreshToken !== undefined) {
    try {
      await callCognito(core.api, "RevokeToken", {
        ClientId: core.config.clientId,
        Token: tokens.refreshToken,
        ...(core.config.clientSecret ? { ClientSecret: core.config.clientSecret } : {}),
      });
    } catch (error) {
      if (!(error instanceof CognitoSessionError)) throw error;
      incomplete = "revoke";
    }
  }
  const response = withCookies(redirect(new URL("/", core.config.appUrl), 303), core.cookies.clear(jar));
  response.headers.set("clear-site-data", '"cookies"');
  if (incomplete) response.headers.set("x-sign-out-incomplete", incomplete);
  return response;
}
