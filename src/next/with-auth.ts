import type { Core } from "../session/core.ts";
import { privateResponse, withCookies } from "../http/responses.ts";
import { type Refusal, refusalOf, refusalOfError, refusalResponse } from "../http/refusal.ts";
import { refreshFailedUpstream } from "../http/handoff.ts";
import type { AccessRule } from "../config/options.ts";
import type { CookieChanges } from "../persistence/changes.ts";
import { checkRule } from "../session/authorize.ts";
import type { CustomAttributes, Session } from "../session/session.ts";
import { sessionOfRequest } from "../session/request-session.ts";
import { headersOf, isPagesResponse, markPrivate, type PagesRequest, type PagesResponse, sendResponse, writeCookiesTo } from "./pages-router.ts";
import type { Scope, SessionState } from "./scope.ts";

/** What a protected route handler receives next to the request. */
export type AuthContext<Custom extends CustomAttributes, Ctx> = Ctx & { session: Session<Custom> };

export type AuthedHandler<Custom extends CustomAttributes, Ctx> = (request: Request, context: AuthContext<Custom, Ctx>) => Response | Promise<Response>;

/**
 * A `pages/api` handler protected by `withAuth`: Next's `req` and `res` (NextApiRequest,
 * NextApiResponse), and the session that met the rule.
 */
export type PagesApiHandler<Custom extends CustomAttributes, Req extends PagesRequest, Res extends PagesResponse> = (
  req: Req,
  res: Res,
  context: PagesApiContext<Custom>,
) => unknown;

/** What a protected `pages/api` handler receives after `req` and `res`. */
export interface PagesApiContext<Custom extends CustomAttributes> {
  session: Session<Custom>;
}

/**
 * Wrap a handler so it runs only with a session meeting `rule`: the cookie session
 * (refreshed when it has lapsed) or a Bearer access token. Answers 401 / 403 with an
 * RFC 6750 `WWW-Authenticate` challenge otherwise, and 503 naming the service (the user
 * pool's keys, Cognito, the session store) when one could not be reached.
 * The handler runs in the session's scope, so `requireScope()` works anywhere below it;
 * what it throws is answered with the same 401 / 403.
 *
 * - An App Router route handler, `(request, { session, ...context }) => Response`: every
 *   answer is the requester's own: `Vary: Cookie, Authorization`, and `Cache-Control:
 *   private, no-store` unless the handler set `no-store` or `private` itself (a `public` or
 *   `s-maxage` one is replaced).
 * - A `pages/api` handler, `(req: NextApiRequest, res: NextApiResponse, { session }) => …`:
 *   the same answers, written through `res`; the handler starts with the refreshed cookies,
 *   `Vary` and `Cache-Control: private, no-store` already set on `res`.
 */
export interface WithAuth<Custom extends CustomAttributes> {
  <Ctx = unknown>(
    rule: AccessRule,
    // The third parameter is never passed to a route handler. TypeScript types a handler's
    // unannotated parameters from the first overload it tries, this one, and keeps them:
    // it lets `(req: NextApiRequest, res: NextApiResponse, { session }) => …` have its session typed.
    handler: (request: Request, context: AuthContext<Custom, Ctx>, pages: PagesApiContext<Custom>) => Response | Promise<Response>,
  ): (request: Request, context: Ctx) => Promise<Response>;
  <Req extends PagesRequest, Res extends PagesResponse>(rule: AccessRule, handler: PagesApiHandler<Custom, Req, Res>): (req: Req, res: Res) => Promise<void>;
}

/** What a request comes to under a rule: refused, or admitted with its session. */
type Admission<Custom extends CustomAttributes> =
  | { refusal: Refusal; changes: CookieChanges }
  | { refusal: undefined; session: Session<Custom>; changes: CookieChanges };

export function createWithAuth<Custom extends CustomAttributes>(core: Core, scope: Scope<SessionState<Custom>>): WithAuth<Custom> {
  /** The session of a request under `rule`, refreshed when due, or how the request is refused. */
  async function admit(rule: AccessRule, headers: Headers): Promise<Admission<Custom>> {
    // Refreshed when due, unless the middleware already tried for this request and failed:
    // what it found stands, no session or the outage it names (a 503, as it would have answered).
    const upstream = refreshFailedUpstream(headers);
    const read = await sessionOfRequest<Custom>(core, headers, { refresh: upstream === undefined });
    const { session, changes } = read;
    const unavailable = read.unavailable ?? (session === null ? upstream?.unavailable : undefined);
    const refusal = refusalOf({ session, unavailable }, [rule], "api");
    return refusal ? { refusal, changes } : { refusal: undefined, session: session!, changes };
  }

  /**
   * Run `fn` in the session's scope. What it throws that stands for a refusal
   * (`requireScope()`…) is returned as one, unless `answered` says the answer has begun.
   */
  async function inScope<R>(
    rule: AccessRule,
    session: Session<Custom>,
    headers: Headers,
    changes: CookieChanges,
    fn: () => R,
    answered = () => false,
  ): Promise<{ value: Awaited<R> } | { refusal: Refusal }> {
    try {
      const state = { session, unavailable: undefined, headers, changes, ...(rule.pools ? { pools: rule.pools } : {}) };
      return { value: await scope.run(state, fn) };
    } catch (error) {
      const refusal = refusalOfError(error);
      if (!refusal || answered()) throw error;
      return { refusal };
    }
  }

  async function route<Ctx>(rule: AccessRule, handler: AuthedHandler<Custom, Ctx>, request: Request, context: Ctx): Promise<Response> {
    const admission = await admit(rule, request.headers);
    if (admission.refusal) return withCookies(refusalResponse(admission.refusal, core.config), admission.changes);
    const { session, changes } = admission;
    const result = await inScope(rule, session, request.headers, changes, () => handler(request, { ...(context as Ctx), session }));
    const response = "refusal" in result ? refusalResponse(result.refusal, core.config) : result.value;
    // One user's answer: never for a shared cache, whatever the handler asked for (privateResponse).
    return withCookies(privateResponse(response), changes);
  }

  async function pages(rule: AccessRule, handler: PagesApiHandler<Custom, PagesRequest, PagesResponse>, req: PagesRequest, res: PagesResponse): Promise<void> {
    const headers = headersOf(req);
    const admission = await admit(rule, headers);
    if (admission.refusal) return sendResponse(res, withCookies(refusalResponse(admission.refusal, core.config), admission.changes));
    const { session, changes } = admission;
    // Before the handler writes anything: the cookies and cache headers withAuth gives every answer.
    markPrivate(res);
    writeCookiesTo(res, changes);
    const result = await inScope(
      rule,
      session,
      headers,
      changes,
      () => handler(req, res, { session }),
      () => res.headersSent === true,
    );
    if ("refusal" in result) await sendResponse(res, refusalResponse(result.refusal, core.config));
  }

  return function withAuth(rule: AccessRule, handler: AuthedHandler<Custom, unknown> | PagesApiHandler<Custom, PagesRequest, PagesResponse>) {
    checkRule("withAuth", rule, core.config.pools);
    // Next calls a route handler with (Request, { params }), a pages/api handler with (req, res).
    return (first: Request | PagesRequest, second: unknown) =>
      isPagesResponse(second)
        ? pages(rule, handler as PagesApiHandler<Custom, PagesRequest, PagesResponse>, first as PagesRequest, second)
        : route(rule, handler as AuthedHandler<Custom, unknown>, first as Request, second);
  } as WithAuth<Custom>;
}
