import { type CognitoRejectedError, isCode, isOutage } from "../lib/errors.ts";

/**
 * Why an account action (sign-in, sign-up, password reset, a challenge, a settings change)
 * did not do what it was asked. Each has its own user-facing message; none says whether an
 * account exists where Cognito does not (sign-up, forgot password).
 */
export type FailureReason =
  /** Wrong password or unknown user: deliberately one answer for both. */
  | "invalid-credentials"
  /** A field is missing, too long or not text; or Cognito found a value malformed. */
  | "invalid-input"
  /** The new password does not meet the pool's password policy; the user may try another. */
  | "invalid-new-password"
  /** The current password given to `changePassword` is wrong. */
  | "incorrect-password"
  /** `CodeMismatchException`: the code is not the one sent (or the TOTP of the moment). */
  | "code-mismatch"
  /** `ExpiredCodeException`: the code lapsed or was used already; ask for a new one. */
  | "expired-code"
  /** `CodeDeliveryFailureException`: Cognito could not send the code. */
  | "code-delivery-failed"
  /** `AliasExistsException`: another account already uses this email or phone number. */
  | "alias-exists"
  /** Cognito's `TooManyRequestsException`: the app is calling too fast. */
  | "too-many-requests"
  /** Cognito's `LimitExceededException`: too many attempts for now. */
  | "limit-exceeded"
  /** `TooManyFailedAttemptsException`, or a password lockout: Cognito has locked the user out for a while. */
  | "locked-out"
  /** `PasswordResetRequiredException`: the user must reset the password first (`next: "forgot-password"`). */
  | "password-reset-required"
  /** `UserNotConfirmedException`: the user has not confirmed the account (`next: "confirm-sign-up"`). */
  | "user-not-confirmed"
  /** The challenge lapsed, was used, or was never started: sign in again. */
  | "challenge-expired"
  /** Cognito asked for a challenge this library does not answer (named in `challenge`). */
  | "unsupported-challenge"
  /** A signed-in action without a (valid) session, or with tokens Cognito no longer accepts. */
  | "not-signed-in"
  /** Cognito or its keys could not be reached. */
  | "unavailable"
  /** Cognito refused for another reason (named in `cognitoError`), or its tokens did not verify. */
  | "rejected";

/** The user-facing message of each reason. */
export const MESSAGES: Record<FailureReason, string> = {
  "invalid-credentials": "Incorrect username or password.",
  "invalid-input": "Please check the fields and try again.",
  "invalid-new-password": "The new password does not meet the password requirements.",
  "incorrect-password": "The current password is not correct.",
  "code-mismatch": "That code is not correct. Please check it and try again.",
  "expired-code": "That code has expired or was already used. Please ask for a new one.",
  "code-delivery-failed": "The code could not be sent. Please try again later.",
  "alias-exists": "This email address or phone number is already used by another account.",
  "too-many-requests": "Too many requests. Please wait a moment and try again.",
  "limit-exceeded": "Too many attempts. Please try again later.",
  "locked-out": "Too many failed attempts. Please try again later.",
  "password-reset-required": "You need to reset your password before you can sign in.",
  "user-not-confirmed": "Your account is not confirmed yet.",
  "challenge-expired": "This sign-in took too long. Please sign in again.",
  "unsupported-challenge": "This account needs a sign-in step this app does not support.",
  "not-signed-in": "Please sign in again.",
  unavailable: "This is unavailable right now. Please try again.",
  rejected: "That did not work. Please try again.",
};

/** A failed action's result. `cognitoError` names Cognito's refusal only for `rejected`. */
export interface Failed<R extends FailureReason = FailureReason> {
  status: "failed";
  reason: R;
  message: string;
  cognitoError?: string;
}

/** The result for `reason`, with its message. */
export function failure<R extends FailureReason>(reason: R, extra: { cognitoError?: string } = {}): Failed<R> {
  return { status: "failed", reason, message: MESSAGES[reason], ...extra };
}

/**
 * Which step Cognito refused, where the same refusal means different things:
 * `sign-in` (a password), `respond` (a challenge answer), `signed-in` (a call with the
 * session's access token), `change-password`, or `code` (any other step with a code).
 */
export type Step = "sign-in" | "respond" | "signed-in" | "change-password" | "code";

/**
 * Sort what a Cognito call threw into a reason. Outages are `unavailable`; tokens that do
 * not verify or do not fit in cookies `rejected`; anything this library did not throw is
 * rethrown (a bug, not a refusal).
 */
export function classify(error: unknown, step: Step): Failed {
  if (isOutage(error)) return failure("unavailable");
  if (isCode(error, "ERR_TOKEN_INVALID") || isCode(error, "ERR_SESSION_TOO_LARGE")) return failure("rejected");
  if (!isCode(error, "ERR_COGNITO_REJECTED")) throw error;
  const [reason, cognitoError] = rejection(error as CognitoRejectedError, step);
  return failure(reason, cognitoError === undefined ? {} : { cognitoError });
}

function rejection(error: CognitoRejectedError, step: Step): [FailureReason, string?] {
  const detail = error.detail ?? "";
  switch (error.type) {
    case "TooManyRequestsException":
      return ["too-many-requests"];
    case "LimitExceededException":
      return ["limit-exceeded"];
    case "TooManyFailedAttemptsException":
      return ["locked-out"];
    case "PasswordResetRequiredException":
      return ["password-reset-required"];
    case "UserNotConfirmedException":
      return ["user-not-confirmed"];
    case "CodeMismatchException":
    case "EnableSoftwareTokenMFAException":
      return ["code-mismatch"];
    case "ExpiredCodeException":
      return ["expired-code"];
    case "CodeDeliveryFailureException":
      return ["code-delivery-failed"];
    case "AliasExistsException":
      return ["alias-exists"];
    case "InvalidPasswordException":
      // On sign-in the embedded Cognito's wrong password; on a password change, its wrong
      // current one unless the message names the policy; elsewhere the policy.
      if (step === "sign-in") return ["invalid-credentials"];
      if (step === "change-password" && !/polic|conform/i.test(detail)) return ["incorrect-password"];
      return ["invalid-new-password"];
    case "NotAuthorizedException":
      // Cognito reports a lockout as NotAuthorized; only its message tells them apart.
      if (/attempts exceeded/i.test(detail)) return ["locked-out"];
      // A wrong or missing client secret is the app's fault, not the user's: say so.
      if (/secret hash/i.test(detail)) return ["rejected", error.type];
      if (step === "sign-in") return ["invalid-credentials"];
      if (step === "change-password" && /incorrect/i.test(detail)) return ["incorrect-password"];
      if (step === "signed-in" || step === "change-password") return ["not-signed-in"];
      // A code step: an unknown or already confirmed user reads as a wrong code, revealing neither.
      return [step === "respond" ? "challenge-expired" : "code-mismatch"];
    case "UserNotFoundException":
      // A code for a username Cognito does not know reads as a wrong code: nothing tells the two apart.
      if (step === "code") return ["code-mismatch"];
      return [step === "signed-in" || step === "change-password" ? "not-signed-in" : "invalid-credentials"];
    case "InvalidParameterException":
      // On sign-in, the app client's settings (a flow not enabled), not the user's input.
      return step === "sign-in" || step === "respond" ? ["rejected", error.type] : ["invalid-input"];
    default:
      return ["rejected", error.type];
  }
}
