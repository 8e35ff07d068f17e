import type { CognitoApiOptions } from "../cognito/api.ts";
import { OAuthClient } from "../cognito/oauth.ts";
import type { CognitoSessionOptions } from "../config/options.ts";
import { resolveConfig, type ResolvedConfig } from "../config/resolve.ts";
import { EventSink } from "../config/events.ts";
import { Log } from "../config/logger.ts";
import { CookieNames } from "../persistence/cookie-names.ts";
import { CookieSessions } from "../persistence/cookie-sessions.ts";
import { Sealer } from "../persistence/seal.ts";
import type { SessionStorage } from "../persistence/storage.ts";
import { StoreSessions } from "../persistence/store-sessions.ts";
import { Transactions } from "../persistence/transactions.ts";
import { Refresher } from "./refresher.ts";
import { refreshSource } from "../cognito/refresh.ts";
import { SessionReader } from "./reader.ts";
import type { SessionPool } from "./session.ts";
import { Denylist } from "../store/denylist.ts";
import { SharedRefresh } from "./shared-refresh.ts";
import { AwsCredentialsService } from "./aws-credentials.ts";
import type { SessionStore } from "../store/store.ts";
import { type JwksCache, sharedJwks } from "../verify/jwks.ts";
import { TokenVerifier } from "../verify/verifier.ts";

/** The parts one configured app shares between middleware, flows and server APIs. */
export interface Core {
  config: ResolvedConfig;
  /** The names and attributes of every cookie the app writes. */
  cookieNames: CookieNames;
  /** Seals every sealed value the app writes, with its secrets. */
  sealer: Sealer;
  /** Where sessions are kept: in their cookies, or in the store (`sessions`). */
  storage: SessionStorage;
  /** The keys of the app's own pool (the first of `verifier.options.pools`). */
  jwks: JwksCache;
  verifier: TokenVerifier;
  reader: SessionReader;
  refresher: Refresher;
  /** Absent when no hosted-UI domain is configured. */
  oauth: OAuthClient | undefined;
  api: CognitoApiOptions;
  /** Hosted-UI sign-ins in progress (transaction cookies, single use). */
  transactions: Transactions;
  /** Shared state: in memory by default, Redis when configured. */
  store: SessionStore;
  /** Users signed out everywhere; their older tokens are refused. */
  denylist: Denylist;
  /** Identity-pool credentials; absent when no identity pool is configured. */
  credentials: AwsCredentialsService | undefined;
  /** Where the app's log lines go (`logger`). */
  log: Log;
  /** Where what happens to sessions is reported: the `events` handlers, and the log. */
  events: EventSink;
}

/**
 * Validate `options` (the environment fills what they leave out) and build the core: where
 * both entry points, `createCognitoSession` and `createCognitoMiddleware`, start.
 */
export function configureCore(options: CognitoSessionOptions = {}): Core {
  return createCore(resolveConfig(options));
}

export function createCore(config: ResolvedConfig): Core {
  const log = new Log(config.logger);
  const events = new EventSink(config.events, log);
  const verifier = new TokenVerifier({
    pools: config.pools.map(({ issuer, clientIds, jwksUri }) => ({
      issuer,
      clientIds,
      jwks: sharedJwks(jwksUri, { timeoutMs: config.timeoutMs, log }),
    })),
    clockTolerance: config.clockTolerance,
    cacheSize: config.tokenCacheSize,
  });
  const jwks = verifier.options.pools[0]!.jwks;

  const cookieNames = new CookieNames(config.cookies);
  const sealer = new Sealer(config.secrets);
  // Chosen here, once: nothing else asks which kind of session storage the app has.
  const storage: SessionStorage =
    config.sessions === "server" ? new StoreSessions(cookieNames, config.store, sealer, config.secrets) : new CookieSessions(cookieNames, sealer, log);
  const oauth = config.domain ? new OAuthClient(config) : undefined;
  const api = { endpoint: config.endpoint, timeoutMs: config.timeoutMs };
  const denylist = new Denylist(config.store);
  const refresher = new Refresher(refreshSource(config, oauth, api), verifier, config.refresh.margin);
  refresher.events = events;
  if (config.store.shared) {
    // The lock outlives the holder's Cognito call (bounded by timeoutMs) and its verification.
    refresher.shared = new SharedRefresh(config.store, sealer, config.timeoutMs + 2_000, refresher.graceMs, (tokens) => refresher.fresh(tokens));
  }
  return {
    config,
    cookieNames,
    sealer,
    storage,
    jwks,
    verifier,
    reader: new SessionReader(storage, verifier, config.refresh.margin, denylist, sessionPools(config), events),
    refresher,
    oauth,
    api,
    transactions: new Transactions(cookieNames, sealer),
    store: config.store,
    denylist,
    credentials: config.identity && awsCredentials(config, sealer, refresher, verifier),
    log,
    events,
  };
}

function awsCredentials(config: ResolvedConfig, sealer: Sealer, refresher: Refresher, verifier: TokenVerifier): AwsCredentialsService {
  const { poolId, endpoint } = config.identity!;
  const api = { endpoint, identityPoolId: poolId, timeoutMs: config.timeoutMs };
  // A lock outlives its holder's two calls (each bounded by timeoutMs).
  return new AwsCredentialsService(api, config.clientId, config.store, sealer, refresher, verifier, config.sessionMaxAge, 2 * config.timeoutMs + 2_000);
}

/** Each configured pool by issuer, with whether it is the app's own (the same pool under another issuer form is). */
function sessionPools(config: ResolvedConfig): Map<string, SessionPool> {
  return new Map(config.pools.map(({ issuer, userPoolId }) => [issuer, Object.freeze({ userPoolId, own: userPoolId === config.userPoolId })]));
}

/**
 * Where a session object keeps its core: a registered symbol, so every copy of this
 * library that a bundler makes (server, SSR, Edge) finds it, and no public type names it.
 */
const CORE = Symbol.for("next-cognito-session.core");

/** `target` with `core` attached, out of sight of its type, its keys and JSON. */
export function attachCore<T extends object>(core: Core, target: T): T {
  return Object.defineProperty(target, CORE, { value: core, enumerable: false });
}

/** The core behind a session object made by `createCognitoSession`; for the testing kit and the library's tests. */
export function coreOf(target: object): Core {
  const core = (target as { [CORE]?: Core })[CORE];
  if (core === undefined) throw new TypeError("not a session object made by createCognitoSession()");
  return core;
}
