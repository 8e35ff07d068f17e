import type { CustomAttributes, Session, SessionUser } from "./session.ts";

/**
 * What client components may know of a session: the user's claims, groups, scopes and
 * expiry. No token of any kind, nothing sealed, no secret: it is sent to the browser, in
 * the server-rendered props of `<SessionProvider>` and by `GET <basePath>/session`.
 */
export interface ClientSession<Custom extends CustomAttributes = CustomAttributes> {
  /** The person's claims from the ID token (sub, username, email, groups, attributes); null for a machine client. */
  readonly user: SessionUser<Custom> | null;
  /** Cognito groups. */
  readonly groups: readonly string[];
  /** OAuth scopes of the access token. */
  readonly scopes: readonly string[];
  /** When the access token lapses, in milliseconds since the epoch; the provider refetches shortly after. */
  readonly expiresAt: number;
}

/**
 * The answer of `GET <basePath>/session` and of `auth.getClientSession()`: the signed-in
 * view, or `{ status: "signed-out" }`.
 */
export type SessionAnswer<Custom extends CustomAttributes = CustomAttributes> =
  | { readonly status: "signed-in"; readonly session: ClientSession<Custom> }
  | { readonly status: "signed-out" };

/**
 * The one place a session becomes its client view. Built field by field from what the
 * session shows, never by copying it: the access token the session keeps hidden, and any
 * field added to `Session` later, stay on the server unless listed here.
 */
export function toClientSession<Custom extends CustomAttributes>(session: Session<Custom>): ClientSession<Custom> {
  return {
    // A plain copy of the user's enumerable claims: what JSON and React's payload would send anyway.
    user: session.user === null ? null : ({ ...session.user, groups: [...session.user.groups] } as SessionUser<Custom>),
    groups: [...session.groups],
    scopes: [...session.scopes],
    expiresAt: session.expiresAt.getTime(),
  };
}

/** The {@link SessionAnswer} for `session`. */
export function sessionAnswer<Custom extends CustomAttributes>(session: Session<Custom> | null): SessionAnswer<Custom> {
  return session === null ? { status: "signed-out" } : { status: "signed-in", session: toClientSession(session) };
}
