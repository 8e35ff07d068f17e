import { InvalidClaimError, TokenExpiredError } from "../lib/errors.ts";

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

/** A NumericDate claim, when present, must be a finite number: a string there is refused, never coerced. */
function checkNumber(value: unknown, claim: string): void {
  if (value !== undefined && !(typeof value === "number" && Number.isFinite(value))) {
    throw new InvalidClaimError(claim, `${claim} must be a number`);
  }
}

/** A text claim, when present, must be a string. */
function checkText(value: unknown, claim: string): void {
  if (value !== undefined && typeof value !== "string") throw new InvalidClaimError(claim, `${claim} must be a string`);
}

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
  // Each claim read by its own name, not by a loop over names: a named read is a fraction of a keyed one.
  checkNumber(payload.exp, "exp");
  checkNumber(payload.iat, "iat");
  checkNumber(payload.nbf, "nbf");
  checkNumber(payload.auth_time, "auth_time");
  checkText(payload.sub, "sub");
  checkText(payload.iss, "iss");
  checkText(payload.jti, "jti");
  checkText(payload.username, "username");
  checkText(payload["cognito:username"], "cognito:username");
  checkText(payload.scope, "scope");
  checkText(payload.client_id, "client_id");
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
export function checkExpiry(claims: CommonClaims, nowSeconds: number, tolerance: number): void {
  if (expired(claims, nowSeconds, tolerance)) throw new TokenExpiredError("token expired", claims);
}

/** Whether `exp` is more than `tolerance` seconds past. */
export function expired(claims: Pick<CommonClaims, "exp">, nowSeconds: number, tolerance: number): boolean {
  return nowSeconds >= lapsesAt(claims, tolerance);
}

/** The moment (seconds since the epoch) from which {@link expired} holds. */
export function lapsesAt(claims: Pick<CommonClaims, "exp">, tolerance: number): number {
  return claims.exp + tolerance;
}
