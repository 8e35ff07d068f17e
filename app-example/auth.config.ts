import type { CognitoSessionOptions } from "next-cognito-session";

// Loads in every runtime. With REDIS_URL, auth.ts adds the Redis store on Node only:
// sessions then live in Redis, which Edge code cannot reach, so with REDIS_URL every part
// of the example that reads sessions runs on Node (proxy.ts, route handlers, pages).

/** The pool's custom attributes, typed for both entry points. */
export type Custom = { "custom:tenant"?: string };

/**
 * The options of the app's session object (auth.ts), which proxy.ts uses; an Edge
 * middleware.ts would pass them to `createCognitoMiddleware` itself. The COGNITO_* /
 * SESSION_SECRET / APP_URL environment fills in the rest.
 */
export const authOptions = {
  protect: {
    "/dashboard/:path*": {},
    "/admin/:path*": { groups: ["admins"] },
  },
  // Sign-out revokes the refresh token; the dashboard also offers "sign out everywhere".
  signOut: { levels: ["local", "revoke", "global"] },
  // The embedded Cognito puts no `nonce` in its ID tokens; real Cognito does, and is checked.
  dev: { allowMissingNonce: process.env.COGNITO_LOCAL === "1" },
} satisfies CognitoSessionOptions;
