import type { CommonClaims } from "./verify/claims.ts";

/**
 * Errors thrown by next-cognito-session. Each has a stable `code` to branch on;
 * messages never contain a token, a cookie value or a secret.
 */
export class CognitoSessionError extends Error {
  /** A stable, machine-readable code. */
  readonly code: string = "ERR_COGNITO_SESSION";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The configuration is missing a setting or has an invalid one; names the setting. */
export class ConfigError extends CognitoSessionError {
  override readonly code = "ERR_CONFIG";
  constructor(
    /** The option or environment variable at fault, e.g. `COGNITO_CLIENT_ID`. */
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

/** Any reason a token was refused. Subclasses narrow the reason. */
export class InvalidTokenError extends CognitoSessionError {
  override readonly code: string = "ERR_TOKEN_INVALID";
}

/** The token is not a compact JWS with JSON-object header and payload, or is too large or nested. */
export class MalformedTokenError extends InvalidTokenError {
  override readonly code = "ERR_TOKEN_MALFORMED";
}

/** The token is well formed and correctly signed, but past its `exp`. */
export class TokenExpiredError extends InvalidTokenError {
  override readonly code = "ERR_TOKEN_EXPIRED";
  readonly #claims: CommonClaims | undefined;
  constructor(message: string, claims?: CommonClaims) {
    super(message);
    this.#claims = claims;
  }
  /**
   * The expired token's claims, checked in every way but expiry (the last check made), for
   * what may still be read of an expired token: whose it was. A getter, so logging or
   * serializing the error shows none of them.
   */
  get claims(): CommonClaims | undefined {
    return this.#claims;
  }
}

/** The signature does not verify, or the header asks for anything but RS256 with a known key. */
export class InvalidSignatureError extends InvalidTokenError {
  override readonly code = "ERR_TOKEN_SIGNATURE";
}

/** A claim is missing or has the wrong value; `claim` names it. */
export class InvalidClaimError extends InvalidTokenError {
  override readonly code = "ERR_TOKEN_CLAIM";
  constructor(
    readonly claim: string,
    message: string,
  ) {
    super(message);
  }
}

/** The pool's JWKS could not be fetched and no keys are cached. Callers answer 503. */
export class JwksUnavailableError extends CognitoSessionError {
  override readonly code = "ERR_JWKS_UNAVAILABLE";
}

/** Cognito could not be reached or answered with a server error; retry later. */
export class CognitoUnavailableError extends CognitoSessionError {
  override readonly code: string = "ERR_COGNITO_UNAVAILABLE";
}

/**
 * The session store (Redis) could not be reached in time. A subclass of
 * CognitoUnavailableError on purpose: every path that answers 503 and keeps the cookies
 * when Cognito is unreachable does the same when the store is.
 */
export class StoreUnavailableError extends CognitoUnavailableError {
  override readonly code = "ERR_STORE_UNAVAILABLE";
}

/** A server-side session was deleted (signed out) while this request was refreshing it. */
export class SessionEndedError extends CognitoSessionError {
  override readonly code = "ERR_SESSION_ENDED";
}

/** Cognito refused the request (e.g. `NotAuthorizedException`, `invalid_grant`). */
export class CognitoRejectedError extends CognitoSessionError {
  override readonly code = "ERR_COGNITO_REJECTED";
  constructor(
    /** Cognito's error type, e.g. `NotAuthorizedException` or `invalid_grant`. */
    readonly type: string,
    message: string,
    /**
     * Cognito's own message, when it tells cases of one type apart (a lockout is a
     * `NotAuthorizedException` saying "Password attempts exceeded"). Never shown to users.
     */
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** `currentSession()` / `requireScope()` ran outside `runWithSession` or `withAuth`. */
export class SessionScopeError extends CognitoSessionError {
  override readonly code = "ERR_NO_SESSION_SCOPE";
}

/**
 * Thrown by `requireScope()` and friends when there is no session. Inside `withAuth` it
 * becomes a 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
 */
export class NotSignedInError extends CognitoSessionError {
  override readonly code = "ERR_NOT_SIGNED_IN";
  readonly status = 401;
}

/**
 * Thrown by `requireScope()` and friends when the session lacks a scope or group. Inside
 * `withAuth` it becomes a 403 with `error="insufficient_scope"`.
 */
export class AccessDeniedError extends CognitoSessionError {
  override readonly code = "ERR_ACCESS_DENIED";
  readonly status = 403;
  constructor(
    /** Every scope the check asked for (the 403 challenge names them). */
    readonly requiredScopes: readonly string[],
    readonly missingScopes: readonly string[],
    readonly missingGroups: readonly string[],
  ) {
    super("the session lacks a required scope or group");
  }
}
