import { callCognito } from "../cognito/api.ts";
import type { Core } from "../session/core.ts";
import type { CookieJar } from "../persistence/jar.ts";
import { isCode } from "../lib/errors.ts";
import { safeReturnTo } from "../lib/return-to.ts";
import { classify, type Failed, type FailureReason, failure } from "./failures.ts";
import { type AuthResponse, type FlowStep, failedStep, secretHashField, type SignInResult, settle, userParameters } from "./challenges.ts";
import { allowedAttributes, codeOf, fieldsOf, passwordOf, text, usernameOf } from "./form-input.ts";

/** What a sign-up form sends. `Attributes` are the pool's attributes the app lets people set. */
export interface SignUpInput<Attributes extends Record<string, string | undefined> = Record<string, string | undefined>> {
  username: string;
  password: string;
  /** Attribute values, e.g. `{ email, name }`. Only names in `account.writableAttributes` are sent. */
  attributes?: Attributes;
  /** Where to go once signed in after confirmation. */
  returnTo?: string | null;
}

/** Why a sign-up did not go through. A taken username is not one of them: it answers like a new one. */
export type SignUpFailure = Extract<
  FailureReason,
  "invalid-input" | "invalid-new-password" | "code-delivery-failed" | "too-many-requests" | "limit-exceeded" | "unavailable" | "rejected"
>;

export type SignUpResult =
  /**
   * A confirmation code is on its way, if the username was free: the same answer when it is
   * taken, so a sign-up form does not tell who has an account. Ask for the code
   * (`confirmSignUp`), offering `resendConfirmationCode`.
   */
  | { status: "confirmation-required" }
  /** The pool confirmed the account at once (a pre sign-up trigger): sign in. */
  | { status: "confirmed" }
  | Failed<SignUpFailure>;

/** What a confirmation form sends. */
export interface ConfirmSignUpInput {
  username: string;
  code: string;
  /** Where to go once signed in; default where `signUp` was told. */
  returnTo?: string | null;
}

export type ConfirmSignUpFailure = Extract<
  FailureReason,
  "invalid-input" | "code-mismatch" | "expired-code" | "alias-exists" | "too-many-requests" | "limit-exceeded" | "locked-out" | "unavailable" | "rejected"
>;

export type ConfirmSignUpResult =
  /** Confirmed and signed in with Cognito's sign-up session (pools that offer `USER_AUTH`): redirect to `returnTo`. */
  | Extract<SignInResult, { status: "signed-in" | "challenge" }>
  /** Confirmed, but not signed in (no sign-up session from Cognito): ask the user to sign in. */
  | { status: "confirmed" }
  | Failed<ConfirmSignUpFailure>;

/** Answer of `resendConfirmationCode` and `forgotPassword`: the same whether the account exists or not. */
export type CodeSentResult =
  | { status: "code-sent" }
  | Failed<Extract<FailureReason, "invalid-input" | "code-delivery-failed" | "too-many-requests" | "limit-exceeded" | "unavailable" | "rejected">>;

/** Refusals that would tell whether an account exists; answered as if the code went out. */
export const REVEALING = new Set(["UsernameExistsException", "UserNotFoundException", "InvalidParameterException", "NotAuthorizedException"]);

/** Cognito's sign-up sessions are at most this long; each is held padded to it. */
const HELD_SESSION = 2048;

/**
 * Hold the sign-up in the challenge cookie for `confirmSignUp`: with Cognito's sign-up
 * session when it gave one (pools that allow `USER_AUTH`), padded, else the padding alone.
 * Every sign-up that asks for a code, a taken username's too, so sets one cookie of one size:
 * the Set-Cookie does not tell a taken username from a free one.
 */
async function holdSignUp(core: Core, username: string, session: unknown, returnTo: string): Promise<FlowStep<SignUpResult>> {
  const padded = (typeof session === "string" ? session : "").padEnd(HELD_SESSION, " ");
  const changes = await core.transactions.holdChallenge({ name: "CONFIRM_SIGN_UP", username, session: padded, returnTo, requiredAttributes: [] });
  return { result: { status: "confirmation-required" }, changes };
}

/**
 * Sign a user up (Cognito `SignUp`), with the attributes the app allows. When Cognito
 * hands back a sign-up session, it waits sealed in the challenge cookie for `confirmSignUp`.
 */
export async function signUp(core: Core, jar: CookieJar, input: SignUpInput): Promise<FlowStep<SignUpResult>> {
  const fields = fieldsOf(input);
  const username = usernameOf(fields.username);
  const password = passwordOf(fields.password);
  const returnTo = safeReturnTo(text(fields.returnTo, null), core.config.appUrl);
  if (username === undefined) return failedStep(failure("invalid-input"));
  if (password === undefined) return failedStep(failure("invalid-new-password"));
  const changes = core.transactions.dropChallenge(jar);
  try {
    const response = await callCognito<{ UserConfirmed?: boolean; Session?: string }>(core.api, "SignUp", {
      ClientId: core.config.clientId,
      Username: username,
      Password: password,
      UserAttributes: allowedAttributes(fields.attributes, core.config.account.writableAttributes),
      ...(await secretHashField(core, username)),
    });
    if (response.UserConfirmed === true) return { result: { status: "confirmed" }, changes };
    return await holdSignUp(core, username, response.Session, returnTo);
  } catch (error) {
    if (isCode(error, "ERR_COGNITO_REJECTED") && (error as { type?: string }).type === "UsernameExistsException") {
      return await holdSignUp(core, username, undefined, returnTo);
    }
    return { result: classify(error, "code") as Failed<SignUpFailure>, changes };
  }
}

/**
 * Confirm a sign-up with the code Cognito sent (`ConfirmSignUp`). With the sign-up session
 * `signUp` kept for this username, sign in at once (`InitiateAuth` `USER_AUTH` with that
 * `Session`, Cognito's documented sign-in after confirmation); otherwise answer `confirmed`.
 */
export async function confirmSignUp(core: Core, jar: CookieJar, input: ConfirmSignUpInput): Promise<FlowStep<ConfirmSignUpResult>> {
  const fields = fieldsOf(input);
  const username = usernameOf(fields.username);
  const code = codeOf(fields.code);
  if (username === undefined) return failedStep(failure("invalid-input"));
  if (code === undefined) return failedStep(failure("code-mismatch"));
  const held = await core.transactions.readChallenge(jar);
  const mine = held?.name === "CONFIRM_SIGN_UP" && held.username === username && typeof held.session === "string";
  // The padding alone is no session: then confirm without one.
  const signUpSession = mine ? held.session.trimEnd() || undefined : undefined;
  let session: string | undefined;
  try {
    const response = await callCognito<{ Session?: string }>(core.api, "ConfirmSignUp", {
      ClientId: core.config.clientId,
      Username: username,
      ConfirmationCode: code,
      ...(await secretHashField(core, username)),
      ...(signUpSession === undefined ? {} : { Session: signUpSession }),
    });
    session = typeof response.Session === "string" ? response.Session : undefined;
  } catch (error) {
    return failedStep(classify(error, "code") as Failed<ConfirmSignUpFailure>);
  }
  const dropped = core.transactions.dropChallenge(jar);
  if (session === undefined) return { result: { status: "confirmed" }, changes: dropped };
  const given = text(fields.returnTo, null);
  const returnTo = given === null && held?.name === "CONFIRM_SIGN_UP" ? held.returnTo : safeReturnTo(given, core.config.appUrl);
  const parameters = await userParameters(core, username);
  const step = await settle(core, jar, "respond", { username, returnTo }, () =>
    callCognito<AuthResponse>(core.api, "InitiateAuth", {
      AuthFlow: "USER_AUTH",
      ClientId: core.config.clientId,
      AuthParameters: parameters,
      Session: session,
    }),
  );
  // The account is confirmed whatever the sign-in came to: the page asks for a sign-in then.
  if (step.result.status === "failed") return { result: { status: "confirmed" }, changes: dropped };
  return step as FlowStep<ConfirmSignUpResult>;
}

/** Send the confirmation code again (`ResendConfirmationCode`). The answer does not tell whether the account exists. */
export async function resendConfirmationCode(core: Core, input: { username: string }): Promise<FlowStep<CodeSentResult>> {
  const username = usernameOf(fieldsOf(input).username);
  if (username === undefined) return failedStep(failure("invalid-input"));
  const hash = await secretHashField(core, username);
  return codeSent(() => callCognito(core.api, "ResendConfirmationCode", { ClientId: core.config.clientId, Username: username, ...hash }));
}

/** `code-sent` once `send` is done, or when it was refused in a way that would tell whether the account exists. */
export async function codeSent(send: () => Promise<unknown>): Promise<FlowStep<CodeSentResult>> {
  try {
    await send();
  } catch (error) {
    const type = isCode(error, "ERR_COGNITO_REJECTED") ? (error as { type?: string }).type : undefined;
    if (type === undefined || !REVEALING.has(type)) return failedStep(classify(error, "code") as CodeSentResult);
  }
  return failedStep<CodeSentResult>({ status: "code-sent" });
}
