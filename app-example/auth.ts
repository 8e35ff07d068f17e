import { createCognitoSession } from "next-cognito-session";

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
});
