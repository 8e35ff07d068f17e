import { createCognitoSession } from "next-cognito-session";
import { RedisStore } from "next-cognito-session/redis";

// With REDIS_URL the sessions live in Redis (the browser holds a sealed id) and every
// instance shares one refresh per session and global sign-outs. node-redis needs Node:
// run the app with proxy.ts (Next 16), not Edge middleware.ts.
if (process.env.REDIS_URL && process.env.NEXT_RUNTIME === "edge") {
  throw new Error("REDIS_URL: the Redis store runs on Node only; use proxy.ts instead of Edge middleware.ts");
}

/** The app's one session object: configured from the COGNITO_* / SESSION_SECRET / APP_URL env. */
export const auth = createCognitoSession<{ "custom:tenant"?: string }>({
  protect: {
    "/dashboard/:path*": {},
    "/admin/:path*": { groups: ["admins"] },
  },
  // Sign-out revokes the refresh token; the dashboard also offers "sign out everywhere".
  signOut: { levels: ["local", "revoke", "global"] },
  // The embedded Cognito puts no `nonce` in its ID tokens; real Cognito does, and is checked.
  dev: { allowMissingNonce: process.env.COGNITO_LOCAL === "1" },
  // The runtime check lets the Edge build leave the Redis store out altogether.
  ...(process.env.REDIS_URL && process.env.NEXT_RUNTIME !== "edge" ? { store: new RedisStore({ url: process.env.REDIS_URL }) } : {}),
});
