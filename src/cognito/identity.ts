import { type CognitoRejectedError, CognitoUnavailableError, ConfigError, isCode } from "../lib/errors.ts";
import { callJsonApi, IDENTITY_POOLS } from "./json-api.ts";

/** Where and how the Cognito Identity JSON API is called. */
export interface IdentityApiOptions {
  /** `https://cognito-identity.<region>.amazonaws.com/`, or an emulator's loopback URL. */
  endpoint: URL;
  /** The identity pool, `<region>:<uuid>`. */
  identityPoolId: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * Temporary AWS credentials of one Cognito identity, in the shape AWS SDK v3 clients take
 * (`AwsCredentialIdentity`) plus the identity they belong to.
 */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** When the credentials lapse; they are replaced some minutes before. */
  readonly expiration: Date;
  /** The Cognito identity, `<region>:<uuid>`: stable per user and identity pool. */
  readonly identityId: string;
}

/** `Logins` of an authenticated call: the user pool's provider name and the ID token. */
export type Logins = Readonly<Record<string, string>>;

/** `<region>:<uuid>`, as Cognito spells identity pool and identity ids (at most 55 characters). */
export const IDENTITY_ID = /^[\w-]{1,16}:[0-9a-f-]{1,40}$/;

/**
 * The `Logins` key of a user pool: its issuer without the scheme, as Cognito names user
 * pool providers (`cognito-idp.<region>.amazonaws.com/<pool id>`).
 */
export function providerName(issuer: string): string {
  return issuer.replace(/^https?:\/\//, "");
}

/**
 * Call one action of the Cognito Identity JSON API with plain `fetch` (no AWS SDK, nothing
 * Node-only). GetId and GetCredentialsForIdentity are unsigned: the ID token in `Logins`
 * is the proof. Throws:
 * - {@link CognitoUnavailableError} on timeouts, network errors, 5xx and throttling;
 * - {@link ConfigError} naming `COGNITO_IDENTITY_POOL_ID` when the pool does not exist;
 * - {@link CognitoRejectedError} for any other refusal (`NotAuthorizedException`, …),
 *   for the caller to judge.
 */
export async function callIdentity<T>(options: IdentityApiOptions, action: "GetId" | "GetCredentialsForIdentity", body: object): Promise<T> {
  try {
    return await callJsonApi<T>(options, IDENTITY_POOLS, action, body);
  } catch (error) {
    if (action === "GetId" && isCode(error, "ERR_COGNITO_REJECTED") && (error as CognitoRejectedError).type === "ResourceNotFoundException") {
      throw new ConfigError(
        "COGNITO_IDENTITY_POOL_ID",
        `names no identity pool that ${options.endpoint.origin} knows (ResourceNotFoundException): check the id, and that COGNITO_IDENTITY_ENDPOINT is the pool's region`,
      );
    }
    throw error;
  }
}

/** The identity of a user (`logins`) or, without them, a new guest identity, in the configured pool. */
export async function getId(options: IdentityApiOptions, logins?: Logins): Promise<string> {
  const out = await callIdentity<{ IdentityId?: unknown }>(options, "GetId", {
    IdentityPoolId: options.identityPoolId,
    ...(logins ? { Logins: logins } : {}),
  });
  if (typeof out.IdentityId !== "string" || !IDENTITY_ID.test(out.IdentityId)) {
    throw new CognitoUnavailableError("Cognito Identity GetId answered without an identity id");
  }
  return out.IdentityId;
}

/** Temporary credentials of `identityId`; `logins` for an authenticated identity, none for a guest. */
export async function getCredentialsForIdentity(options: IdentityApiOptions, identityId: string, logins?: Logins): Promise<AwsCredentials> {
  const out = await callIdentity<unknown>(options, "GetCredentialsForIdentity", {
    IdentityId: identityId,
    ...(logins ? { Logins: logins } : {}),
  });
  const credentials = parseCredentials(out, identityId);
  if (!credentials) throw new CognitoUnavailableError("Cognito Identity GetCredentialsForIdentity answered without usable credentials");
  return credentials;
}

/**
 * The credentials in a GetCredentialsForIdentity answer, or undefined unless it is exactly
 * usable: the identity asked for, three non-empty strings, and an expiration (epoch seconds,
 * as the JSON protocol sends timestamps) still ahead. Never a partial value.
 */
export function parseCredentials(body: unknown, identityId: string, nowMs = Date.now()): AwsCredentials | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { IdentityId, Credentials } = body as { IdentityId?: unknown; Credentials?: unknown };
  if (IdentityId !== identityId || typeof Credentials !== "object" || Credentials === null) return undefined;
  const { AccessKeyId, SecretKey, SessionToken, Expiration } = Credentials as Record<string, unknown>;
  if (!isField(AccessKeyId, 16, 128) || !isField(SecretKey, 16, 256) || !isField(SessionToken, 16, 8192)) return undefined;
  // Rounded to the millisecond, as the AWS SDK reads epoch-seconds timestamps.
  const expiresMs = typeof Expiration === "number" ? Math.round(Expiration * 1000) : Number.NaN;
  if (!Number.isFinite(expiresMs) || expiresMs <= nowMs || expiresMs > 8.64e15) return undefined;
  return { accessKeyId: AccessKeyId, secretAccessKey: SecretKey, sessionToken: SessionToken, expiration: new Date(expiresMs), identityId };
}

/** A printable ASCII string of `min`–`max` characters: what AWS key ids, secrets and session tokens are. */
function isField(value: unknown, min: number, max: number): value is string {
  return typeof value === "string" && value.length >= min && value.length <= max && /^[\x21-\x7e]+$/.test(value);
}
