import { type AuthenticationResult, type CognitoApiOptions, callCognito, issuedTokens, secretHash } from "./api.ts";
import type { IssuedTokens, OAuthClient } from "./oauth.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import { CognitoUnavailableError } from "../lib/errors.ts";
import { decodeJwt } from "../verify/jwt.ts";
import { defaultRuntime } from "../verify/runtime.ts";

/** Where refresh tokens are redeemed: Cognito's token endpoint or its JSON API. */
export interface RefreshSource {
  /**
   * New tokens for `refreshToken`. `accessToken` is the session's current (verified,
   * possibly expired) access token. Throws CognitoRejectedError / CognitoUnavailableError.
   */
  redeem(refreshToken: string, accessToken: string): Promise<IssuedTokens>;
}

/**
 * The token endpoint (`/oauth2/token`, refresh_token grant) when the app has a hosted-UI
 * domain; otherwise the Cognito API: `GetTokensFromRefreshToken` for clients that rotate
 * refresh tokens, `InitiateAuth` with `REFRESH_TOKEN_AUTH` for the rest.
 */
export function refreshSource(config: ResolvedConfig, oauth: OAuthClient | undefined, api: CognitoApiOptions): RefreshSource {
  if (oauth) return { redeem: (refreshToken) => oauth.refresh(refreshToken) };
  if (config.refresh.rotation) return { redeem: (refreshToken) => getTokensFromRefreshToken(config, api, refreshToken) };
  return { redeem: (refreshToken, accessToken) => initiateRefreshAuth(config, api, refreshToken, accessToken) };
}

async function getTokensFromRefreshToken(config: ResolvedConfig, api: CognitoApiOptions, refreshToken: string) {
  const body: Record<string, string> = { ClientId: config.clientId, RefreshToken: refreshToken };
  if (config.clientSecret) body.ClientSecret = config.clientSecret.reveal();
  const out = await callCognito<{ AuthenticationResult?: AuthenticationResult }>(api, "GetTokensFromRefreshToken", body);
  return issued(out.AuthenticationResult, "GetTokensFromRefreshToken");
}

async function initiateRefreshAuth(config: ResolvedConfig, api: CognitoApiOptions, refreshToken: string, accessToken: string) {
  const parameters: Record<string, string> = { REFRESH_TOKEN: refreshToken };
  if (config.clientSecret) {
    // Cognito hashes the pool's own username here (the access token's `username`), not
    // the email or alias the person signed in with.
    const claims = decodeJwt(accessToken, defaultRuntime()).payload;
    const username = typeof claims.username === "string" ? claims.username : String(claims.sub);
    parameters.SECRET_HASH = await secretHash(config.clientSecret.reveal(), username, config.clientId);
  }
  const out = await callCognito<{ AuthenticationResult?: AuthenticationResult }>(api, "InitiateAuth", {
    AuthFlow: "REFRESH_TOKEN_AUTH",
    ClientId: config.clientId,
    AuthParameters: parameters,
  });
  return issued(out.AuthenticationResult, "InitiateAuth");
}

function issued(result: AuthenticationResult | undefined, action: string): IssuedTokens {
  const tokens = issuedTokens(result);
  // A challenge or an empty answer is no refresh; the cookies stay for a later try.
  if (!tokens) throw new CognitoUnavailableError(`Cognito ${action} returned no tokens`);
  return tokens;
}
