import type { CognitoApiOptions } from "./cognito/api.ts";
import { OAuthClient } from "./cognito/oauth.ts";
import type { ResolvedConfig } from "./config/resolve.ts";
import { SessionCookies } from "./cookies/session-cookies.ts";
import { Refresher } from "./refresh/refresher.ts";
import { refreshSource } from "./refresh/sources.ts";
import { SessionReader } from "./session/reader.ts";
import { JwksCache } from "./verify/jwks.ts";
import { TokenVerifier } from "./verify/verifier.ts";

/** The parts one configured app shares between middleware, flows and server APIs. */
export interface Core {
  config: ResolvedConfig;
  cookies: SessionCookies;
  jwks: JwksCache;
  verifier: TokenVerifier;
  reader: SessionReader;
  refresher: Refresher;
  /** Absent when no hosted-UI domain is configured. */
  oauth: OAuthClient | undefined;
  api: CognitoApiOptions;
}

export function createCore(config: ResolvedConfig): Core {
  const jwks = new JwksCache(config.jwksUri, { timeoutMs: config.timeoutMs });
  const verifier = new TokenVerifier({
    issuer: config.issuer,
    clientIds: [config.clientId],
    jwks,
    clockTolerance: config.clockTolerance,
  });
  const cookies = new SessionCookies(config);
  const oauth = config.domain ? new OAuthClient(config) : undefined;
  const api = { endpoint: config.endpoint, timeoutMs: config.timeoutMs };
  return {
    config,
    cookies,
    jwks,
    verifier,
    reader: new SessionReader(cookies, verifier, config.refresh.margin),
    refresher: new Refresher(refreshSource(config, oauth, api), verifier, config.refresh.margin),
    oauth,
    api,
  };
}
