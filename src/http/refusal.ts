import type { AccessRule } from "../config/options.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import { type AccessDeniedError, isCode, type Outage } from "../lib/errors.ts";
import { authorizeAll } from "../session/authorize.ts";
import type { CustomAttributes, Session } from "../session/session.ts";
import { challenge, errorPage, privateResponse, redirect, rewrite, signInPageUrl, unavailable } from "./responses.ts";

/**
 * Who is asking: a person's browser opening a page (see `wantsPage`), or code fetching
 * data (an API client, a route handler's caller, an RSC fetch, a server action).
 */
export type Audience = "page" | "api";

/**
 * How a request that may not go on is answered:
 * - `unavailable`: 503, a page or JSON by `audience`, naming the service that could not be reached;
 * - `sign-in`: a page without a session, 307 to the sign-in page, coming back afterwards;
 * - `forbidden-page`: a page the session may not open, a 403 page (the app's `forbiddenPage`, rendered in place, when set);
 * - `challenge`: data, the RFC 6750 401 `invalid_token` without a session, or 403
 *   `insufficient_scope` naming `scopes` when the session falls short.
 *
 * Code is never sent to sign in, and a person never gets a bare challenge.
 */
export type Refusal =
  | { kind: "unavailable"; outage: Outage; audience: Audience }
  | { kind: "sign-in" }
  | { kind: "forbidden-page" }
  | { kind: "challenge"; reason: "unauthenticated" | "forbidden"; scopes: readonly string[] };

/** What a request's session came to: the session, or the outage that kept it from being checked. */
export interface SessionOutcome {
  session: Session<CustomAttributes> | null;
  unavailable: Outage | undefined;
}

/**
 * The one decision on a request that `rules` cover (the middleware's matching `protect`
 * rules, `withAuth`'s rule, `requireSession`'s): undefined when it goes on, else how it is
 * refused. Every rule must hold; an outage is answered before anything else, since the
 * session could not be checked either way. No rules, nothing to refuse.
 */
export function refusalOf(outcome: SessionOutcome, rules: readonly AccessRule[], audienceOf: Audience | (() => Audience)): Refusal | undefined {
  if (rules.length === 0) return undefined;
  // A function when working the audience out costs something: asked only for a refusal.
  const audience = () => (typeof audienceOf === "function" ? audienceOf() : audienceOf);
  if (outcome.unavailable) return { kind: "unavailable", outage: outcome.unavailable, audience: audience() };
  const decision = authorizeAll(outcome.session, rules);
  if (decision.allowed) return undefined;
  if (audience() === "api") return { kind: "challenge", reason: decision.reason, scopes: [...new Set(rules.flatMap((rule) => rule.scopes ?? []))] };
  return decision.reason === "unauthenticated" ? { kind: "sign-in" } : { kind: "forbidden-page" };
}

/**
 * The refusal an error thrown by `requireScope()` and friends stands for, inside a route
 * handler (data): NotSignedInError a 401, AccessDeniedError a 403 naming the scopes its
 * check asked for. Undefined for any other error.
 */
export function refusalOfError(error: unknown): Refusal | undefined {
  if (isCode(error, "ERR_NOT_SIGNED_IN")) return { kind: "challenge", reason: "unauthenticated", scopes: [] };
  if (isCode(error, "ERR_ACCESS_DENIED")) return { kind: "challenge", reason: "forbidden", scopes: (error as AccessDeniedError).requiredScopes };
  return undefined;
}

/**
 * The response for `refusal`, computed from the request's credentials and so the
 * requester's own (`Vary: Cookie, Authorization`, `Cache-Control: private, no-store`).
 * `returnTo`, the path and query asked for, is where a page sent to sign in comes back to.
 */
export function refusalResponse(refusal: Refusal, config: ResolvedConfig, returnTo = "/"): Response {
  return privateResponse(build(refusal, config, returnTo));
}

function build(refusal: Refusal, config: ResolvedConfig, returnTo: string): Response {
  switch (refusal.kind) {
    case "unavailable":
      return unavailable(
        refusal.outage,
        refusal.audience === "page" ? { title: "Temporarily unavailable", action: "Sign-in cannot be checked", signInPath: config.signInPage } : undefined,
      );
    case "sign-in":
      return redirect(signInPageUrl(config, returnTo), 307);
    case "forbidden-page":
      // The app's own page when it names one, so the refusal looks like the rest of the app.
      if (config.forbiddenPage !== undefined) return rewrite(config, config.forbiddenPage, 403);
      return errorPage(403, "Forbidden", "Your account may not open this page.", config.signInPage);
    case "challenge":
      return challenge(config.appUrl.host, refusal.reason, refusal.scopes);
  }
}
