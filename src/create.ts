import type { CognitoSessionOptions } from "./config/options.ts";
import { resolveConfig, type ResolvedConfig } from "./config/resolve.ts";
import { type Core, createCore } from "./core.ts";
import { parseCookieHeader } from "./cookies/jar.ts";
import { createMiddleware } from "./middleware/middleware.ts";
import { createWithAuth } from "./server/with-auth.ts";
import { resolveSession } from "./session/resolve.ts";
import type { CustomAttributes, Session } from "./session/session.ts";

/** The object an app configures once (`auth.ts`) and uses everywhere. */
export interface CognitoSession<Custom extends CustomAttributes> {
  /** The validated configuration. */
  readonly config: ResolvedConfig;
  /** Export as `middleware` from `middleware.ts`, or as `proxy` from `proxy.ts`. */
  readonly middleware: ReturnType<typeof createMiddleware>;
  /**
   * The current request's session in a server component, route handler or server action,
   * verified from the request's own cookies; null when signed out.
   */
  getServerSession(): Promise<Session<Custom> | null>;
  /** Protect a route handler by scope or group; accepts the cookie session or a Bearer token. */
  readonly withAuth: ReturnType<typeof createWithAuth<Custom>>;
  /** Internals shared by the parts above; for the testing kit and advanced use. */
  readonly core: Core;
}

/**
 * Create the session object for one app. Reads the `COGNITO_*`, `SESSION_SECRET` and
 * `APP_URL` environment variables unless `options` sets them, and throws a ConfigError
 * naming the setting when one is missing or invalid.
 *
 * @typeParam Custom the pool's custom attributes, e.g. `{ "custom:tenant"?: string }`.
 */
export function createCognitoSession<Custom extends CustomAttributes = CustomAttributes>(
  options: CognitoSessionOptions = {},
): CognitoSession<Custom> {
  const core = createCore(resolveConfig(options));
  return {
    config: core.config,
    core,
    middleware: createMiddleware(core),
    withAuth: createWithAuth<Custom>(core),
    async getServerSession() {
      // Loaded lazily: next/headers only exists inside a Next request.
      const { headers } = await import("next/headers");
      const jar = parseCookieHeader((await headers()).get("cookie"));
      // Server components cannot set cookies, so no refresh here: the middleware did it.
      return (await resolveSession<Custom>(core, jar, { refresh: false })).session;
    },
  };
}
