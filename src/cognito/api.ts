import { CognitoRejectedError, CognitoUnavailableError, isCode } from "../lib/errors.ts";
import type { IssuedTokens } from "./oauth.ts";
import { activeTracer, CLIENT, traced } from "../lib/tracing.ts";

export interface CognitoApiOptions {
  endpoint: URL;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * Call one action of the Cognito user-pool JSON API with plain `fetch`, so it runs in
 * Edge middleware as well as on Node (no AWS SDK). Unauthenticated actions only
 * (InitiateAuth, RevokeToken, GlobalSignOut, …): they need no AWS credentials.
 *
 * Throws {@link CognitoRejectedError} when Cognito refuses (4xx with an error type) and
 * {@link CognitoUnavailableError} on timeouts, network errors and 5xx.
 */
export function callCognito<T>(options: CognitoApiOptions, action: string, body: object): Promise<T> {
  const tracer = activeTracer();
  if (tracer === undefined) return call<T>(options, action, body);
  // The action and the host only: the body holds tokens, passwords and the client secret.
  const attributes = { "rpc.system": "aws-api", "rpc.service": "CognitoIdentityProvider", "rpc.method": action, "server.address": options.endpoint.hostname };
  return traced(tracer, `CognitoIdentityProvider/${action}`, attributes, CLIENT, async (span) => {
    try {
      return await call<T>(options, action, body);
    } catch (error) {
      if (isCode(error, "ERR_COGNITO_REJECTED")) span.setAttribute("aws.cognito.error", (error as CognitoRejectedError).type);
      throw error;
    }
  });
}

async function call<T>(options: CognitoApiOptions, action: string, body: object): Promise<T> {
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(options.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
      redirect: "error",
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (cause) {
    throw new CognitoUnavailableError(`Cognito ${action} could not be reached`, { cause });
  }
  const text = await response.text().catch(() => "");
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // A proxy's HTML error page: fall through to the status check.
  }
  if (response.ok) return parsed as T;
  const type =
    String(parsed.__type ?? parsed.code ?? "")
      .split("#")
      .pop() ?? "";
  if (response.status >= 500 || type === "" || type === "InternalErrorException") {
    throw new CognitoUnavailableError(`Cognito ${action} answered ${response.status}`);
  }
  // Cognito's message names the problem and never echoes a token or password back;
  // it is kept apart from ours all the same, and bounded.
  const message = parsed.message ?? parsed.Message;
  const detail = typeof message === "string" ? message.slice(0, 200) : undefined;
  throw new CognitoRejectedError(type, `Cognito ${action} refused: ${type}`, detail);
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
