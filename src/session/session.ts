import type { AccessTokenClaims, IdTokenClaims } from "../verify/verifier.ts";

/** Standard OpenID Connect attributes a Cognito ID token may carry. */
export interface StandardAttributes {
  email?: string;
  email_verified?: boolean;
  phone_number?: string;
  phone_number_verified?: boolean;
  name?: string;
  given_name?: string;
  family_name?: string;
  middle_name?: string;
  nickname?: string;
  preferred_username?: string;
  picture?: string;
  profile?: string;
  website?: string;
  gender?: string;
  birthdate?: string;
  zoneinfo?: string;
  locale?: string;
  address?: { formatted?: string };
  updated_at?: number;
}

/** Custom attributes a pool defines: keys must start with `custom:`. */
export type CustomAttributes = { [K in `custom:${string}`]?: string | number | boolean };

/** The signed-in person. */
export interface SessionUser<Custom extends CustomAttributes = CustomAttributes> {
  /** Stable user id (`sub`). */
  sub: string;
  /** Cognito username (`username` / `cognito:username`). */
  username: string;
  email: string | undefined;
  /** Cognito groups, in the order the token lists them. */
  groups: readonly string[];
  /** Every attribute from the ID token, standard and `custom:*`, typed by the factory's generic. */
  attributes: StandardAttributes & Custom;
}

/**
 * A verified session. Built from the access token (scopes, groups, expiry) and, for people,
 * the ID token (attributes). Tokens are not fields: use `getAccessToken()` on the server.
 */
export interface Session<Custom extends CustomAttributes = CustomAttributes> {
  /** The person, or null for a machine-to-machine (client credentials) token. */
  user: SessionUser<Custom> | null;
  /** OAuth scopes of the access token. */
  scopes: readonly string[];
  /** Cognito groups (empty for machine clients). */
  groups: readonly string[];
  /** When the access token lapses; the middleware refreshes before then. */
  expiresAt: Date;
  /** The issuing user pool (`iss`). */
  issuer: string;
  /** The app client the tokens were issued to. */
  clientId: string;
}

// Tokens stay off the session object so it can be passed to client components without
// leaking them; the server-only accessor reads them from here.
const accessTokens = new WeakMap<Session<any>, string>();

/** The raw access token behind `session`, for calling downstream APIs from the server. */
export function getAccessToken(session: Session<any>): string {
  const token = accessTokens.get(session);
  if (token === undefined) throw new TypeError("not a session created by next-cognito-session");
  return token;
}

const RESERVED_ID_CLAIMS = new Set([
  "sub", "iss", "aud", "exp", "iat", "auth_time", "token_use", "jti", "origin_jti",
  "event_id", "nonce", "at_hash", "cognito:username", "cognito:groups", "cognito:roles",
  "cognito:preferred_role", "identities",
]);

/** Build the session from verified claims. */
export function toSession<Custom extends CustomAttributes>(
  accessToken: string,
  access: AccessTokenClaims,
  id: IdTokenClaims | undefined,
): Session<Custom> {
  const groups = access["cognito:groups"] ?? id?.["cognito:groups"] ?? [];
  const username = access.username ?? id?.["cognito:username"];
  let user: SessionUser<Custom> | null = null;
  if (username !== undefined) {
    const attributes: Record<string, unknown> = {};
    if (id && id.sub === access.sub) {
      for (const [claim, value] of Object.entries(id)) {
        if (!RESERVED_ID_CLAIMS.has(claim)) attributes[claim] = value;
      }
    }
    user = {
      sub: access.sub,
      username,
      email: typeof attributes.email === "string" ? attributes.email : undefined,
      groups,
      attributes: attributes as StandardAttributes & Custom,
    };
  }
  const session: Session<Custom> = {
    user,
    scopes: access.scope ? access.scope.split(" ").filter(Boolean) : [],
    groups,
    expiresAt: new Date(access.exp * 1000),
    issuer: access.iss,
    clientId: access.client_id,
  };
  accessTokens.set(session, accessToken);
  return session;
}
