import type { SessionStore } from "../store/store.ts";
import type { SessionEvents, SignOutLevel } from "./events.ts";
import type { Logger } from "./logger.ts";

// Declared with the sign-out event, which reports it.
export type { SignOutLevel } from "./events.ts";

/** A further user pool whose tokens are accepted (see `pools`). */
export interface PoolOptions {
  /** User pool id, e.g. `eu-west-1_AbC123`. */
  userPoolId: string;
  /** App client ids accepted in `client_id` (access tokens) and `aud` (ID tokens). */
  clientIds: string[];
  /** AWS region; derived from the pool id when absent. */
  region?: string;
  /** Expected `iss`. Default `https://cognito-idp.<region>.amazonaws.com/<pool>`. */
  issuer?: string;
  /** JWKS URL. Default `<issuer>/.well-known/jwks.json`. */
  jwksUri?: string;
}

/**
 * Everything `createCognitoSession` accepts. Every field falls back to the
 * environment variable named in its comment, so most apps pass nothing but `protect`.
 */
export interface CognitoSessionOptions {
  /** User pool id, e.g. `eu-west-1_AbC123`. Env: `COGNITO_USER_POOL_ID`. */
  userPoolId?: string;
  /** App client id. Env: `COGNITO_CLIENT_ID`. */
  clientId?: string;
  /** App client secret, for clients that have one. Env: `COGNITO_CLIENT_SECRET`. */
  clientSecret?: string;
  /** Hosted UI / managed login base URL, e.g. `https://auth.example.com`. Env: `COGNITO_DOMAIN`. */
  domain?: string;
  /** AWS region; derived from the pool id when absent. Env: `COGNITO_REGION`. */
  region?: string;
  /**
   * Expected `iss` of every token. Default `https://cognito-idp.<region>.amazonaws.com/<pool>`;
   * set it for `https://issuer-cognito-idp.<region>.amazonaws.com/<pool>` or a local emulator.
   * Env: `COGNITO_ISSUER`.
   */
  issuer?: string;
  /** JWKS URL. Default `<issuer>/.well-known/jwks.json`. Env: `COGNITO_JWKS_URI`. */
  jwksUri?: string;
  /**
   * More user pools, or more app clients of this pool, whose tokens are accepted: other
   * apps' access tokens sent as `Authorization: Bearer` to this app's API routes. Each
   * token is checked against the pool its `iss` names, with that pool's own JWKS and
   * clients. The pool and client above are always accepted and are the ones people sign
   * in to. Another pool's groups and scopes count only in rules that name it
   * (`AccessRule.pools`): group names are each pool's own.
   */
  pools?: PoolOptions[];
  /**
   * Verified tokens kept in memory (an LRU keyed by the token), so a session read skips the
   * RSA check. Default 10 000. Their memory is bounded too, to this many × 4 KiB: larger
   * tokens, fewer of them.
   */
  tokenCacheSize?: number;
  /** Cognito JSON API URL. Default `https://cognito-idp.<region>.amazonaws.com/`. Env: `COGNITO_ENDPOINT`. */
  endpoint?: string;
  /**
   * Secrets that seal cookies, newest first; each at least 32 characters. The first seals,
   * all of them unseal, so a new secret can be rolled in without signing anyone out.
   * Env: `SESSION_SECRET` (comma-separated).
   */
  secret?: string | string[];
  /** The app's public origin, e.g. `https://app.example.com`. Env: `APP_URL`. */
  appUrl?: string;
  /** OAuth scopes asked for at sign-in. Default `["openid", "email", "profile"]`. */
  scopes?: string[];
  /**
   * Path rules the middleware enforces. Each key is a pattern in the syntax of Next's
   * `config.matcher` (path-to-regexp 6): `/dashboard/:path*` (the path and everything under
   * it), `:path+`, `:id`, `:id?`, `:id(\d+)`, `/admin/(.*)`, `/(admin|ops)/:path*`. A pattern
   * that cannot be read so (`/admin/*`, `{…}` groups, `#` or `?` as text) throws a ConfigError
   * naming it at start-up. A rule covers every URL Next routes under it, encoded separators
   * and dot segments included, and every rule matching a path must hold, not only the first.
   * Pages redirect to sign-in; API and data requests get 401/403.
   */
  protect?: Record<string, AccessRule>;
  /** Where the middleware mounts sign-in, callback and sign-out. Default `/auth`. */
  basePath?: string;
  /**
   * The page that signs people in: the middleware's `protect` rules and `requireSession`
   * send a visitor without a session there, with `?returnTo=<path>`. A path on `appUrl`
   * without a query (not the callback, sign-out or session route). Default `<basePath>/sign-in`,
   * which starts the hosted UI. An app without `domain` (password sign-in only) sets it
   * to its own sign-in page, e.g. `/sign-in`: `<basePath>/sign-in` then forwards there,
   * and answers 404 while it is left at the default.
   */
  signInPage?: string;
  /**
   * The app's own page for a signed-in user whom the middleware's `protect` rules refuse a
   * page: it is rendered in place (a rewrite) with status 403, so the refusal looks like the
   * rest of the app. A path on `appUrl` without a query, never itself behind a rule. Default:
   * a plain 403 page of the library's own.
   */
  forbiddenPage?: string;
  /**
   * What `<basePath>/sign-in` passes on from its query to the hosted UI's authorize URL, so a
   * link can send people straight to one identity provider (`?identity_provider=Google`),
   * to a company's SAML provider by its identifier (`?idp_identifier=example.com`), in a
   * language (`?lang=fr`) or with the username filled in (`?login_hint=…`). Each value must
   * be one listed here; any other is refused with 400, never forwarded. Default: none.
   */
  signInParameters?: {
    /** `identity_provider` values, as the app client names them: `COGNITO`, `Google`, `AcmeSAML`, … */
    identityProviders?: string[];
    /** `idp_identifier` values (identifiers of the pool's SAML/OIDC providers, e.g. email domains). */
    idpIdentifiers?: string[];
    /** `lang` values the managed login pages may be shown in, e.g. `["en", "fr"]`. */
    languages?: string[];
    /** Pass `login_hint` (a username or email, at most 128 characters). Default false. */
    loginHint?: boolean;
  };
  /** Account flows run from server actions: sign-up, attribute changes, TOTP set-up. */
  account?: {
    /**
     * User attributes `signUp` and `updateAttributes` may send to Cognito; any other name a
     * form posts is dropped. A `custom:` attribute only when listed. `email_verified` and
     * `phone_number_verified` are refused: a user never vouches for their own address.
     * Default: `name`, `given_name`, `family_name`, `nickname`, `preferred_username`,
     * `email`, `phone_number`, `locale`, `zoneinfo`.
     */
    writableAttributes?: string[];
    /** The issuer an authenticator app shows beside a TOTP set up here. Default: APP_URL's host name. */
    totpIssuer?: string;
  };
  /**
   * Seconds a session lasts after sign-in: set it to the app client's refresh token
   * validity. The session cookies expire then. Default 30 days (Cognito's default).
   */
  sessionMaxAge?: number;
  /** How sessions are refreshed. */
  refresh?: {
    /**
     * Refresh when the access token expires within this many seconds, but never before
     * half of its lifetime has passed. Default 60.
     */
    margin?: number;
    /**
     * The app client rotates refresh tokens. Only matters without a `domain`: the Cognito
     * API is then called with `GetTokensFromRefreshToken` instead of `InitiateAuth`
     * (`REFRESH_TOKEN_AUTH`), which rotating clients refuse. Default false.
     */
    rotation?: boolean;
  };
  /** Clock tolerance, in seconds, for `exp`, `nbf` and `iat`. Default 5. */
  clockTolerance?: number;
  /** Timeout, in milliseconds, for every call to Cognito. Default 5000. */
  timeoutMs?: number;
  /** Cookie settings. */
  cookies?: {
    /**
     * Base name of the session cookies. Default `ncs`; the `__Host-` prefix is added
     * whenever the cookies are `Secure`.
     */
    name?: string;
    /** Send cookies with `Secure`. Default: true, except for plain-http non-loopback APP_URLs. */
    secure?: boolean;
  };
  /** How `POST <basePath>/sign-out` ends a session. */
  signOut?: {
    /**
     * What a sign-out ends when the request does not say. Cookies are cleared at every
     * level, even when Cognito cannot be reached. Default `"revoke"`.
     * - `"local"`: the cookies only; the tokens stay valid until they expire.
     * - `"revoke"`: also the refresh token (Cognito `RevokeToken`), and the access tokens
     *   issued with it, which every instance sharing `store` refuses from then on, cookie
     *   and Bearer, for one access-token lifetime: all tokens carrying the session's
     *   `origin_jti` (real Cognito repeats it in every token a refresh token yields). A
     *   token without `origin_jti` (cognito-local issues none) is refused by its `jti`: only
     *   the access token the session holds, not others refreshed from it before.
     * - `"global"`: also the user's every session (`GlobalSignOut`), and every access token
     *   of the user issued until Cognito answered.
     * What is refused is recorded before the Cognito call and again after its answer, so a
     * token a (stolen) refresh token yields meanwhile is refused too.
     */
    level?: SignOutLevel;
    /**
     * Levels a request may ask for with a `level` form field; anything else is refused
     * with 400. Default `["local", "revoke"]` plus `level`: add `"global"` to offer
     * "sign out everywhere".
     */
    levels?: SignOutLevel[];
    /**
     * Also end the hosted-UI (managed login) session: the browser is sent to the domain's
     * `/logout` with `client_id` and `logout_uri`, which must be one of the app client's
     * sign-out URLs. Needs `domain`. Default false.
     */
    hostedUi?: boolean;
    /** Where the browser lands after sign-out: a path on `appUrl`. Default `/`. */
    redirectTo?: string;
  };
  /**
   * Relaxations for a local emulator, each off by default. Real Cognito needs none.
   */
  dev?: {
    /** Accept an ID token without `nonce` at the callback (the embedded Cognito sends none). */
    allowMissingNonce?: boolean;
  };
  /**
   * Where state shared between instances lives: `new RedisStore()` from
   * `next-cognito-session/redis` on Node (not in Edge `middleware.ts`). With a shared store,
   * one refresh per session is made across instances and a global sign-out is enforced by
   * every instance at once. Default: an in-memory store (one process).
   */
  store?: SessionStore;
  /**
   * `"cookie"`: the tokens live in the browser's cookies, sealed (works on Edge and needs
   * no server). `"server"`: the browser holds only a sealed session id; the tokens live in
   * `store`. Default `"server"` when a `store` is given, else `"cookie"`.
   */
  sessions?: "cookie" | "server";
  /**
   * Cognito identity pool (`<region>:<uuid>`) whose temporary AWS credentials
   * `getAwsCredentials()` and `awsCredentials()` hand out: it must list this user pool
   * (provider `cognito-idp.<region>.amazonaws.com/<pool id>`, this app client) as an
   * authentication provider. Env: `COGNITO_IDENTITY_POOL_ID`.
   */
  identityPoolId?: string;
  /**
   * Cognito Identity JSON API URL. Default `https://cognito-identity.<region>.amazonaws.com/`,
   * the region being the identity pool's. Env: `COGNITO_IDENTITY_ENDPOINT`.
   */
  identityEndpoint?: string;
  /**
   * Handlers of what happens to sessions: `signIn`, `signOut`, `refresh`, `refreshFailed`,
   * `sessionEnded`, `tokenRejected`. A handler may be async; it is not awaited (a slow one
   * never holds a response) and one that throws or rejects is logged, never breaking the
   * request. Payloads carry codes, levels, durations and the user's `sub`, never a token.
   */
  events?: SessionEvents;
  /**
   * Where log lines go: `{ debug?, info?, warn?, error? }`, each `(message, fields)`
   * (`console` fits; a level left out is not logged), or `false` for none. Every event is
   * logged too (`refreshFailed` as a warning, `tokenRejected` as debug). Nothing logged
   * carries a token, a cookie value or a secret. Default: warnings and errors on the
   * console, nothing when `NODE_ENV` is `production`.
   */
  logger?: Logger | false;
  /** Environment to read instead of `process.env` (tests). */
  env?: Record<string, string | undefined>;
}

/** What a path or handler requires beyond being signed in. */
export interface AccessRule {
  /** OAuth scopes the access token must carry. */
  scopes?: string[];
  /** Cognito groups (`cognito:groups`) the user must be in. */
  groups?: string[];
  /** `"all"` (default): every listed scope and group. `"any"`: at least one of them. */
  match?: "all" | "any";
  /**
   * User pools whose groups and scopes this rule counts, by id: the app's own
   * `userPoolId` and any of the `pools` option, e.g. `["eu-west-1_Partner"]`. Default: the
   * app's own pool only. Group and scope names belong to the pool that issued them, so a
   * user of another accepted pool, in that pool's own group `admins`, does not pass
   * `groups: ["admins"]` unless the rule names that pool. A rule without `groups` and
   * `scopes` admits a session of any accepted pool. Naming a pool that is not configured is
   * a ConfigError at start-up.
   */
  pools?: string[];
}
