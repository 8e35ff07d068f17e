import type { Core } from "../session/core.ts";
import { AccessDeniedError, NotSignedInError, SessionScopeError } from "../lib/errors.ts";
import { safeReturnTo } from "../lib/return-to.ts";
import { privateResponse, signInPageUrl } from "../http/responses.ts";
import { refusalOf } from "../http/refusal.ts";
import { PATH_HEADER, refreshFailedUpstream } from "../http/handoff.ts";
import type { AccessRule } from "../config/options.ts";
import { authorize, checkRule } from "../session/authorize.ts";
import type { CustomAttributes, Session } from "../session/session.ts";
import { sessionOfRequest } from "../session/request-session.ts";
import { createScope, type SessionState } from "./scope.ts";
import { type AwsApi, createAwsApi } from "./aws-api.ts";
import { createWithAuth, type WithAuth } from "./with-auth.ts";
import { type ClientSession, toClientSession } from "../session/client-session.ts";
import { headersOf, type PagesRequest, type PagesResponse, writeCookiesTo } from "./pages-router.ts";

/** What `requireSession` accepts: an access rule, and where to come back to after signing in. */
export interface RequireSessionOptions extends AccessRule {
  /** Path to return to after sign-in. Default: the path the middleware saw, else `/`. */
  returnTo?: string;
}

/** The server-side session APIs; all of them are members of the object `createCognitoSession` returns. */
export interface ServerApi<Custom extends CustomAttributes> extends AwsApi {
  /** Protect a route handler by scope or group; accepts the cookie session or a Bearer token. */
  readonly withAuth: WithAuth<Custom>;
  /**
   * The session of the current request in a server component, route handler or server
   * action: the enclosing `runWithSession` scope's, else verified from the request's own
   * cookies or Bearer token. Null when signed out. Cheap to call many times: the tokens of
   * a request are verified once. Never refreshes (server components cannot set cookies); the middleware does.
   */
  getServerSession(): Promise<Session<Custom> | null>;
  /**
   * Pages Router: the session of `req` in `getServerSideProps` (`context.req`, `context.res`)
   * or a `pages/api` handler, verified from its own cookies or Bearer token, and refreshed
   * when due: the new cookies are appended to `res`'s `Set-Cookie` (those already set stay),
   * with `Cache-Control: private, no-store`. Null when signed out; unreadable cookies are cleared.
   */
  getServerSession(req: PagesRequest, res: PagesResponse): Promise<Session<Custom> | null>;
  /**
   * The current request's session as client components may see it (claims, groups, scopes,
   * expiry; no token), for `<SessionProvider session={await auth.getClientSession()}>` from
   * `next-cognito-session/client` in a layout. Null when signed out.
   */
  getClientSession(): Promise<ClientSession<Custom> | null>;
  /**
   * Run `fn` with the session in an async-local scope, so `currentSession()`,
   * `requireScope()` and `requireGroup()` work anywhere below it without passing it
   * around. The session comes from `request` (cookies or Bearer token) or, without one,
   * from the current Next request. In a server component, wrap the code that loads data:
   * child components render after `fn` returns, outside the scope. A `Response` that `fn`
   * returns gets the cache headers `withAuth` gives its answers.
   */
  runWithSession<R>(fn: (session: Session<Custom> | null) => R): Promise<Awaited<R>>;
  runWithSession<R>(request: Request | undefined, fn: (session: Session<Custom> | null) => R): Promise<Awaited<R>>;
  /** The session of the enclosing `runWithSession` / `withAuth` scope; throws SessionScopeError outside one. */
  currentSession(): Session<Custom> | null;
  /**
   * The scope's session if its access token carries every one of `scopes`. Throws
   * NotSignedInError or AccessDeniedError otherwise, which `withAuth` answers with 401 / 403.
   */
  requireScope(...scopes: string[]): Session<Custom>;
  /** The scope's session if the user is in every one of `groups`; throws like `requireScope`. */
  requireGroup(...groups: string[]): Session<Custom>;
  /**
   * Guard a page, layout or server action: returns the session when it meets `rule`,
   * redirects to the sign-in page (`signInPage`, coming back to the current path) when
   * there is none, and renders Next's forbidden page (`forbidden()`, needs
   * `experimental.authInterrupts`) when the signed-in user may not see it. When the session
   * cannot be checked, throws the outage itself (JwksUnavailableError, CognitoUnavailableError,
   * or StoreUnavailableError for the session store), for the app's error boundary.
   */
  requireSession(rule?: RequireSessionOptions): Promise<Session<Custom>>;
}

/**
 * The server-side session APIs of one configured app. Every read verifies the request's own
 * cookies or Bearer token (never a header some other code set); the session cache makes every read after the first a lookup.
 */
export function createServerApi<Custom extends CustomAttributes>(core: Core): ServerApi<Custom> {
  const scope = createScope<SessionState<Custom>>();
  /**
   * The session of a request. Asking again in the same request costs a cache lookup: the
   * reader keeps each session read by the cookies sent for it, and requests reading the
   * same cookies at once share one read.
   */
  async function read(headers: Headers): Promise<SessionState<Custom>> {
    // Read-only: pages cannot set cookies; the middleware and withAuth do the refreshing.
    const { session, unavailable } = await sessionOfRequest<Custom>(core, headers, { refresh: false });
    return { session, unavailable };
  }

  /** The enclosing scope's session, else the current Next request's. */
  async function stateOfRequest(): Promise<SessionState<Custom>> {
    const current = scope.getStore();
    if (current) return current;
    const { headers } = await import("next/headers.js");
    return read((await headers()) as Headers);
  }

  function currentSession(): Session<Custom> | null {
    const current = scope.getStore();
    if (!current) throw new SessionScopeError("currentSession() and requireScope() work inside runWithSession() or withAuth() only");
    return current.session;
  }

  /** `session` if it meets `rule`; throws NotSignedInError or AccessDeniedError otherwise. */
  /** Inside `withAuth({ pools })`, the checks below it count the same pools its rule did. */
  function enclosingPools(): { pools?: string[] } {
    const pools = scope.getStore()?.pools;
    return pools ? { pools: [...pools] } : {};
  }

  function demand(session: Session<Custom> | null, rule: AccessRule): Session<Custom> {
    const decision = authorize(session, rule);
    if (decision.allowed) return session!;
    if (decision.reason === "unauthenticated") throw new NotSignedInError("no session");
    throw new AccessDeniedError(rule.scopes ?? [], decision.missingScopes, decision.missingGroups);
  }

  return {
    withAuth: createWithAuth<Custom>(core, scope),
    ...createAwsApi<Custom>(core, scope),

    async getServerSession(...args: [] | [PagesRequest, PagesResponse]): Promise<Session<Custom> | null> {
      if (args.length === 0) return (await stateOfRequest()).session;
      const [req, res] = args;
      const headers = headersOf(req);
      // No second try when the middleware's refresh of this request failed; no writes once the answer has begun.
      const refresh = refreshFailedUpstream(headers) === undefined && res.headersSent !== true;
      const { session, changes } = await sessionOfRequest<Custom>(core, headers, { refresh });
      if (!res.headersSent) writeCookiesTo(res, changes);
      return session;
    },

    async getClientSession(): Promise<ClientSession<Custom> | null> {
      const { session } = await stateOfRequest();
      return session === null ? null : toClientSession(session);
    },

    async runWithSession<R>(
      ...args: [(session: Session<Custom> | null) => R] | [Request | undefined, (session: Session<Custom> | null) => R]
    ): Promise<Awaited<R>> {
      const [request, fn] = args.length === 1 ? [undefined, args[0]] : args;
      const state = request ? { ...(await read(request.headers)), headers: request.headers } : await stateOfRequest();
      const result = await scope.run(state, () => fn(state.session));
      // A route handler's answer built in the scope is the requester's own, as withAuth's are.
      return (result instanceof Response ? privateResponse(result) : result) as Awaited<R>;
    },

    currentSession,

    requireScope(...scopes: string[]): Session<Custom> {
      return demand(currentSession(), { scopes, ...enclosingPools() });
    },

    requireGroup(...groups: string[]): Session<Custom> {
      return demand(currentSession(), { groups, ...enclosingPools() });
    },

    async requireSession(rule: RequireSessionOptions = {}): Promise<Session<Custom>> {
      checkRule("requireSession", rule, core.config.pools);
      const { session, unavailable } = await stateOfRequest();
      // A page: sent to sign in, or forbidden; an outage is thrown as it is, for the app's error boundary.
      const refusal = refusalOf({ session, unavailable }, [rule], "page");
      if (!refusal) return session!;
      if (refusal.kind === "unavailable") throw refusal.outage;
      const { redirect, forbidden } = await import("next/navigation.js");
      if (refusal.kind !== "sign-in") return forbidden();
      const signIn = signInPageUrl(core.config, safeReturnTo(rule.returnTo ?? (await pathOfRequest()), core.config.appUrl));
      return redirect(`${signIn.pathname}${signIn.search}`);
    },
  };
}

/** The path the middleware handed on, if this runs inside a Next request that went through it. */
async function pathOfRequest(): Promise<string | null> {
  try {
    const { headers } = await import("next/headers.js");
    return (await headers()).get(PATH_HEADER);
  } catch {
    return null;
  }
}
