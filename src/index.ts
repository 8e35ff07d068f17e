export { createCognitoSession, type CognitoSession } from "./next/create.ts";
export type { AuthMiddleware, MiddlewareHandler } from "./next/middleware.ts";
export type { CognitoSessionOptions, SignOutLevel } from "./config/options.ts";
export type {
  RefreshEvent,
  RefreshFailedEvent,
  RefreshFailure,
  SessionEndedEvent,
  SessionEndReason,
  SessionEventMap,
  SessionEventName,
  SessionEvents,
  SignInEvent,
  SignOutEvent,
  SignOutStep,
  TokenRejectedEvent,
} from "./config/events.ts";
export type { Logger, LogFields, LogLevel } from "./config/logger.ts";
export type {
  NewPasswordInput,
  PasswordFailure,
  PasswordSignInInput,
  PasswordSignInResult,
} from "./flows/password.ts";
export type { PasswordApi } from "./next/password-api.ts";
export type { AccountApi, AttributeInput } from "./next/account-api.ts";
export type { FailureReason, Failed } from "./flows/failures.ts";
export type { Challenge, ChallengeAnswer, ChallengeName, MfaType, SignInFailed, SignInFailure, SignInResult } from "./flows/challenges.ts";
export type { CodeSentResult, ConfirmSignUpFailure, ConfirmSignUpResult, SignUpFailure, SignUpResult } from "./flows/sign-up.ts";
export type { ConfirmForgotPasswordFailure, ConfirmForgotPasswordResult } from "./flows/password-reset.ts";
export type {
  AccountFailure,
  AccountResult,
  ChangePasswordResult,
  DeleteAccountResult,
  DisableTotpResult,
  SetUpTotpResult,
  UpdateAttributesResult,
  VerifyAttributeResult,
  VerifyTotpResult,
} from "./flows/account-settings.ts";
export { safeReturnTo } from "./lib/return-to.ts";
export type { ResolvedConfig } from "./config/resolve.ts";
export type { Secret } from "./config/secret.ts";
export type { AccessRule } from "./config/options.ts";
export type { Decision } from "./session/authorize.ts";
export { authorize } from "./session/authorize.ts";
export {
  getAccessToken,
  type CustomAttributes,
  type Session,
  type SessionUser,
  type StandardAttributes,
} from "./session/session.ts";
export type { AccessTokenClaims, IdTokenClaims, TokenUse } from "./verify/verifier.ts";
export type { AuthContext, AuthedHandler, PagesApiContext, PagesApiHandler, WithAuth } from "./next/with-auth.ts";
export type { PagesRequest, PagesResponse } from "./next/pages-router.ts";
export type { ClientSession, SessionAnswer } from "./session/client-session.ts";
export type { RequireSessionOptions, ServerApi } from "./next/server-api.ts";
export type { AwsApi, AwsCredentialIdentity, AwsCredentialIdentityProvider, AwsCredentialsOptions } from "./next/aws-api.ts";
export type { AwsCredentials } from "./cognito/identity.ts";
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
} from "./lib/errors.ts";
export { MemoryStore } from "./store/memory.ts";
export type { SessionStore } from "./store/store.ts";
