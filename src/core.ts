import type { CognitoApiOptions } from "./cognito/api.ts";
import { OAuthClient } from "./cognito/oauth.ts";
import type { ResolvedConfig } from "./config/resolve.ts";
import { SessionCookies } from "./cookies/session-cookies.ts";
import { Refresher } from "./refresh/refresher.ts";
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

/** Seconds before expiry at which the middleware refreshes. */
const REFRESH_MARGIN = 60;

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
  return {
    config,
    cookies,
    jwks,
    verifier,
    reader: new SessionReader(cookies, verifier, REFRESH_MARGIN),
    refresher: new Refresher(oauth, verifier),
    oauth,
    api: { endpoint: config.endpoint, timeoutMs: config.timeoutMs },
  };
}
