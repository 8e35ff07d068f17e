import { createRequire } from "node:module";
import { decodeJwt, importJWK, SignJWT } from "jose";
import { cognito } from "../../scripts/cognito-local.mjs";
import type { CognitoSession } from "../../src/index.ts";
import { coreOf } from "../../src/internal.ts";

// The embedded Cognito signs every token with the development key its package ships.
const devKey = createRequire(import.meta.url)("cognito-local/lib/keys/cognitoLocal.private.json") as { jwk: JsonWebKey & { kid: string } };

/** Tokens for `email` from the embedded Cognito's password sign-in (no hosted UI needed). */
export async function passwordTokens(endpoint: string, clientId: string, email: string, password = "Passw0rd!") {
  const { AuthenticationResult: tokens } = await cognito(endpoint, "InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: clientId,
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  return tokens as { AccessToken: string; IdToken: string; RefreshToken: string };
}

/**
 * `accessToken` issued again an hour earlier, so that it expired 10 s ago: the same claims,
 * signed as the embedded Cognito signs (its development key), verifying against its JWKS. A
 * session holding it has lapsed at once, without waiting out a token lifetime, and the tokens
 * its refresh brings live their full lifetime: what happens next does not race the clock.
 */
export async function lapsed(accessToken: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...decodeJwt(accessToken), iat: now - 3610, exp: now - 10 })
    .setProtectedHeader({ alg: "RS256", kid: devKey.jwk.kid })
    .sign(await importJWK(devKey.jwk, "RS256"));
}

/** The cookies `app` itself writes for a fresh password sign-in, by name; `lapsed` lets its access token expire first (see {@link lapsed}). */
export async function signedInCookies(
  app: CognitoSession<any>,
  endpoint: string,
  email: string,
  options: { lapsed?: boolean } = {},
): Promise<Map<string, string>> {
  const tokens = await passwordTokens(endpoint, app.config.clientId, email);
  const changes = await coreOf(app).storage.write(new Map(), {
    accessToken: options.lapsed ? await lapsed(tokens.AccessToken) : tokens.AccessToken,
    idToken: tokens.IdToken,
    refreshToken: tokens.RefreshToken,
    endsAt: Math.floor(Date.now() / 1000) + app.config.sessionMaxAge,
  });
  return new Map(changes.set.map((c) => [c.name, c.value]));
}

/** A `Cookie` header from cookies by name. */
export const cookieHeader = (cookies: Map<string, string>) => [...cookies].map(([n, v]) => `${n}=${v}`).join("; ");
