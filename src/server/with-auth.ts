import type { Core } from "../core.ts";
import { bearerError, withCookies } from "../http/responses.ts";
import { type AccessRule, authorize } from "../session/authorize.ts";
import type { CustomAttributes, Session } from "../session/session.ts";
import { sessionOfRequest } from "./request-session.ts";

/** What a protected route handler receives next to the request. */
export type AuthContext<Custom extends CustomAttributes, Ctx> = Ctx & { session: Session<Custom> };

export type AuthedHandler<Custom extends CustomAttributes, Ctx> = (
  request: Request,
  context: AuthContext<Custom, Ctx>,
) => Response | Promise<Response>;

/**
 * Wrap a route handler so it runs only with a session meeting `rule`: the cookie session
 * (refreshed when it has lapsed) or a Bearer access token. Answers 401 / 403 with an
 * RFC 6750 `WWW-Authenticate` challenge otherwise, and 503 when keys cannot be fetched.
 */
export function createWithAuth<Custom extends CustomAttributes>(core: Core) {
  const realm = core.config.appUrl.host;
  return function withAuth<Ctx = unknown>(rule: AccessRule, handler: AuthedHandler<Custom, Ctx>) {
    return async (request: Request, context: Ctx): Promise<Response> => {
      const { session, changes, unavailable } = await sessionOfRequest<Custom>(core, request.headers, { refresh: true });
      if (unavailable) {
        const response = Response.json({ error: "unavailable" }, { status: 503, headers: { "retry-after": "5" } });
        return withCookies(response, changes);
      }
      const decision = authorize(session, rule);
      if (!decision.allowed) {
        if (decision.reason === "unauthenticated") return withCookies(bearerError(401, realm, "invalid_token"), changes);
        const scope = (rule.scopes ?? []).join(" ");
        return withCookies(bearerError(403, realm, "insufficient_scope", scope ? { scope } : {}), changes);
      }
      const response = await handler(request, { ...(context as Ctx), session: session! });
      return withCookies(response, changes);
    };
  };
}
