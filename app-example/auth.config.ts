import type { CognitoSessionOptions } from "next-cognito-session";

// With REDIS_URL, auth.ts adds the Redis store: sessions then live in Redis, which Edge code
// cannot reach, so every part of the example that reads sessions runs on Node (proxy.ts,
// route handlers, pages). Edge code reading sessions would see only a session id cookie it
// does not own and clear it, signing everyone out: refused here, where Edge code loads the options.
if (process.env.REDIS_URL && process.env.NEXT_RUNTIME === "edge") {
  throw new Error("REDIS_URL: sessions held in Redis are read on Node only; use proxy.ts, not an Edge middleware.ts or Edge routes");
}

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
    "/files/:path*": {},
  },
  // Sign-out revokes the refresh token; the dashboard also offers "sign out everywhere".
  signOut: { levels: ["local", "revoke", "global"] },
  // The embedded Cognito puts no `nonce` in its ID tokens; real Cognito does, and is checked.
  dev: { allowMissingNonce: process.env.COGNITO_LOCAL === "1" },
} satisfies CognitoSessionOptions;
