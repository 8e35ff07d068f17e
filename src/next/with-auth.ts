import type { Core } from "../session/core.ts";
import { privateResponse, withCookies } from "../http/responses.ts";
import { refusalOf, refusalOfError, refusalResponse } from "../http/refusal.ts";
import { refreshFailedUpstream } from "../http/handoff.ts";
import type { AccessRule } from "../config/options.ts";
import { checkRule } from "../session/authorize.ts";
import type { CustomAttributes, Session } from "../session/session.ts";
import { sessionOfRequest } from "../session/request-session.ts";
import type { Scope, SessionState } from "./scope.ts";

/** What a protected route handler receives next to the request. */
export type AuthContext<Custom extends CustomAttributes, Ctx> = Ctx & { session: Session<Custom> };

export type AuthedHandler<Custom extends CustomAttributes, Ctx> = (request: Request, context: AuthContext<Custom, Ctx>) => Response | Promise<Response>;

/**
 * Wrap a route handler so it runs only with a session meeting `rule`: the cookie session
 * (refreshed when it has lapsed) or a Bearer access token. Answers 401 / 403 with an
 * RFC 6750 `WWW-Authenticate` challenge otherwise, and 503 naming the service (the user
 * pool's keys, Cognito, the session store) when one could not be reached.
 * The handler runs in the session's scope, so `requireScope()` works anywhere below it;
 * what it throws is answered with the same 401 / 403. Every answer is the requester's own:
 * `Vary: Cookie, Authorization`, and `Cache-Control: private, no-store` unless the handler
 * set `no-store` or `private` itself (a `public` or `s-maxage` one is replaced).
 */
export function createWithAuth<Custom extends CustomAttributes>(core: Core, scope: Scope<SessionState<Custom>>) {
  return function withAuth<Ctx = unknown>(rule: AccessRule, handler: AuthedHandler<Custom, Ctx>) {
    checkRule("withAuth", rule, core.config.pools);
    return async (request: Request, context: Ctx): Promise<Response> => {
      // Refreshed when due, unless the middleware already tried for this request and failed:
      // what it found stands, no session or the outage it names (a 503, as it would have answered).
      const upstream = refreshFailedUpstream(request.headers);
      const read = await sessionOfRequest<Custom>(core, request.headers, { refresh: upstream === undefined });
      const { session, changes } = read;
      const unavailable = read.unavailable ?? (session === null ? upstream?.unavailable : undefined);
      const refusal = refusalOf({ session, unavailable }, [rule], "api");
      if (refusal) return withCookies(refusalResponse(refusal, core.config), changes);
      let response: Response;
      try {
        const state = { session, unavailable: undefined, headers: request.headers, ...(rule.pools ? { pools: rule.pools } : {}) };
        response = await scope.run(state, () => handler(request, { ...(context as Ctx), session: session! }));
      } catch (error) {
        const thrown = refusalOfError(error);
        if (!thrown) throw error;
        response = refusalResponse(thrown, core.config);
      }
      // One user's answer: never for a shared cache, whatever the handler asked for (privateResponse).
      return withCookies(privateResponse(response), changes);
    };
  };
}
