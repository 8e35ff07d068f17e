import type { CognitoSessionOptions } from "../config/options.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import { attachCore, configureCore } from "../session/core.ts";
import { createPasswordApi, type PasswordApi } from "./password-api.ts";
import { type AccountApi, createAccountApi } from "./account-api.ts";
import { type AuthMiddleware, createMiddleware } from "./middleware.ts";
import { refreshCurrentSession } from "./next-cookies.ts";
import { createServerApi, type ServerApi } from "./server-api.ts";
import type { CustomAttributes, OnlyCustom, Session } from "../session/session.ts";

/** The object an app configures once (`auth.ts`) and uses everywhere. */
export interface CognitoSession<Custom extends CustomAttributes> extends ServerApi<Custom>, PasswordApi, AccountApi<Custom> {
  /** The validated configuration. */
  readonly config: ResolvedConfig;
  /**
   * Export as `middleware` from `middleware.ts`, or as `proxy` from `proxy.ts`; or call it
   * with a handler of your own to compose: `auth.middleware((request, { session }) => …)`.
   * For Edge `middleware.ts`, `createCognitoMiddleware` from `next-cognito-session/middleware`
   * builds the same middleware without the server APIs, for a smaller bundle.
   */
  readonly middleware: AuthMiddleware<Custom>;
  /**
   * In a server action or route handler, which may set cookies: the current request's
   * session, refreshed when it is due, the new cookies written through `next/headers`.
   * The middleware normally refreshes first; this covers requests it did not see. Never
   * from a server component (Next refuses cookie writes there): use `getServerSession()`.
   */
  refreshSession(): Promise<Session<Custom> | null>;
}

/**
 * Create the session object for one app. Reads the `COGNITO_*`, `SESSION_SECRET` and
 * `APP_URL` environment variables unless `options` sets them, and throws a ConfigError
 * naming the setting when one is missing or invalid.
 *
 * @typeParam Custom the pool's custom attributes, e.g. `{ "custom:tenant"?: string }`.
 */
export function createCognitoSession<Custom extends CustomAttributes & OnlyCustom<Custom> = CustomAttributes>(
  options: CognitoSessionOptions = {},
): CognitoSession<Custom> {
  const core = configureCore(options);
  return attachCore(core, {
    config: core.config,
    middleware: createMiddleware<Custom>(core),
    ...createServerApi<Custom>(core),
    ...createPasswordApi(core),
    ...createAccountApi<Custom>(core),
    refreshSession: () => refreshCurrentSession<Custom>(core),
  });
}
