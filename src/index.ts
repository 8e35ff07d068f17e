export { createCognitoSession, type CognitoSession } from "./create.ts";
export type { AuthMiddleware, MiddlewareHandler } from "./middleware/middleware.ts";
export type { CognitoSessionOptions, SignOutLevel } from "./config/options.ts";
export type {
  NewPasswordInput,
  PasswordApi,
  PasswordFailure,
  PasswordSignInInput,
  PasswordSignInResult,
} from "./flows/password.ts";
export { safeReturnTo } from "./flows/return-to.ts";
export type { ResolvedConfig } from "./config/resolve.ts";
export type { Secret } from "./config/secret.ts";
export type { AccessRule, Decision } from "./session/authorize.ts";
export { authorize } from "./session/authorize.ts";
export {
  getAccessToken,
  type CustomAttributes,
  type Session,
  type SessionUser,
  type StandardAttributes,
} from "./session/session.ts";
export type { AccessTokenClaims, IdTokenClaims, TokenUse } from "./verify/verifier.ts";
export type { AuthContext, AuthedHandler } from "./server/with-auth.ts";
export type { RequireSessionOptions, ServerApi } from "./server/server-api.ts";
export {
  AccessDeniedError,
  CognitoRejectedError,
  CognitoSessionError,
  CognitoUnavailableError,
  ConfigError,
  InvalidClaimError,
  InvalidSignatureError,
  InvalidTokenError,
  isCode,
  type ErrorCode,
  JwksUnavailableError,
  MalformedTokenError,
  NotSignedInError,
  SessionEndedError,
  SessionScopeError,
  SessionTooLargeError,
  StoreUnavailableError,
  TokenExpiredError,
} from "./errors.ts";
export { MemoryStore } from "./store/memory.ts";
export type { SessionStore } from "./store/store.ts";
