import { ConfigError } from "../lib/errors.ts";
import type { AccessRule } from "./options.ts";
import { safeReturnTo } from "../lib/return-to.ts";
import type { CognitoSessionOptions, PoolOptions, SignOutLevel } from "./options.ts";
import { MemoryStore } from "../store/memory.ts";
import type { SessionStore } from "../store/store.ts";
import { isAllowedScheme, isLoopbackHost } from "../lib/url.ts";
import { Secret } from "./secret.ts";
import { EVENT_NAMES, type SessionEvents } from "./events.ts";
import { defaultLogger, type Logger } from "./logger.ts";

/** Config after defaults and validation; every URL parsed, every number set. */
export interface ResolvedConfig {
  userPoolId: string;
  clientId: string;
  /** The app client's secret, if it has one; prints as `[redacted]`, `reveal()` gives the value. */
  clientSecret: Secret | undefined;
  region: string;
  issuer: string;
  jwksUri: URL;
  /**
   * Every pool whose tokens are accepted: first the app's own (the fields above, with
   * `clientId`), then the `pools` option's, one entry per issuer.
   */
  pools: ResolvedPool[];
  /** Verified tokens kept in memory. */
  tokenCacheSize: number;
  /** Cognito JSON API. */
  endpoint: URL;
  /** Hosted UI base; absent when the app signs in with passwords only. */
  domain: URL | undefined;
  appUrl: URL;
  /** `SESSION_SECRET`, newest first; each prints as `[redacted]`, `reveal()` gives the value. */
  secrets: Secret[];
  scopes: string[];
  protect: Array<[pattern: string, rule: AccessRule]>;
  basePath: string;
  /** Where visitors without a session are sent to sign in: a path on `appUrl`. */
  signInPage: string;
  /** The app's own 403 page for signed-in users a rule refuses; undefined for the library's plain one. */
  forbiddenPage: string | undefined;
  /** Query values `<basePath>/sign-in` may pass on to the hosted UI. */
  signInParameters: { identityProviders: string[]; idpIdentifiers: string[]; languages: string[]; loginHint: boolean };
  /** Account flows: the attributes forms may write, and the TOTP issuer name. */
  account: { writableAttributes: string[]; totpIssuer: string };
  sessionMaxAge: number;
  refresh: { margin: number; rotation: boolean };
  clockTolerance: number;
  timeoutMs: number;
  cookies: { name: string; secure: boolean };
  signOut: { level: SignOutLevel; levels: SignOutLevel[]; hostedUi: boolean; redirectTo: string };
  dev: { allowMissingNonce: boolean };
  /** Shared state; an in-memory store unless one was given. */
  store: SessionStore;
  /** Where the tokens live: in cookies, or in `store` behind a sealed id cookie. */
  sessions: "cookie" | "server";
  /** Handlers of session events, as given (checked: functions of known events only). */
  events: SessionEvents;
  /** Where log lines go; the default logger unless one (or `false`: none) was given. */
  logger: Logger;
  /** The identity pool whose AWS credentials the app hands out; absent when none is configured. */
  identity: ResolvedIdentity | undefined;
}

/** A configured identity pool. */
export interface ResolvedIdentity {
  /** `<region>:<uuid>`. */
  poolId: string;
  /** Cognito Identity JSON API. */
  endpoint: URL;
}

/** A user pool whose tokens are accepted. */
export interface ResolvedPool {
  userPoolId: string;
  region: string;
  /** The exact `iss` of its tokens. */
  issuer: string;
  /** Where its keys are fetched; never taken from a token. */
  jwksUri: URL;
  /** App clients accepted in `client_id` (access) and `aud` (ID). */
  clientIds: string[];
}

const DAY = 24 * 60 * 60;
const POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+|local)_[0-9A-Za-z]+$/;

function url(setting: string, value: string, { allowPath = true } = {}): URL {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(setting, "is not an absolute URL");
  }
  if (!isAllowedScheme(parsed)) {
    throw new ConfigError(setting, "must use https (plain http is allowed for loopback hosts only)");
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new ConfigError(setting, "must not carry credentials, a query or a fragment");
  }
  if (!allowPath && parsed.pathname !== "/") {
    throw new ConfigError(setting, "must be an origin without a path");
  }
  return parsed;
}

function positive(setting: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(setting, "must be a non-negative number");
  return value;
}

type PoolField = keyof PoolOptions | "clientId";

/** Names of the app's own pool's settings, as errors report them. */
const OWN_POOL_SETTINGS: Record<PoolField, string> = {
  userPoolId: "COGNITO_USER_POOL_ID",
  region: "COGNITO_REGION",
  issuer: "COGNITO_ISSUER",
  jwksUri: "COGNITO_JWKS_URI",
  clientIds: "COGNITO_CLIENT_ID",
  clientId: "COGNITO_CLIENT_ID",
};

/** Validate one pool and fill in its defaults; `setting` names a field for errors. */
function resolvePool(pool: PoolOptions, setting: (field: PoolField) => string): ResolvedPool {
  const { userPoolId } = pool;
  const poolMatch = typeof userPoolId === "string" ? POOL_ID.exec(userPoolId) : null;
  if (!poolMatch) throw new ConfigError(setting("userPoolId"), "is not a user pool id (<region>_<id>)");
  const region = pool.region ?? poolMatch[1]!;
  if (!/^[a-z0-9-]+$/.test(region)) throw new ConfigError(setting("region"), "is not a region name");
  if (!Array.isArray(pool.clientIds) || pool.clientIds.length === 0) {
    throw new ConfigError(setting("clientIds"), "must list at least one app client id");
  }
  for (const clientId of pool.clientIds) {
    if (typeof clientId !== "string" || !/^[\w+]+$/.test(clientId)) {
      throw new ConfigError(setting("clientId"), "is not an app client id");
    }
  }
  const issuer = pool.issuer ?? `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
  url(setting("issuer"), issuer);
  if (issuer.endsWith("/")) throw new ConfigError(setting("issuer"), "must not end with a slash");
  const jwksUri = url(setting("jwksUri"), pool.jwksUri ?? `${issuer}/.well-known/jwks.json`);
  return { userPoolId, region, issuer, jwksUri, clientIds: [...pool.clientIds] };
}

/**
 * Check the `pools` of an access rule declared at `where`: when present, a non-empty list
 * of user pool ids, each one of `configured` when that is given (the app's own pool and
 * those of the `pools` option). Throws a ConfigError naming `where.pools`.
 */
export function checkRulePools(where: string, named: unknown, configured?: readonly ResolvedPool[]): void {
  if (named === undefined) return;
  if (!(Array.isArray(named) && named.length > 0 && named.every((id) => typeof id === "string" && id !== ""))) {
    throw new ConfigError(`${where}.pools`, "must be a non-empty list of user pool ids");
  }
  const unknown = configured && named.find((id) => !configured.some((pool) => pool.userPoolId === id));
  if (unknown !== undefined) {
    throw new ConfigError(`${where}.pools`, `names ${unknown}, which is neither the app's user pool nor one of its pools`);
  }
}

/**
 * Merge explicit options over the environment, apply defaults and validate.
 * Throws a {@link ConfigError} naming the first bad setting.
 */
export function resolveConfig(options: CognitoSessionOptions = {}): ResolvedConfig {
  const env = options.env ?? (typeof process === "undefined" ? {} : process.env);
  const pick = (option: string | undefined, name: string) => {
    const value = option ?? env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const required = (option: string | undefined, name: string) => {
    const value = pick(option, name);
    if (value === undefined) throw new ConfigError(name, "is required");
    return value;
  };

  const own = resolvePool(
    {
      userPoolId: required(options.userPoolId, "COGNITO_USER_POOL_ID"),
      region: pick(options.region, "COGNITO_REGION"),
      issuer: pick(options.issuer, "COGNITO_ISSUER"),
      jwksUri: pick(options.jwksUri, "COGNITO_JWKS_URI"),
      clientIds: [required(options.clientId, "COGNITO_CLIENT_ID")],
    },
    (field) => OWN_POOL_SETTINGS[field],
  );
  const { userPoolId, region, issuer, jwksUri } = own;
  const clientId = own.clientIds[0]!;
  const pools = [own];
  (options.pools ?? []).forEach((pool, i) => {
    const extra = resolvePool(pool, (field) => `pools[${i}].${field}`);
    const same = pools.find((p) => p.issuer === extra.issuer);
    if (!same) pools.push(extra);
    else if (same.jwksUri.href !== extra.jwksUri.href) throw new ConfigError(`pools[${i}].jwksUri`, "differs for the same issuer");
    else same.clientIds = [...new Set([...same.clientIds, ...extra.clientIds])];
  });
  const endpoint = url("COGNITO_ENDPOINT", pick(options.endpoint, "COGNITO_ENDPOINT") ?? `https://cognito-idp.${region}.amazonaws.com/`);
  const domainValue = pick(options.domain, "COGNITO_DOMAIN");
  const domain = domainValue === undefined ? undefined : url("COGNITO_DOMAIN", domainValue.replace(/\/+$/, ""));

  const appUrl = url("APP_URL", required(options.appUrl, "APP_URL").replace(/\/+$/, ""), { allowPath: false });

  const rawSecrets =
    options.secret === undefined
      ? required(undefined, "SESSION_SECRET").split(",")
      : Array.isArray(options.secret)
        ? options.secret
        : options.secret.split(",");
  const secrets = rawSecrets.map((s) => s.trim()).filter(Boolean);
  if (secrets.length === 0) throw new ConfigError("SESSION_SECRET", "is required");
  if (secrets.some((s) => s.length < 32)) {
    throw new ConfigError("SESSION_SECRET", "each secret must be at least 32 characters");
  }

  const clientSecret = pick(options.clientSecret, "COGNITO_CLIENT_SECRET");

  const basePath = options.basePath ?? "/auth";
  if (!/^\/[\w-]+(?:\/[\w-]+)*$/.test(basePath)) throw new ConfigError("basePath", "must be a path like /auth");

  const secureDefault = appUrl.protocol === "https:" || isLoopbackHost(appUrl.hostname);
  const cookieName = options.cookies?.name ?? "ncs";
  if (!/^[\w-]+$/.test(cookieName)) throw new ConfigError("cookies.name", "may hold letters, digits, _ and - only");

  // Patterns and rules are checked where the middleware compiles them, at start-up too; the
  // pools a rule names only here, where they are known.
  const protect = Object.entries(options.protect ?? {});
  for (const [pattern, rule] of protect) checkRulePools(`protect["${pattern}"]`, (rule as AccessRule | null)?.pools, pools);

  return {
    userPoolId,
    clientId,
    clientSecret: clientSecret === undefined ? undefined : new Secret(clientSecret),
    region,
    issuer,
    jwksUri,
    pools,
    tokenCacheSize: positive("tokenCacheSize", options.tokenCacheSize, 10_000),
    endpoint,
    domain,
    appUrl,
    secrets: secrets.map((s) => new Secret(s)),
    scopes: options.scopes ?? ["openid", "email", "profile"],
    protect,
    basePath,
    signInPage: resolveSignInPage(options.signInPage, { basePath, appUrl }),
    forbiddenPage: resolveForbiddenPage(options.forbiddenPage, { basePath, appUrl }),
    signInParameters: resolveSignInParameters(options.signInParameters),
    account: resolveAccount(options.account, appUrl),
    sessionMaxAge: positive("sessionMaxAge", options.sessionMaxAge, 30 * DAY),
    refresh: {
      margin: positive("refresh.margin", options.refresh?.margin, 60),
      rotation: options.refresh?.rotation ?? false,
    },
    clockTolerance: positive("clockTolerance", options.clockTolerance, 5),
    timeoutMs: positive("timeoutMs", options.timeoutMs, 5000),
    cookies: { name: cookieName, secure: options.cookies?.secure ?? secureDefault },
    signOut: resolveSignOut(options.signOut, { appUrl, domain }),
    dev: { allowMissingNonce: options.dev?.allowMissingNonce ?? false },
    store: options.store ?? new MemoryStore(),
    sessions: resolveSessions(options),
    events: resolveEvents(options.events),
    logger: resolveLogger(options.logger, env),
    identity: resolveIdentity(pick(options.identityPoolId, "COGNITO_IDENTITY_POOL_ID"), pick(options.identityEndpoint, "COGNITO_IDENTITY_ENDPOINT")),
  };
}

function resolveEvents(events: CognitoSessionOptions["events"]): SessionEvents {
  if (events === undefined) return {};
  if (typeof events !== "object" || events === null) throw new ConfigError("events", "must be an object of event handlers");
  for (const [name, handler] of Object.entries(events)) {
    if (!(EVENT_NAMES as readonly string[]).includes(name)) throw new ConfigError(`events.${name}`, `is not an event (${EVENT_NAMES.join(", ")})`);
    if (handler !== undefined && typeof handler !== "function") throw new ConfigError(`events.${name}`, "must be a function");
  }
  return events;
}

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

function resolveLogger(logger: CognitoSessionOptions["logger"], env: Record<string, string | undefined>): Logger {
  if (logger === undefined) return defaultLogger(env);
  if (logger === false) return {};
  if (typeof logger !== "object" || logger === null) throw new ConfigError("logger", "must be an object with debug, info, warn or error functions, or false");
  for (const level of LOG_LEVELS) {
    if (logger[level] !== undefined && typeof logger[level] !== "function") throw new ConfigError(`logger.${level}`, "must be a function");
  }
  return logger;
}

const IDENTITY_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d+|local):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function resolveIdentity(poolId: string | undefined, endpoint: string | undefined): ResolvedIdentity | undefined {
  if (poolId === undefined) {
    if (endpoint !== undefined) throw new ConfigError("COGNITO_IDENTITY_ENDPOINT", "needs COGNITO_IDENTITY_POOL_ID");
    return undefined;
  }
  const match = IDENTITY_POOL_ID.exec(poolId);
  if (!match) throw new ConfigError("COGNITO_IDENTITY_POOL_ID", "is not an identity pool id (<region>:<uuid>)");
  return { poolId, endpoint: url("COGNITO_IDENTITY_ENDPOINT", endpoint ?? `https://cognito-identity.${match[1]}.amazonaws.com/`) };
}

function resolveSessions(options: CognitoSessionOptions): ResolvedConfig["sessions"] {
  const sessions = options.sessions ?? (options.store ? "server" : "cookie");
  if (sessions !== "cookie" && sessions !== "server") throw new ConfigError("sessions", 'must be "cookie" or "server"');
  return sessions;
}

function resolveSignInPage(page: string | undefined, { basePath, appUrl }: { basePath: string; appUrl: URL }): string {
  if (page === undefined) return `${basePath}/sign-in`;
  if (typeof page !== "string" || safeReturnTo(page, appUrl) !== page || /[?#]/.test(page)) {
    throw new ConfigError("signInPage", "must be a path on APP_URL without a query, e.g. /sign-in");
  }
  if (page === `${basePath}/callback` || page === `${basePath}/sign-out` || page === `${basePath}/session`) {
    throw new ConfigError("signInPage", "must be a page, not the callback, sign-out or session route");
  }
  return page;
}

function resolveForbiddenPage(page: string | undefined, { basePath, appUrl }: { basePath: string; appUrl: URL }): string | undefined {
  if (page === undefined) return undefined;
  if (typeof page !== "string" || safeReturnTo(page, appUrl) !== page || /[?#]/.test(page)) {
    throw new ConfigError("forbiddenPage", "must be a path on APP_URL without a query, e.g. /forbidden");
  }
  if (page === basePath || page.startsWith(`${basePath}/`)) throw new ConfigError("forbiddenPage", `must be a page of the app, not under ${basePath}`);
  return page;
}

/** A list option of names: strings of 1 to 128 characters without spaces or control characters. */
function names(setting: string, value: unknown, fallback: string[] = []): string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && /^[^\s\u0000-\u001f\u007f]{1,128}$/.test(v))) {
    throw new ConfigError(setting, "must be a list of names (no spaces, at most 128 characters each)");
  }
  return [...new Set(value as string[])];
}

function resolveSignInParameters(options: CognitoSessionOptions["signInParameters"] = {}): ResolvedConfig["signInParameters"] {
  return {
    identityProviders: names("signInParameters.identityProviders", options.identityProviders),
    idpIdentifiers: names("signInParameters.idpIdentifiers", options.idpIdentifiers),
    languages: names("signInParameters.languages", options.languages),
    loginHint: options.loginHint === true,
  };
}

/** Attributes a user may set on their own account unless the app lists others. */
export const DEFAULT_WRITABLE_ATTRIBUTES = [
  "name",
  "given_name",
  "family_name",
  "nickname",
  "preferred_username",
  "email",
  "phone_number",
  "locale",
  "zoneinfo",
];

function resolveAccount(options: CognitoSessionOptions["account"] = {}, appUrl: URL): ResolvedConfig["account"] {
  const writableAttributes = names("account.writableAttributes", options.writableAttributes, DEFAULT_WRITABLE_ATTRIBUTES);
  // Cognito sets these itself; a user who could write them would vouch for their own address.
  const vouched = writableAttributes.find((name) => /_verified$/.test(name) || name === "sub");
  if (vouched !== undefined) throw new ConfigError("account.writableAttributes", `must not list ${vouched}: Cognito sets it, not the user`);
  const totpIssuer = options.totpIssuer ?? appUrl.hostname;
  if (typeof totpIssuer !== "string" || !/^[^:\u0000-\u001f\u007f]{1,64}$/.test(totpIssuer)) {
    throw new ConfigError("account.totpIssuer", "must be 1 to 64 characters without a colon");
  }
  return { writableAttributes, totpIssuer };
}

const SIGN_OUT_LEVELS: readonly SignOutLevel[] = ["local", "revoke", "global"];

function resolveSignOut(
  options: CognitoSessionOptions["signOut"] = {},
  { appUrl, domain }: { appUrl: URL; domain: URL | undefined },
): ResolvedConfig["signOut"] {
  const level = options.level ?? "revoke";
  if (!SIGN_OUT_LEVELS.includes(level)) throw new ConfigError("signOut.level", `must be one of ${SIGN_OUT_LEVELS.join(", ")}`);
  const levels = [...new Set([...(options.levels ?? ["local", "revoke"]), level])];
  if (levels.some((l) => !SIGN_OUT_LEVELS.includes(l))) {
    throw new ConfigError("signOut.levels", `may list only ${SIGN_OUT_LEVELS.join(", ")}`);
  }
  const hostedUi = options.hostedUi ?? false;
  if (hostedUi && !domain) throw new ConfigError("signOut.hostedUi", "needs COGNITO_DOMAIN");
  const redirectTo = options.redirectTo ?? "/";
  if (safeReturnTo(redirectTo, appUrl) !== redirectTo) throw new ConfigError("signOut.redirectTo", "must be a path on APP_URL");
  return { level, levels, hostedUi, redirectTo };
}
