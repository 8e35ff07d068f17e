// `next-cognito-session/middleware`: the middleware alone, for Edge `middleware.ts`.
// Nothing here reaches the server APIs (next/headers, next/navigation and the React they
// pull in), so the Edge bundle carries only what the middleware runs.
import type { CognitoSessionOptions } from "./config/options.ts";
import { configureCore } from "./session/core.ts";
import type { CustomAttributes, OnlyCustom } from "./session/session.ts";
import { type AuthMiddleware, createMiddleware } from "./next/middleware.ts";

/**
 * The same middleware as `createCognitoSession(options).middleware`, built without the
 * rest of the session object. Give it the options `auth.ts` uses (share them from one
 * module, e.g. `auth.config.ts`): export the result as `middleware`, or call it with a
 * handler to compose: `createCognitoMiddleware(options)((request, { session }) => …)`.
 *
 * For Node `proxy.ts` prefer `auth.middleware`: it shares the app's one object (its
 * store, caches and refreshes in flight) with the server components of the same process.
 *
 * @typeParam Custom the pool's custom attributes, as given to `createCognitoSession`.
 */
export function createCognitoMiddleware<Custom extends CustomAttributes & OnlyCustom<Custom> = CustomAttributes>(
  options: CognitoSessionOptions = {},
): AuthMiddleware<Custom> {
  return createMiddleware<Custom>(configureCore(options));
}

export type { AuthMiddleware, MiddlewareHandler } from "./next/middleware.ts";
export type { CognitoSessionOptions } from "./config/options.ts";
export type { CustomAttributes, Session } from "./session/session.ts";
