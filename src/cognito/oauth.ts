import * as oauth from "oauth4webapi";
import type { ResolvedConfig } from "../config/resolve.ts";
import { CognitoRejectedError, CognitoUnavailableError, ConfigError, isCode } from "../lib/errors.ts";
import { decodeJwt } from "../verify/jwt.ts";
import { defaultRuntime } from "../verify/runtime.ts";
import { activeTracer, CLIENT, traced } from "../lib/tracing.ts";

/** The hosted UI's own query parameters `<basePath>/sign-in` may pass on. */
export const HOSTED_UI_PARAMETERS = ["identity_provider", "idp_identifier", "lang", "login_hint"] as const;
export type HostedUiParameters = Partial<Record<(typeof HOSTED_UI_PARAMETERS)[number], string>>;

/** Tokens as the token endpoint returns them. */
export interface IssuedTokens {
  accessToken: string;
  idToken: string | undefined;
  /** Absent on refresh unless the client rotates refresh tokens. */
  refreshToken: string | undefined;
}

/**
 * The OAuth 2 steps against Cognito's hosted UI (managed login) endpoints, done with
 * oauth4webapi: the authorization URL, the code exchange and the refresh grant.
 * Signatures are checked afterwards by our own verifier; oauth4webapi checks the
 * protocol (state, PKCE, issuer, audience, nonce).
 */
export class OAuthClient {
  readonly server: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly #auth: oauth.ClientAuth;
  readonly #insecure: boolean;

  constructor(readonly config: ResolvedConfig) {
    const domain = config.domain;
    if (!domain) throw new ConfigError("COGNITO_DOMAIN", "is required for hosted-UI sign-in");
    const base = domain.href.replace(/\/$/, "");
    this.server = {
      issuer: config.issuer,
      authorization_endpoint: `${base}/oauth2/authorize`,
      token_endpoint: `${base}/oauth2/token`,
      revocation_endpoint: `${base}/oauth2/revoke`,
      end_session_endpoint: `${base}/logout`,
    };
    this.client = { client_id: config.clientId };
    this.#auth = config.clientSecret ? oauth.ClientSecretBasic(config.clientSecret.reveal()) : oauth.None();
    // Config validation only lets plain http through for loopback hosts.
    this.#insecure = domain.protocol === "http:";
  }

  get redirectUri(): string {
    return new URL(`${this.config.basePath}/callback`, this.config.appUrl).href;
  }

  /**
   * The hosted-UI URL that starts an authorization-code + PKCE sign-in. `extra` carries the
   * checked `identity_provider`, `idp_identifier`, `lang` and `login_hint`; set first, so no
   * value of it can stand in for one of the protocol's own parameters.
   */
  async authorizationUrl(params: { state: string; nonce: string; codeVerifier: string }, extra: HostedUiParameters = {}): Promise<URL> {
    const url = new URL(this.server.authorization_endpoint!);
    for (const name of HOSTED_UI_PARAMETERS) {
      const value = extra[name];
      if (value !== undefined) url.searchParams.set(name, value);
    }
    url.searchParams.set("client_id", this.config.clientId);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("redirect_uri", this.redirectUri);
    url.searchParams.set("scope", this.config.scopes.join(" "));
    url.searchParams.set("state", params.state);
    url.searchParams.set("nonce", params.nonce);
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(params.codeVerifier));
    url.searchParams.set("code_challenge_method", "S256");
    return url;
  }

  /** Exchange the callback's code. `callback` is the full callback URL as received. */
  async exchangeCode(callback: URL, expected: { state: string; nonce: string; codeVerifier: string }): Promise<IssuedTokens> {
    return this.#call("authorization_code", async () => {
      const params = oauth.validateAuthResponse(this.server, this.client, callback, expected.state);
      const response = await oauth.authorizationCodeGrantRequest(
        this.server,
        this.client,
        this.#auth,
        params,
        this.redirectUri,
        expected.codeVerifier,
        this.#options(),
      );
      const expectedNonce = this.config.dev.allowMissingNonce && !(await idTokenHasNonce(response.clone())) ? oauth.expectNoNonce : expected.nonce;
      const result = await oauth.processAuthorizationCodeResponse(this.server, this.client, response, {
        expectedNonce,
        requireIdToken: true,
      });
      return toIssued(result);
    });
  }

  /** Redeem a refresh token at `/oauth2/token`. */
  async refresh(refreshToken: string): Promise<IssuedTokens> {
    return this.#call("refresh_token", async () => {
      const response = await oauth.refreshTokenGrantRequest(this.server, this.client, this.#auth, refreshToken, this.#options());
      return toIssued(await oauth.processRefreshTokenResponse(this.server, this.client, response));
    });
  }

  #options() {
    return {
      signal: AbortSignal.timeout(this.config.timeoutMs),
      [oauth.allowInsecureRequests]: this.#insecure,
    };
  }

  /** A call to the token endpoint, in a span naming its grant (never its code, verifier or tokens) when tracing. */
  #call<T>(grant: string, step: () => Promise<T>): Promise<T> {
    const tracer = activeTracer();
    if (tracer === undefined) return this.#sorted(step);
    const attributes = { "http.request.method": "POST", "server.address": new URL(this.server.token_endpoint!).hostname, "oauth.grant_type": grant };
    return traced(tracer, "cognito /oauth2/token", attributes, CLIENT, async (span) => {
      try {
        return await this.#sorted(step);
      } catch (error) {
        if (isCode(error, "ERR_COGNITO_REJECTED")) span.setAttribute("aws.cognito.error", (error as CognitoRejectedError).type);
        throw error;
      }
    });
  }

  /** Sort oauth4webapi's errors into "Cognito said no" and "Cognito is not there". */
  async #sorted<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (isCode(error, "ERR_COGNITO_SESSION")) throw error;
      if (error instanceof oauth.ResponseBodyError && error.status < 500) {
        throw new CognitoRejectedError(error.error, `Cognito refused the request: ${error.error}`);
      }
      if (error instanceof oauth.AuthorizationResponseError) {
        throw new CognitoRejectedError(error.error, `Cognito refused the sign-in: ${error.error}`);
      }
      if (error instanceof oauth.OperationProcessingError && error.cause instanceof Response && error.cause.status >= 500) {
        throw new CognitoUnavailableError(`Cognito's token endpoint answered ${error.cause.status}`);
      }
      if (error instanceof oauth.OperationProcessingError && error.code !== oauth.RESPONSE_IS_NOT_JSON) {
        // A protocol check failed (state, issuer, audience, nonce): the response is not trusted.
        throw new CognitoRejectedError("invalid_response", `Cognito's response failed a check: ${error.code}`);
      }
      throw new CognitoUnavailableError("Cognito's token endpoint could not be reached", { cause: error });
    }
  }
}

function toIssued(result: oauth.TokenEndpointResponse): IssuedTokens {
  return {
    accessToken: result.access_token,
    idToken: typeof result.id_token === "string" ? result.id_token : undefined,
    refreshToken: typeof result.refresh_token === "string" ? result.refresh_token : undefined,
  };
}

async function idTokenHasNonce(response: Response): Promise<boolean> {
  try {
    const body = (await response.json()) as { id_token?: unknown };
    return typeof body.id_token === "string" && decodeJwt(body.id_token, defaultRuntime()).payload.nonce !== undefined;
  } catch {
    return false;
  }
}
