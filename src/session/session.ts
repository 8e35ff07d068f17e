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

/** `C` with every key that lacks the `custom:` prefix mapped to `never`, so such a key fails to compile. */
export type OnlyCustom<C> = { [K in keyof C]: K extends `custom:${string}` ? C[K] : never };

/**
 * The signed-in person: `sub`, `username`, `email` and `groups`, then every other attribute
 * the ID token carries, standard and `custom:*`, typed by the factory's generic.
 */
export type SessionUser<Custom extends CustomAttributes = CustomAttributes> = Readonly<
  StandardAttributes &
    Custom & {
      /** Stable user id (`sub`). */
      sub: string;
      /** Cognito username (`username` / `cognito:username`). */
      username: string;
      email: string | undefined;
      /** Cognito groups, in the order the token lists them. */
      groups: readonly string[];
    }
>;

/**
 * A verified session, frozen. Built from the access token (scopes, groups, expiry) and, for
 * people, the ID token (attributes). Tokens are not fields: use `getAccessToken()` on the server.
 */
export interface Session<Custom extends CustomAttributes = CustomAttributes> {
  /** The person, or null for a machine-to-machine (client credentials) token. */
  readonly user: SessionUser<Custom> | null;
  /** OAuth scopes of the access token. */
  readonly scopes: readonly string[];
  /** Cognito groups (empty for machine clients). */
  readonly groups: readonly string[];
  /** When the access token lapses; the middleware refreshes before then. */
  readonly expiresAt: Date;
  /** The issuing user pool's `iss`, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123`. */
  readonly issuer: string;
  /** The issuing user pool's id, as configured (`userPoolId` or one of `pools`). */
  readonly userPoolId: string;
  /** The app client the tokens were issued to. */
  readonly clientId: string;
}

/** The configured user pool a session was verified against, as the app that read it knows it. */
export interface SessionPool {
  /** The pool's id as configured (`userPoolId`, or one of the `pools` option). */
  readonly userPoolId: string;
  /** Whether it is the app's own pool, the one people sign in to. */
  readonly own: boolean;
}

// Kept on the session, hidden (not enumerable, so not copied, printed or serialized), under a
// registered symbol: every module copy of the library reads the same key.
const POOL = Symbol.for("next-cognito-session.pool");

/** The pool `session` was verified against; undefined for an object no app's reader built. */
export function poolOf(session: Session<CustomAttributes>): SessionPool | undefined {
  return (session as unknown as { [POOL]?: SessionPool })[POOL];
}

// The access token is kept on the session the same way: hidden, so it is not copied
// (spread, structuredClone), printed, serialized (JSON, React's server-to-client payload)
// or handed to a client component, and found by every module copy of the library, where a
// table of sessions would know only the sessions its own copy built.
const ACCESS_TOKEN = Symbol.for("next-cognito-session.access-token");

/** The raw access token behind `session`, for calling downstream APIs from the server. */
export function getAccessToken(session: Session<CustomAttributes>): string {
  const token = (session as unknown as { [ACCESS_TOKEN]?: unknown })[ACCESS_TOKEN];
  if (typeof token !== "string") throw new TypeError("not a session created by next-cognito-session");
  return token;
}

const RESERVED_ID_CLAIMS = new Set([
  "sub",
  "iss",
  "aud",
  "exp",
  "iat",
  "auth_time",
  "token_use",
  "jti",
  "origin_jti",
  "event_id",
  "nonce",
  "at_hash",
  "cognito:username",
  "cognito:groups",
  "cognito:roles",
  "cognito:preferred_role",
  "identities",
]);

/** A session's fields but its expiry. */
type SessionParts = Omit<Session<CustomAttributes>, "expiresAt">;

/**
 * Build the session from verified claims. The session cache hands the same object to every
 * request that sends the same cookies, so nothing can alter it: it is frozen, its parts are
 * frozen, and `expiresAt` is a getter that makes a new Date at every read (freezing a Date
 * does not stop `setTime`), so no reader can change what another sees.
 */
export function toSession<Custom extends CustomAttributes>(
  accessToken: string,
  access: AccessTokenClaims,
  id: IdTokenClaims | undefined,
  /** The configured pool whose issuer `access.iss` is; a session without one counts no groups or scopes. */
  pool?: SessionPool,
): Session<Custom> {
  const { user, scopes, groups, issuer, userPoolId, clientId } = buildParts(access, id);
  const exp = access.exp;
  const session = {
    user: user as SessionUser<Custom> | null,
    scopes,
    groups,
    get expiresAt() {
      return new Date(exp * 1000);
    },
    issuer,
    userPoolId: pool?.userPoolId ?? userPoolId,
    clientId,
  } satisfies Session<Custom>;
  if (pool !== undefined) Object.defineProperty(session, POOL, { value: pool });
  Object.defineProperty(session, ACCESS_TOKEN, { value: accessToken });
  return Object.freeze(session);
}

function buildParts(access: AccessTokenClaims, id: IdTokenClaims | undefined): SessionParts {
  const groups: readonly string[] = Object.freeze(access["cognito:groups"] ?? id?.["cognito:groups"] ?? []);
  const username = access.username ?? id?.["cognito:username"];
  let user: SessionUser | null = null;
  if (username !== undefined) {
    const attributes: Record<string, unknown> = {};
    if (id && id.sub === access.sub) {
      for (const [claim, value] of Object.entries(id)) {
        if (!RESERVED_ID_CLAIMS.has(claim)) attributes[claim] = value;
      }
    }
    const email = typeof attributes.email === "string" ? attributes.email : undefined;
    // Our fields last: no attribute can stand in for the verified sub, username or groups.
    user = Object.freeze({ ...attributes, sub: access.sub, username, email, groups }) as SessionUser;
  }
  return {
    user,
    scopes: Object.freeze(access.scope ? access.scope.split(" ").filter(Boolean) : []),
    groups,
    issuer: access.iss,
    userPoolId: access.iss.slice(access.iss.lastIndexOf("/") + 1),
    clientId: access.client_id,
  };
}
