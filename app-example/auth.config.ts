import type { CognitoSessionOptions } from "next-cognito-session";

// With REDIS_URL the sessions live in Redis (auth.ts adds the store), which needs Node:
// run the app with proxy.ts (Next 16), not Edge middleware.ts. Checked here, the module
// both auth.ts and an Edge middleware.ts load.
if (process.env.REDIS_URL && process.env.NEXT_RUNTIME === "edge") {
  throw new Error("REDIS_URL: the Redis store runs on Node only; use proxy.ts instead of Edge middleware.ts");
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
  },
  // Sign-out revokes the refresh token; the dashboard also offers "sign out everywhere".
  signOut: { levels: ["local", "revoke", "global"] },
  // The embedded Cognito puts no `nonce` in its ID tokens; real Cognito does, and is checked.
  dev: { allowMissingNonce: process.env.COGNITO_LOCAL === "1" },
} satisfies CognitoSessionOptions;
