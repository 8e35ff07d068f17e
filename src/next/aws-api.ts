import type { AwsCredentials } from "../cognito/identity.ts";
import { ConfigError, NotSignedInError } from "../lib/errors.ts";
import { parseCookieHeader } from "../persistence/jar.ts";
import { applyToJar, type CookieChanges } from "../persistence/changes.ts";
import type { StoredTokens } from "../persistence/tokens.ts";
import type { TokenSource } from "../session/aws-credentials.ts";
import type { Core } from "../session/core.ts";
import { sessionOfRequest } from "../session/request-session.ts";
import type { CustomAttributes } from "../session/session.ts";
import { writeCookieChanges } from "./next-cookies.ts";
import type { Scope, SessionState } from "./scope.ts";

/**
 * AWS credentials as AWS SDK v3 clients take them (`AwsCredentialIdentity` of
 * `@smithy/types`), typed here so that the library needs no SDK at run time.
 */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** A credential provider as AWS SDK v3 clients take it: `new S3Client({ credentials })`. */
export type AwsCredentialIdentityProvider = (identityProperties?: Record<string, unknown>) => Promise<AwsCredentialIdentity>;

/** What `getAwsCredentials` and `awsCredentials` accept. */
export interface AwsCredentialsOptions {
  /**
   * Without a session, the credentials of the app's guest (unauthenticated) identity
   * instead of NotSignedInError; the identity pool must allow guests. A signed-in user
   * always gets their own. The guest identity is one for the whole app.
   */
  guest?: boolean;
}

/** The identity-pool APIs; members of the object `createCognitoSession` returns. */
export interface AwsApi {
  /**
   * The current session's temporary AWS credentials from the identity pool
   * (`COGNITO_IDENTITY_POOL_ID`), in server components, route handlers, server actions and
   * inside `runWithSession`. Cached per user until five minutes before they lapse, and
   * fetched once for every request asking meanwhile. Throws NotSignedInError without a
   * session, CognitoUnavailableError when Cognito cannot be reached, a ConfigError when
   * the identity pool is missing or does not trust this user pool. Never send them to the browser.
   */
  getAwsCredentials(options?: AwsCredentialsOptions): Promise<AwsCredentials>;
  /**
   * A credential provider for AWS SDK v3 clients: `new S3Client({ credentials: auth.awsCredentials() })`.
   * It resolves the session of the request it is called in. SDK clients keep what their
   * provider returned until it lapses, so make the client in the request (per user), never
   * one shared at module level.
   */
  awsCredentials(options?: AwsCredentialsOptions): AwsCredentialIdentityProvider;
}

/** The identity-pool APIs over `scope`, the server APIs' session scope. */
export function createAwsApi<Custom extends CustomAttributes>(core: Core, scope: Scope<SessionState<Custom>>): AwsApi {
  async function getAwsCredentials({ guest = false }: AwsCredentialsOptions = {}): Promise<AwsCredentials> {
    const service = core.credentials;
    if (!service) throw new ConfigError("COGNITO_IDENTITY_POOL_ID", "is required for getAwsCredentials() and awsCredentials()");
    const scoped = scope.getStore();
    const headers = scoped?.headers ?? (await requestHeaders());
    const state = scoped ?? (await sessionOfRequest<Custom>(core, headers, { refresh: false }));
    const { session } = state;
    if (session === null) {
      if (state.unavailable) throw state.unavailable;
      if (guest) return service.forGuest();
      throw new NotSignedInError("no session");
    }
    if (session.user === null) throw new NotSignedInError("a machine client has no identity in an identity pool");
    const owner = { issuer: session.issuer, sub: session.user.sub };
    // Before the cache: whether a Bearer caller is served must not hang on another request having filled it.
    if (/^bearer(?:\s|$)/i.test(headers.get("authorization") ?? "")) {
      throw new NotSignedInError("a Bearer access token carries no ID token to exchange for AWS credentials");
    }
    const cached = service.cached(owner);
    if (cached) return cached;
    return service.forUser(owner, cookieTokens(core, headers, owner.sub, scoped?.changes));
  }

  return {
    getAwsCredentials,
    awsCredentials: (options) => () => getAwsCredentials(options),
  };
}

/** The tokens behind the request's session cookies; refreshed ones are written back where the request allows it. */
function cookieTokens(core: Core, headers: Headers, sub: string, changes: CookieChanges | undefined): TokenSource {
  const jar = parseCookieHeader(headers.get("cookie"));
  // A refresh earlier in this request (withAuth) wrote newer cookies than the request sent.
  if (changes) applyToJar(jar, changes);
  return {
    async tokens(): Promise<StoredTokens> {
      const read = await core.reader.fromCookies(jar);
      if (read.status === "unavailable") throw read.error;
      if (read.status !== "valid" || read.session.user?.sub !== sub) throw new NotSignedInError("no session");
      return read.tokens;
    },
    async keep(tokens: StoredTokens): Promise<void> {
      const changes = await core.storage.write(jar, tokens);
      // A route handler or server action keeps the new cookies; a server component cannot
      // set any (Next throws), and the middleware refreshes on the next request.
      await writeCookieChanges(changes).catch(() => {});
    },
  };
}

async function requestHeaders(): Promise<Headers> {
  const { headers } = await import("next/headers.js");
  return (await headers()) as Headers;
}
