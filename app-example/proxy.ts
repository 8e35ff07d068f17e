import { auth } from "./auth";

// Next 16's convention: proxy.ts, on Node. The same middleware as Edge `middleware.ts`
// (Next 15, or 16 with a deprecation notice), where `createCognitoMiddleware` from
// "next-cognito-session/middleware" keeps the server APIs out of the Edge bundle.
export const proxy = auth.middleware;

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
