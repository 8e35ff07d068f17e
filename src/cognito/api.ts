import type { CognitoRejectedError, CognitoUnavailableError } from "../lib/errors.ts";
import type { IssuedTokens } from "./oauth.ts";
import { callJsonApi, type JsonApiOptions, USER_POOLS } from "./json-api.ts";

/** Where and how the user-pool JSON API is called. */
export type CognitoApiOptions = JsonApiOptions;

/**
 * Call one action of the Cognito user-pool JSON API (InitiateAuth, RevokeToken,
 * GlobalSignOut, …). Throws {@link CognitoRejectedError} when Cognito refuses (4xx with an
 * error type, throttling included) and {@link CognitoUnavailableError} on timeouts,
 * network errors and 5xx.
 */
export function callCognito<T>(options: CognitoApiOptions, action: string, body: object): Promise<T> {
  return callJsonApi<T>(options, USER_POOLS, action, body);
}

/** `SECRET_HASH` for clients with a secret: Base64(HMAC-SHA256(secret, username + clientId)). */
export async function secretHash(clientSecret: string, username: string, clientId: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(clientSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(username + clientId)));
  let binary = "";
  for (const byte of mac) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The tokens of a JSON API answer (InitiateAuth, RespondToAuthChallenge, GetTokensFromRefreshToken, …). */
export interface AuthenticationResult {
  AccessToken?: string;
  IdToken?: string;
  RefreshToken?: string;
}

/** The tokens in `result`, or undefined when it holds no access token (a challenge, or nothing). */
export function issuedTokens(result: AuthenticationResult | undefined): IssuedTokens | undefined {
  if (typeof result?.AccessToken !== "string") return undefined;
  return {
    accessToken: result.AccessToken,
    idToken: typeof result.IdToken === "string" ? result.IdToken : undefined,
    refreshToken: typeof result.RefreshToken === "string" ? result.RefreshToken : undefined,
  };
}
