/** The stable code of each error class below; a class's code also matches its subclasses' (see {@link isCode}). */
export type ErrorCode =
  | "ERR_COGNITO_SESSION"
  | "ERR_CONFIG"
  | "ERR_TOKEN_INVALID"
  | "ERR_TOKEN_MALFORMED"
  | "ERR_TOKEN_EXPIRED"
  | "ERR_TOKEN_SIGNATURE"
  | "ERR_TOKEN_CLAIM"
  | "ERR_JWKS_UNAVAILABLE"
  | "ERR_COGNITO_UNAVAILABLE"
  | "ERR_STORE_UNAVAILABLE"
  | "ERR_SESSION_ENDED"
  | "ERR_SESSION_TOO_LARGE"
  | "ERR_COGNITO_REJECTED"
  | "ERR_NO_SESSION_SCOPE"
  | "ERR_NOT_SIGNED_IN"
  | "ERR_ACCESS_DENIED";

/** Marks this library's errors under a registered symbol, the same in every copy of the library. */
const BRAND = Symbol.for("next-cognito-session.error");

/**
 * Whether `error` is one of this library's errors of `code` or of a class below it (an
 * `ERR_TOKEN_EXPIRED` error is an `ERR_TOKEN_INVALID` one), whichever copy of the library
 * made it. Next bundles a library once per module graph (RSC, SSR, Edge), so an error can
 * reach code whose classes are another copy's; the answer comes from the error's own
 * class chain, never from identity with this copy's classes.
 */
export function isCode(error: unknown, code: ErrorCode): boolean {
  if (typeof error !== "object" || error === null || (error as { [BRAND]?: unknown })[BRAND] !== true) return false;
  for (let proto: unknown = Object.getPrototypeOf(error); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const type = (proto as { constructor?: unknown }).constructor;
    if (typeof type === "function" && Object.hasOwn(type, "code") && (type as { code?: unknown }).code === code) return true;
  }
  return false;
}

/**
 * Whether `error` says a service could not be reached in time (the JWKS, Cognito, the
 * session store): answered with 503 and the cookies kept, never taken for a sign-out.
 */
export function isOutage(error: unknown): error is Outage {
  return isCode(error, "ERR_JWKS_UNAVAILABLE") || isCode(error, "ERR_COGNITO_UNAVAILABLE");
}

/**
 * A service the library depends on could not answer in time: the user pool's keys, Cognito,
 * or the session store (a {@link StoreUnavailableError}, which is a CognitoUnavailableError).
 * Neither a session nor a sign-out: answered with 503, the error saying which service it was.
 */
export type Outage = JwksUnavailableError | CognitoUnavailableError;

/**
 * Errors thrown by next-cognito-session. Each has a stable `code` to branch on;
 * messages never contain a token, a cookie value or a secret. `instanceof` works across
 * copies of the library (it compares codes, see {@link isCode}), and so does `isCode`.
 */
export class CognitoSessionError extends Error {
  /** The code of this class's errors. */
  static readonly code: ErrorCode = "ERR_COGNITO_SESSION";
  /** A stable, machine-readable code. */
  readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = (new.target as { code: string }).code;
  }

  static {
    Object.defineProperty(CognitoSessionError.prototype, BRAND, { value: true });
  }

  /** By code, so an error made by another copy of the library is still recognised. */
  // `this` is the class `instanceof` asks about (a subclass too), not CognitoSessionError.
  // biome-ignore-start lint/complexity/noThisInStatic: the subclass's own code is what is matched
  static override [Symbol.hasInstance](value: unknown): boolean {
    // A subclass of the app's own, with no code of its own, is matched the ordinary way.
    if (!Object.hasOwn(this, "code")) return Function.prototype[Symbol.hasInstance].call(this, value);
    return isCode(value, this.code);
  }
  // biome-ignore-end lint/complexity/noThisInStatic: the subclass's own code is what is matched
}

/** The configuration is missing a setting or has an invalid one; names the setting. */
export class ConfigError extends CognitoSessionError {
  static override readonly code: ErrorCode = "ERR_CONFIG";
  declare readonly code: "ERR_CONFIG";
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
  static override readonly code: ErrorCode = "ERR_TOKEN_INVALID";
}

/** The token is not a compact JWS with JSON-object header and payload, or is too large or nested. */
export class MalformedTokenError extends InvalidTokenError {
  static override readonly code: ErrorCode = "ERR_TOKEN_MALFORMED";
  declare readonly code: "ERR_TOKEN_MALFORMED";
}

/** What an expired token's error keeps of its claims: those of the verified token (see `TokenExpiredError.claims`). */
export interface ExpiredClaims {
  readonly sub: string;
  readonly iat: number;
  readonly exp: number;
  readonly [claim: string]: unknown;
}

/** The token is well formed and correctly signed, but past its `exp`. */
export class TokenExpiredError extends InvalidTokenError {
  static override readonly code: ErrorCode = "ERR_TOKEN_EXPIRED";
  declare readonly code: "ERR_TOKEN_EXPIRED";
  readonly #claims: ExpiredClaims | undefined;
  constructor(message: string, claims?: ExpiredClaims) {
    super(message);
    this.#claims = claims;
  }
  /**
   * The expired token's claims, checked in every way but expiry (the last check made), for
   * what may still be read of an expired token: whose it was. A getter, so logging or
   * serializing the error shows none of them.
   */
  get claims(): ExpiredClaims | undefined {
    return this.#claims;
  }
}

/** The signature does not verify, or the header asks for anything but RS256 with a known key. */
export class InvalidSignatureError extends InvalidTokenError {
  static override readonly code: ErrorCode = "ERR_TOKEN_SIGNATURE";
  declare readonly code: "ERR_TOKEN_SIGNATURE";
}

/** A claim is missing or has the wrong value; `claim` names it. */
export class InvalidClaimError extends InvalidTokenError {
  static override readonly code: ErrorCode = "ERR_TOKEN_CLAIM";
  declare readonly code: "ERR_TOKEN_CLAIM";
  constructor(
    readonly claim: string,
    message: string,
  ) {
    super(message);
  }
}

/** The pool's JWKS could not be fetched and no keys are cached. Callers answer 503. */
export class JwksUnavailableError extends CognitoSessionError {
  static override readonly code: ErrorCode = "ERR_JWKS_UNAVAILABLE";
  declare readonly code: "ERR_JWKS_UNAVAILABLE";
}

/** Cognito could not be reached or answered with a server error; retry later. */
export class CognitoUnavailableError extends CognitoSessionError {
  static override readonly code: ErrorCode = "ERR_COGNITO_UNAVAILABLE";
}

/**
 * The session store (Redis) could not be reached in time. A subclass of
 * CognitoUnavailableError on purpose: every path that answers 503 and keeps the cookies
 * when Cognito is unreachable does the same when the store is.
 */
export class StoreUnavailableError extends CognitoUnavailableError {
  static override readonly code: ErrorCode = "ERR_STORE_UNAVAILABLE";
  declare readonly code: "ERR_STORE_UNAVAILABLE";
}

/** A server-side session was deleted (signed out) while this request was refreshing it. */
export class SessionEndedError extends CognitoSessionError {
  static override readonly code: ErrorCode = "ERR_SESSION_ENDED";
  declare readonly code: "ERR_SESSION_ENDED";
}

/**
 * A session's tokens are too large to keep in cookies, even without the ID token (see
 * `MAX_SESSION_COOKIE_BYTES`): sign-in fails with a page that says so, and a refresh that
 * would need more ends the session. Keep sessions on the server (`sessions: "server"`).
 */
export class SessionTooLargeError extends CognitoSessionError {
  static override readonly code: ErrorCode = "ERR_SESSION_TOO_LARGE";
  declare readonly code: "ERR_SESSION_TOO_LARGE";
}

/** Cognito refused the request (e.g. `NotAuthorizedException`, `invalid_grant`). */
export class CognitoRejectedError extends CognitoSessionError {
  static override readonly code: ErrorCode = "ERR_COGNITO_REJECTED";
  declare readonly code: "ERR_COGNITO_REJECTED";
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
  static override readonly code: ErrorCode = "ERR_NO_SESSION_SCOPE";
  declare readonly code: "ERR_NO_SESSION_SCOPE";
}

/**
 * Thrown by `requireScope()` and friends when there is no session. Inside `withAuth` it
 * becomes a 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
 */
export class NotSignedInError extends CognitoSessionError {
  static override readonly code: ErrorCode = "ERR_NOT_SIGNED_IN";
  declare readonly code: "ERR_NOT_SIGNED_IN";
  readonly status = 401;
}

/**
 * Thrown by `requireScope()` and friends when the session lacks a scope or group. Inside
 * `withAuth` it becomes a 403 with `error="insufficient_scope"`.
 */
export class AccessDeniedError extends CognitoSessionError {
  static override readonly code: ErrorCode = "ERR_ACCESS_DENIED";
  declare readonly code: "ERR_ACCESS_DENIED";
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
