import { cognito } from "../../scripts/cognito-local.mjs";
import type { CognitoSession } from "../../src/index.ts";

/** Tokens for `email` from the embedded Cognito's password sign-in (no hosted UI needed). */
export async function passwordTokens(endpoint: string, clientId: string, email: string, password = "Passw0rd!") {
  const { AuthenticationResult: tokens } = await cognito(endpoint, "InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: clientId,
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  return tokens as { AccessToken: string; IdToken: string; RefreshToken: string };
}

/** The cookies `app` itself writes for a fresh password sign-in, by name. */
export async function signedInCookies(
  app: CognitoSession<any>,
  endpoint: string,
  email: string,
): Promise<Map<string, string>> {
  const tokens = await passwordTokens(endpoint, app.config.clientId, email);
  const changes = await app.core.cookies.write(new Map(), {
    accessToken: tokens.AccessToken,
    idToken: tokens.IdToken,
    refreshToken: tokens.RefreshToken,
    endsAt: Math.floor(Date.now() / 1000) + app.config.sessionMaxAge,
  });
  return new Map(changes.set.map((c) => [c.name, c.value]));
}

/** A `Cookie` header from cookies by name. */
export const cookieHeader = (cookies: Map<string, string>) => [...cookies].map(([n, v]) => `${n}=${v}`).join("; ");
