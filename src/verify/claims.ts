import { InvalidClaimError, TokenExpiredError } from "../errors.ts";

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

/** Claims read as numbers (NumericDate); a string there is refused, never coerced. */
const NUMERIC = ["exp", "iat", "nbf", "auth_time"] as const;
/** Claims read as strings when present. */
const TEXT = ["sub", "iss", "jti", "username", "cognito:username", "scope", "client_id"] as const;

/**
 * Check a signature-verified payload for the `use` slot of a pool whose app clients are
 * `clientIds`: types, `token_use`, `client_id` (access) or `aud` (ID), and the times
 * with `tolerance` seconds of clock skew. `iss` was matched before the signature was.
 */
export function checkClaims<U extends TokenUse>(
  payload: Readonly<Record<string, unknown>>,
  use: U,
  clientIds: ReadonlySet<string>,
  nowSeconds: number,
  tolerance: number,
): ClaimsFor<U> {
  for (const claim of NUMERIC) {
    const value = payload[claim];
    if (value !== undefined && !(typeof value === "number" && Number.isFinite(value))) {
      throw new InvalidClaimError(claim, `${claim} must be a number`);
    }
  }
  for (const claim of TEXT) {
    const value = payload[claim];
    if (value !== undefined && typeof value !== "string") throw new InvalidClaimError(claim, `${claim} must be a string`);
  }
  if (payload.token_use !== use) throw new InvalidClaimError("token_use", `expected a ${use} token`);
  if (typeof payload.sub !== "string" || payload.sub === "") throw new InvalidClaimError("sub", "sub is required");
  if (payload.exp === undefined) throw new InvalidClaimError("exp", "exp is required");
  if (payload.iat === undefined) throw new InvalidClaimError("iat", "iat is required");
  if ((payload.iat as number) > nowSeconds + tolerance) throw new InvalidClaimError("iat", "issued in the future");
  if (payload.nbf !== undefined && (payload.nbf as number) > nowSeconds + tolerance) {
    throw new InvalidClaimError("nbf", "not valid yet");
  }
  const audience = use === "access" ? "client_id" : "aud";
  const client = payload[audience];
  if (typeof client !== "string" || !clientIds.has(client)) {
    throw new InvalidClaimError(audience, "the token was issued to another client");
  }
  const groups = payload["cognito:groups"];
  if (groups !== undefined && !(Array.isArray(groups) && groups.every((g) => typeof g === "string"))) {
    throw new InvalidClaimError("cognito:groups", "cognito:groups must be an array of strings");
  }
  checkExpiry(payload as CommonClaims, nowSeconds, tolerance);
  return payload as ClaimsFor<U>;
}

/** Throws {@link TokenExpiredError} once `exp` is more than `tolerance` seconds past. */
export function checkExpiry(claims: Pick<CommonClaims, "exp">, nowSeconds: number, tolerance: number): void {
  if (expired(claims, nowSeconds, tolerance)) throw new TokenExpiredError("token expired");
}

/** Whether `exp` is more than `tolerance` seconds past. */
export function expired(claims: Pick<CommonClaims, "exp">, nowSeconds: number, tolerance: number): boolean {
  return claims.exp <= nowSeconds - tolerance;
}
