import { createCognitoMiddleware } from "next-cognito-session/middleware";
import { authOptions, type Custom } from "./auth.config";

// The middleware alone: the Edge bundle leaves out the server APIs auth.ts carries.
export const middleware = createCognitoMiddleware<Custom>(authOptions);

export const config = {
  matcher: ["/((?!_next/static|_next/image|favicon.ico).*)"],
};
