import { callCognito } from "../cognito/api.ts";
import type { Core } from "../session/core.ts";
import type { CookieJar } from "../persistence/jar.ts";
import { safeReturnTo } from "../lib/return-to.ts";
import { failure } from "./failures.ts";
import {
  type AuthResponse,
  type ChallengeAnswer,
  type FlowStep,
  failedStep,
  respondToChallenge,
  type SignInFailure,
  type SignInResult,
  settle,
  userParameters,
} from "./challenges.ts";
import { fieldsOf, passwordOf, text, usernameOf } from "./form-input.ts";

/** What a password sign-in form sends. */
export interface PasswordSignInInput {
  username: string;
  password: string;
  /** Where to go once signed in; anything but a same-origin path becomes `/`. */
  returnTo?: string | null;
}

/** What a "choose a new password" form sends after a `NEW_PASSWORD_REQUIRED` challenge. */
export type NewPasswordInput = Pick<ChallengeAnswer, "newPassword" | "attributes">;

/** Why a password sign-in did not sign anyone in. Each has its own user-facing `message`. */
export type PasswordFailure = SignInFailure;

/** The outcome of a password sign-in step. A password never appears in it. */
export type PasswordSignInResult = SignInResult;

/** A step's result and the cookie changes that go with it. */
export type PasswordStep = FlowStep<PasswordSignInResult>;

/**
 * Sign in with a username and password (Cognito `InitiateAuth`, `USER_PASSWORD_AUTH`),
 * sending `SECRET_HASH` when the client has a secret. Replaces every session cookie in
 * `jar` on success. The password goes to Cognito and nowhere else.
 */
export async function passwordSignIn(core: Core, jar: CookieJar, input: PasswordSignInInput): Promise<PasswordStep> {
  const fields = fieldsOf(input);
  const username = usernameOf(fields.username);
  const password = passwordOf(fields.password);
  const returnTo = safeReturnTo(text(fields.returnTo, null), core.config.appUrl);
  if (username === undefined || password === undefined) return failedStep(failure("invalid-credentials"));
  const parameters = { ...(await userParameters(core, username)), PASSWORD: password };
  return settle(core, jar, "sign-in", { username, returnTo }, () =>
    callCognito<AuthResponse>(core.api, "InitiateAuth", { AuthFlow: "USER_PASSWORD_AUTH", ClientId: core.config.clientId, AuthParameters: parameters }),
  );
}

/**
 * Answer `NEW_PASSWORD_REQUIRED` with the user's new password.
 * @deprecated `respondToChallenge` answers every challenge, this one included.
 */
export async function completeNewPassword(core: Core, jar: CookieJar, input: NewPasswordInput): Promise<PasswordStep> {
  const challenge = await core.transactions.readChallenge(jar);
  // Only the challenge it was made for: a code posted here must not answer an MFA challenge.
  if (challenge?.name !== "NEW_PASSWORD_REQUIRED") return { result: failure("challenge-expired"), changes: core.transactions.dropChallenge(jar) };
  const fields = fieldsOf(input);
  return respondToChallenge(core, jar, { newPassword: fields.newPassword as string, attributes: fields.attributes as Record<string, string> });
}
