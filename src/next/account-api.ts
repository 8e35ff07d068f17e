import type { CookieJar } from "../persistence/jar.ts";
import type { Core } from "../session/core.ts";
import type { CustomAttributes, StandardAttributes } from "../session/session.ts";
import type { FlowStep } from "../flows/challenges.ts";
import { type ChallengeAnswer, respondToChallenge, type SignInResult } from "../flows/challenges.ts";
import { type ConfirmSignUpResult, type CodeSentResult, confirmSignUp, resendConfirmationCode, type SignUpResult, signUp } from "../flows/sign-up.ts";
import { type ConfirmForgotPasswordResult, confirmForgotPassword, forgotPassword } from "../flows/password-reset.ts";
import {
  type ChangePasswordResult,
  changePassword,
  type DeleteAccountResult,
  type DisableTotpResult,
  deleteAccount,
  disableTotp,
  type SetUpTotpResult,
  setUpTotp,
  type UpdateAttributesResult,
  updateAttributes,
  type VerifyAttributeResult,
  type VerifyTotpResult,
  verifyAttribute,
  verifyTotp,
} from "../flows/account-settings.ts";
import { requestCookieJar, writeCookieChanges } from "./next-cookies.ts";

/**
 * Attribute values a form may send to `signUp` and `updateAttributes`: the standard ones a
 * user can hold and the pool's custom ones. Only those in `account.writableAttributes`
 * reach Cognito, whatever the type allows.
 */
export type AttributeInput<Custom extends CustomAttributes = CustomAttributes> = {
  [K in Exclude<keyof StandardAttributes, "email_verified" | "phone_number_verified" | "updated_at" | "address">]?: string;
} & { [K in keyof Custom]?: string };

/**
 * Account flows for server actions; members of the object `createCognitoSession` returns.
 * Each takes whatever a form posted (any shape gives a result, never a throw), keeps every
 * secret on the server (Cognito's challenge session waits in a sealed, short-lived cookie)
 * and answers `{ status: … }` or `{ status: "failed", reason, message }`.
 */
export interface AccountApi<Custom extends CustomAttributes = CustomAttributes> {
  /**
   * Sign a user up. `confirmation-required` whether or not the username was free (a form
   * must not tell who has an account): ask for the code, then `confirmSignUp`.
   */
  signUp(input: { username: string; password: string; attributes?: AttributeInput<Custom>; returnTo?: string | null }): Promise<SignUpResult>;
  /**
   * Confirm a sign-up with its code. Signs the user in when Cognito allows it
   * (`signed-in`, or a `challenge`); else `confirmed`: ask for a sign-in.
   */
  confirmSignUp(input: { username: string; code: string; returnTo?: string | null }): Promise<ConfirmSignUpResult>;
  /** Send the sign-up code again. `code-sent` whether or not the account exists. */
  resendConfirmationCode(input: { username: string }): Promise<CodeSentResult>;
  /** Send a password-reset code. `code-sent` whether or not the account exists. */
  forgotPassword(input: { username: string }): Promise<CodeSentResult>;
  /** Set a new password with the reset code, then sign in with it (`signed-in`, a `challenge`, or `password-reset`). */
  confirmForgotPassword(input: { username: string; code: string; newPassword: string; returnTo?: string | null }): Promise<ConfirmForgotPasswordResult>;
  /**
   * Answer the challenge a sign-in step returned: `code` for `SMS_MFA`, `EMAIL_OTP`,
   * `SOFTWARE_TOKEN_MFA` and `MFA_SETUP`; `mfaType` for `SELECT_MFA_TYPE`; `newPassword`
   * (and `attributes`, the required ones only) for `NEW_PASSWORD_REQUIRED`. The answer is
   * another sign-in result: `signed-in`, the next `challenge`, or `failed` (a wrong code
   * keeps the challenge for another try).
   */
  respondToChallenge(input: ChallengeAnswer): Promise<SignInResult>;
  /** Change the signed-in user's password. */
  changePassword(input: { currentPassword: string; newPassword: string }): Promise<ChangePasswordResult>;
  /** Start setting up an authenticator app: show `otpauthUri` as a QR code (and `secret`), then `verifyTotp`. */
  setUpTotp(): Promise<SetUpTotpResult>;
  /** Finish the set-up with a code from the app; TOTP becomes the preferred second factor. */
  verifyTotp(input: { code: string }): Promise<VerifyTotpResult>;
  /** Turn TOTP off. */
  disableTotp(): Promise<DisableTotpResult>;
  /** Change attributes (the writable ones only); a new email or phone number answers `verification-required`. */
  updateAttributes(input: { attributes: AttributeInput<Custom> }): Promise<UpdateAttributesResult>;
  /** Confirm a new `email` or `phone_number` with its code. */
  verifyAttribute(input: { attribute: "email" | "phone_number"; code: string }): Promise<VerifyAttributeResult>;
  /** Delete the signed-in user's account; the session ends and its cookies are cleared. */
  deleteAccount(): Promise<DeleteAccountResult>;
}

export function createAccountApi<Custom extends CustomAttributes>(core: Core): AccountApi<Custom> {
  const run = async <R>(step: (jar: CookieJar) => Promise<FlowStep<R>>): Promise<R> => {
    const { result, changes } = await step(await requestCookieJar());
    if (changes.set.length > 0 || changes.remove.length > 0) await writeCookieChanges(changes);
    return result;
  };
  return {
    signUp: (input) => run((jar) => signUp(core, jar, input as never)),
    confirmSignUp: (input) => run((jar) => confirmSignUp(core, jar, input)),
    resendConfirmationCode: (input) => run(() => resendConfirmationCode(core, input)),
    forgotPassword: (input) => run(() => forgotPassword(core, input)),
    confirmForgotPassword: (input) => run((jar) => confirmForgotPassword(core, jar, input)),
    respondToChallenge: (input) => run((jar) => respondToChallenge(core, jar, input)),
    changePassword: (input) => run((jar) => changePassword(core, jar, input)),
    setUpTotp: () => run((jar) => setUpTotp(core, jar)),
    verifyTotp: (input) => run((jar) => verifyTotp(core, jar, input)),
    disableTotp: () => run((jar) => disableTotp(core, jar)),
    updateAttributes: (input) => run((jar) => updateAttributes(core, jar, input as never)),
    verifyAttribute: (input) => run((jar) => verifyAttribute(core, jar, input)),
    deleteAccount: () => run((jar) => deleteAccount(core, jar)),
  };
}
