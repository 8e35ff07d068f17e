import { errors as joseErrors, jwtVerify, type JWTHeaderParameters } from "jose";
import {
  CognitoSessionError,
  InvalidClaimError,
  InvalidSignatureError,
  InvalidTokenError,
  TokenExpiredError,
} from "../errors.ts";
import type { JwksCache } from "./jwks.ts";
import { Lru } from "./lru.ts";

/** Which slot a token is verified for; must equal its `token_use`. */
export type TokenUse = "access" | "id";

/** Claims every Cognito token carries after verification. */
export interface CommonClaims {
  sub: string;
  iss: string;
  exp: number;
  iat: number;
  token_use: TokenUse;
  auth_time?: number;
  jti?: string;
  origin_jti?: string;
  event_id?: string;
  "cognito:groups"?: string[];
  [claim: string]: unknown;
}

/** A verified Cognito access token. */
export interface AccessTokenClaims extends CommonClaims {
  token_use: "access";
  client_id: string;
  /** Space-separated scopes. */
  scope?: string;
  /** Absent on machine-to-machine (client credentials) tokens. */
  username?: string;
}

/** A verified Cognito ID token. */
export interface IdTokenClaims extends CommonClaims {
  token_use: "id";
  aud: string;
  "cognito:username"?: string;
  email?: string;
  email_verified?: boolean;
  nonce?: string;
}

export type ClaimsFor<U extends TokenUse> = U extends "access" ? AccessTokenClaims : IdTokenClaims;

export interface VerifierOptions {
  /** The exact expected `iss`. */
  issuer: string;
  /** App client ids accepted in `client_id` (access) and `aud` (ID). */
  clientIds: readonly string[];
  jwks: JwksCache;
  /** Seconds of tolerance for `exp`, `nbf` and `iat`. */
  clockTolerance: number;
  /** Verified tokens kept; default 10 000. */
  cacheSize?: number;
}

// Header parameters that would let a token choose its own key; never honoured.
const KEY_CARRYING_HEADERS = ["jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256"] as const;

/**
 * Verifies Cognito access and ID tokens for one user pool. Verified claims are kept in
 * an LRU keyed by the whole token string, so a second read of the same token is a map
 * lookup plus an expiry check. Tokens that fail are never cached.
 */
export class TokenVerifier {
  readonly #cache: Lru<string, CommonClaims>;

  constructor(readonly options: VerifierOptions) {
    this.#cache = new Lru(options.cacheSize ?? 10_000);
  }

  /** Verify `token` for the `use` slot; throws an {@link InvalidTokenError} subclass. */
  async verify<U extends TokenUse>(token: string, use: U): Promise<ClaimsFor<U>> {
    const cached = this.#cache.get(token);
    if (cached !== undefined) {
      if (cached.token_use !== use) throw new InvalidClaimError("token_use", `expected a ${use} token`);
      if (cached.exp + this.options.clockTolerance <= Date.now() / 1000) {
        this.#cache.delete(token);
        throw new TokenExpiredError("token expired");
      }
      return cached as ClaimsFor<U>;
    }
    const claims = await this.#verifyCold(token, use);
    this.#cache.set(token, claims);
    return claims;
  }

  async #verifyCold<U extends TokenUse>(token: string, use: U): Promise<ClaimsFor<U>> {
    const { issuer, clientIds, jwks, clockTolerance } = this.options;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(
        token,
        (header: JWTHeaderParameters) => {
          if (header.alg !== "RS256") throw new InvalidSignatureError("only RS256 is accepted");
          if (KEY_CARRYING_HEADERS.some((name) => name in header)) {
            throw new InvalidSignatureError("the token header names its own key");
          }
          if (typeof header.kid !== "string" || header.kid === "") {
            throw new InvalidSignatureError("the token header has no kid");
          }
          return jwks.getKey(header.kid);
        },
        {
          algorithms: ["RS256"],
          issuer,
          clockTolerance,
          requiredClaims: ["exp", "iat", "token_use", "sub"],
        },
      ));
    } catch (error) {
      throw translate(error);
    }
    if (payload.token_use !== use) throw new InvalidClaimError("token_use", `expected a ${use} token`);
    if (typeof payload.sub !== "string") throw new InvalidClaimError("sub", "sub must be a string");
    if (typeof payload.iat !== "number") throw new InvalidClaimError("iat", "iat must be a number");
    if (use === "access") {
      if (typeof payload.client_id !== "string" || !clientIds.includes(payload.client_id)) {
        throw new InvalidClaimError("client_id", "the token was issued to another client");
      }
      if (payload.scope !== undefined && typeof payload.scope !== "string") {
        throw new InvalidClaimError("scope", "scope must be a string");
      }
    } else if (typeof payload.aud !== "string" || !clientIds.includes(payload.aud)) {
      throw new InvalidClaimError("aud", "the token was issued to another client");
    }
    const groups = payload["cognito:groups"];
    if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === "string"))) {
      throw new InvalidClaimError("cognito:groups", "cognito:groups must be an array of strings");
    }
    // Cached claims are shared between callers: freeze them so none can alter another's view.
    if (Array.isArray(groups)) Object.freeze(groups);
    return Object.freeze(payload) as ClaimsFor<U>;
  }
}

/** Map jose's errors onto ours; anything unexpected becomes a generic invalid token. */
function translate(error: unknown): CognitoSessionError {
  if (error instanceof CognitoSessionError) return error;
  if (error instanceof joseErrors.JWTExpired) return new TokenExpiredError("token expired");
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return new InvalidClaimError(error.claim, `invalid ${error.claim} claim`);
  }
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JOSEAlgNotAllowed ||
    error instanceof joseErrors.JOSENotSupported
  ) {
    return new InvalidSignatureError("signature verification failed");
  }
  return new InvalidTokenError("malformed token");
}
