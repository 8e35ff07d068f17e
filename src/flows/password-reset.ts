import { callCognito } from "../cognito/api.ts";
import type { Core } from "../session/core.ts";
import type { CookieJar } from "../persistence/jar.ts";
import { classify, type Failed, type FailureReason, failure } from "./failures.ts";
import { type FlowStep, failedStep, secretHashField, type SignInResult } from "./challenges.ts";
import { codeOf, fieldsOf, passwordOf, text, usernameOf } from "./form-input.ts";
import { passwordSignIn } from "./password.ts";
import { type CodeSentResult, codeSent } from "./sign-up.ts";

/** What a "choose a new password" form sends with the code `forgotPassword` had sent. */
export interface ConfirmForgotPasswordInput {
  username: string;
  code: string;
  newPassword: string;
  /** Where to go once signed in with the new password. */
  returnTo?: string | null;
}

export type ConfirmForgotPasswordFailure = Extract<
  FailureReason,
  | "invalid-input"
  | "invalid-new-password"
  | "code-mismatch"
  | "expired-code"
  | "too-many-requests"
  | "limit-exceeded"
  | "locked-out"
  | "unavailable"
  | "rejected"
>;

export type ConfirmForgotPasswordResult =
  /** The password is reset and the user signed in with it (or asked for a second factor). */
  | Extract<SignInResult, { status: "signed-in" | "challenge" }>
  /** The password is reset, but signing in with it did not go through: ask the user to sign in. */
  | { status: "password-reset" }
  | Failed<ConfirmForgotPasswordFailure>;

/**
 * Send a password-reset code (`ForgotPassword`). The answer is `code-sent` whether or not
 * the account exists (or can receive a code), so the form does not tell who has an account.
 */
export async function forgotPassword(core: Core, input: { username: string }): Promise<FlowStep<CodeSentResult>> {
  const username = usernameOf(fieldsOf(input).username);
  if (username === undefined) return failedStep(failure("invalid-input"));
  const hash = await secretHashField(core, username);
  return codeSent(() => callCognito(core.api, "ForgotPassword", { ClientId: core.config.clientId, Username: username, ...hash }));
}

/**
 * Set a new password with the code `forgotPassword` sent (`ConfirmForgotPassword`), then
 * sign in with it, which may lead to a challenge (MFA).
 */
export async function confirmForgotPassword(core: Core, jar: CookieJar, input: ConfirmForgotPasswordInput): Promise<FlowStep<ConfirmForgotPasswordResult>> {
  const fields = fieldsOf(input);
  const username = usernameOf(fields.username);
  const code = codeOf(fields.code);
  const newPassword = passwordOf(fields.newPassword);
  if (username === undefined) return failedStep(failure("invalid-input"));
  if (code === undefined) return failedStep(failure("code-mismatch"));
  if (newPassword === undefined) return failedStep(failure("invalid-new-password"));
  try {
    await callCognito(core.api, "ConfirmForgotPassword", {
      ClientId: core.config.clientId,
      Username: username,
      ConfirmationCode: code,
      Password: newPassword,
      ...(await secretHashField(core, username)),
    });
  } catch (error) {
    return failedStep(classify(error, "code") as Failed<ConfirmForgotPasswordFailure>);
  }
  const step = await passwordSignIn(core, jar, { username, password: newPassword, returnTo: text(fields.returnTo, null) });
  if (step.result.status === "failed") return failedStep<ConfirmForgotPasswordResult>({ status: "password-reset" });
  return step as FlowStep<ConfirmForgotPasswordResult>;
}
