import { type AuthenticationResult, callCognito, issuedTokens, secretHash } from "../cognito/api.ts";
import type { Core } from "../session/core.ts";
import type { CookieJar } from "../persistence/jar.ts";
import { type CookieChanges, emptyChanges } from "../persistence/changes.ts";
import type { PendingChallenge } from "../persistence/transactions.ts";
import { safeReturnTo } from "../lib/return-to.ts";
import { startSession } from "./start-session.ts";
import { classify, type Failed, type FailureReason, failure, type Step } from "./failures.ts";
import { allowedAttributes, codeOf, fieldsOf, passwordOf, text } from "./form-input.ts";

/** The sign-in challenges `respondToChallenge` answers. */
export type ChallengeName = "SMS_MFA" | "EMAIL_OTP" | "SOFTWARE_TOKEN_MFA" | "SELECT_MFA_TYPE" | "MFA_SETUP" | "NEW_PASSWORD_REQUIRED";

/** A second factor a user may pick when Cognito asks `SELECT_MFA_TYPE`. */
export type MfaType = "SMS_MFA" | "EMAIL_OTP" | "SOFTWARE_TOKEN_MFA";

/** What the page needs to ask for a challenge's answer. Nothing in it is secret but `secret`, which is the user's own. */
export interface Challenge {
  name: ChallengeName;
  /** `SMS_MFA`, `EMAIL_OTP`: where the code went, masked by Cognito (`+*******1234`, `a***@e***`). */
  destination?: string;
  /** `SELECT_MFA_TYPE`: the methods to offer; answer with `mfaType`. */
  options?: MfaType[];
  /** `MFA_SETUP`: the `otpauth://totp/…` URI to show as a QR code. */
  otpauthUri?: string;
  /** `MFA_SETUP`: the TOTP secret (base32), for typing into an authenticator by hand. */
  secret?: string;
  /** `NEW_PASSWORD_REQUIRED`: attributes the user must give along with the new password. */
  requiredAttributes?: string[];
}

/** Why a sign-in step did not sign anyone in. */
export type SignInFailure = Extract<
  FailureReason,
  | "invalid-credentials"
  | "invalid-input"
  | "invalid-new-password"
  | "code-mismatch"
  | "expired-code"
  | "too-many-requests"
  | "limit-exceeded"
  | "locked-out"
  | "password-reset-required"
  | "user-not-confirmed"
  | "challenge-expired"
  | "unsupported-challenge"
  | "unavailable"
  | "rejected"
>;

/** A failed sign-in step: what the page shows, and where the user goes on. */
export interface SignInFailed extends Failed<SignInFailure> {
  /** `unsupported-challenge`: the challenge Cognito asked for. */
  challenge?: string;
  /**
   * Where the user goes on: `forgot-password` after `password-reset-required` (call
   * `forgotPassword` with the same username), `confirm-sign-up` after `user-not-confirmed`
   * (call `resendConfirmationCode`, then `confirmSignUp`).
   */
  next?: "forgot-password" | "confirm-sign-up";
}

/** The outcome of a sign-in step. A password or Cognito's session never appears in it. */
export type SignInResult =
  /** Signed in: the session cookies are set. Redirect to `returnTo`. */
  | { status: "signed-in"; returnTo: string }
  /** Cognito asks for another step: show the form for `challenge.name`, answer with `respondToChallenge`. */
  | { status: "challenge"; challenge: Challenge }
  | SignInFailed;

/** What an answer to a challenge sends; each challenge reads the fields it needs. */
export interface ChallengeAnswer {
  /** `SMS_MFA`, `EMAIL_OTP`, `SOFTWARE_TOKEN_MFA`, `MFA_SETUP`: the code. */
  code?: string;
  /** `NEW_PASSWORD_REQUIRED`: the new password. */
  newPassword?: string;
  /**
   * `NEW_PASSWORD_REQUIRED`: values for the attributes the challenge listed as required.
   * Only those are sent to Cognito (the list is kept sealed with the challenge).
   */
  attributes?: Record<string, string>;
  /** `SELECT_MFA_TYPE`: one of the challenge's `options`. */
  mfaType?: string;
  /** Where to go once signed in; default the page the sign-in started from. */
  returnTo?: string | null;
}

/** A step's result and the cookie changes that go with it. */
export interface FlowStep<R> {
  result: R;
  changes: CookieChanges;
}

/** Cognito's answer to InitiateAuth / RespondToAuthChallenge. */
export interface AuthResponse {
  AuthenticationResult?: AuthenticationResult;
  ChallengeName?: string;
  ChallengeParameters?: Record<string, string>;
  Session?: string;
}

const ANSWERED = new Set<string>(["SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA", "SELECT_MFA_TYPE", "MFA_SETUP", "NEW_PASSWORD_REQUIRED"]);
const MFA_TYPES = new Set<string>(["SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA"]);
/** The response field that carries each challenge's code. */
const CODE_FIELD: Record<string, string> = {
  SMS_MFA: "SMS_MFA_CODE",
  EMAIL_OTP: "EMAIL_OTP_CODE",
  SOFTWARE_TOKEN_MFA: "SOFTWARE_TOKEN_MFA_CODE",
};

/** A failure that changes no cookie. */
export const failedStep = <R>(result: R): FlowStep<R> => ({ result, changes: emptyChanges() });

/** `{ USERNAME, SECRET_HASH? }`: what every call naming a user sends, `SECRET_HASH` when the client has a secret. */
export async function userParameters(core: Core, username: string): Promise<Record<string, string>> {
  const parameters: Record<string, string> = { USERNAME: username };
  const { clientId, clientSecret } = core.config;
  if (clientSecret) parameters.SECRET_HASH = await secretHash(clientSecret.reveal(), username, clientId);
  return parameters;
}

/** `SecretHash` for the top-level field of SignUp, ConfirmSignUp, ForgotPassword and friends; absent without a client secret. */
export async function secretHashField(core: Core, username: string): Promise<{ SecretHash?: string }> {
  const { SECRET_HASH } = await userParameters(core, username);
  return SECRET_HASH === undefined ? {} : { SecretHash: SECRET_HASH };
}

/**
 * Call Cognito and turn its answer into a session (cookies set), a pending challenge
 * (sealed in its cookie) or a failure. `username` is the one the user typed.
 */
export async function settle(
  core: Core,
  jar: CookieJar,
  step: Step,
  context: { username: string; returnTo: string },
  call: () => Promise<AuthResponse>,
): Promise<FlowStep<SignInResult>> {
  try {
    const response = await call();
    const tokens = issuedTokens(response.AuthenticationResult);
    if (tokens) {
      const changes = await startSession(core, jar, tokens, "password");
      return { result: { status: "signed-in", returnTo: context.returnTo }, changes };
    }
    const name = response.ChallengeName;
    if (name === undefined || !ANSWERED.has(name) || typeof response.Session !== "string") {
      return failedStep(name ? { ...failure("unsupported-challenge"), challenge: name } : failure("rejected"));
    }
    return await pending(core, name as ChallengeName, response.Session, response.ChallengeParameters ?? {}, context);
  } catch (error) {
    return failedStep(signInFailure(classify(error, step)));
  }
}

/** A sign-in failure, with where the user goes on from it. */
function signInFailure(failed: Failed): SignInFailed {
  const result = failed as SignInFailed;
  if (result.reason === "password-reset-required") result.next = "forgot-password";
  if (result.reason === "user-not-confirmed") result.next = "confirm-sign-up";
  return result;
}

/** Hold a challenge Cognito asked for and say what the page needs to ask for its answer. */
async function pending(
  core: Core,
  name: ChallengeName,
  session: string,
  params: Record<string, string>,
  context: { username: string; returnTo: string },
): Promise<FlowStep<SignInResult>> {
  const held: PendingChallenge = {
    name,
    username: params.USER_ID_FOR_SRP ?? context.username,
    session,
    returnTo: context.returnTo,
    requiredAttributes: name === "NEW_PASSWORD_REQUIRED" ? jsonList(params.requiredAttributes).map((a) => a.replace(/^userAttributes\./, "")) : [],
  };
  const challenge: Challenge = { name };
  if (name === "NEW_PASSWORD_REQUIRED") challenge.requiredAttributes = held.requiredAttributes;
  if (typeof params.CODE_DELIVERY_DESTINATION === "string") challenge.destination = held.destination = params.CODE_DELIVERY_DESTINATION.slice(0, 256);
  if (name === "SELECT_MFA_TYPE") {
    challenge.options = held.options = jsonList(params.MFAS_CAN_CHOOSE).filter((m): m is MfaType => MFA_TYPES.has(m));
    if (held.options.length === 0) return failedStep({ ...failure("unsupported-challenge"), challenge: name });
  }
  if (name === "MFA_SETUP") {
    // Only an authenticator app is set up here; a pool that offers only email must be set up elsewhere.
    const canSetUp = params.MFAS_CAN_SETUP === undefined ? ["SOFTWARE_TOKEN_MFA"] : jsonList(params.MFAS_CAN_SETUP);
    if (!canSetUp.includes("SOFTWARE_TOKEN_MFA")) return failedStep({ ...failure("unsupported-challenge"), challenge: name });
    const associated = await callCognito<{ SecretCode?: string; Session?: string }>(core.api, "AssociateSoftwareToken", { Session: session });
    if (typeof associated.SecretCode !== "string") return failedStep(failure("rejected"));
    if (typeof associated.Session === "string") held.session = associated.Session;
    challenge.secret = associated.SecretCode;
    challenge.otpauthUri = otpauthUri(core.config.account.totpIssuer, context.username, associated.SecretCode);
  }
  return { result: { status: "challenge", challenge }, changes: await core.transactions.holdChallenge(held) };
}

/**
 * Answer the pending challenge (Cognito `RespondToAuthChallenge`; for `MFA_SETUP` first
 * `VerifySoftwareToken` with the code). A wrong code, an invalid new password or a missing
 * field keep the challenge for another try; any other failure drops it.
 */
export async function respondToChallenge(core: Core, jar: CookieJar, input: ChallengeAnswer): Promise<FlowStep<SignInResult>> {
  const challenge = await core.transactions.readChallenge(jar);
  if (challenge === undefined || !ANSWERED.has(challenge.name)) {
    return { result: failure("challenge-expired"), changes: core.transactions.dropChallenge(jar) };
  }
  const fields = fieldsOf(input);
  const given = text(fields.returnTo, null);
  const returnTo = given === null ? challenge.returnTo : safeReturnTo(given, core.config.appUrl);
  const responses = await responsesFor(challenge, fields);
  if (typeof responses === "string") return failedStep(failure(responses));
  Object.assign(responses, await userParameters(core, challenge.username));
  const { clientId } = core.config;
  const step = await settle(core, jar, "respond", { username: challenge.username, returnTo }, async () => {
    let session = challenge.session;
    if (challenge.name === "MFA_SETUP") {
      const verified = await callCognito<{ Status?: string; Session?: string }>(core.api, "VerifySoftwareToken", {
        Session: session,
        UserCode: responses.CODE,
      });
      if (verified.Status !== "SUCCESS") return {};
      if (typeof verified.Session === "string") session = verified.Session;
      delete responses.CODE;
    }
    return callCognito<AuthResponse>(core.api, "RespondToAuthChallenge", {
      ChallengeName: challenge.name,
      ClientId: clientId,
      Session: session,
      ChallengeResponses: responses,
    });
  });
  const result = step.result;
  if (result.status === "failed" && !KEEPS_CHALLENGE.has(result.reason)) step.changes.remove.push(...core.transactions.dropChallenge(jar).remove);
  return step;
}

/** Failures the user may correct against the same challenge. */
const KEEPS_CHALLENGE = new Set<FailureReason>(["invalid-new-password", "code-mismatch", "invalid-input"]);

/** The challenge responses for `challenge` from a form's fields, or the reason they cannot be. */
async function responsesFor(challenge: PendingChallenge, fields: Record<string, unknown>): Promise<Record<string, string> | SignInFailure> {
  const responses: Record<string, string> = {};
  switch (challenge.name) {
    case "NEW_PASSWORD_REQUIRED": {
      const newPassword = passwordOf(fields.newPassword);
      if (newPassword === undefined) return "invalid-new-password";
      responses.NEW_PASSWORD = newPassword;
      // Only what the challenge asked for: a posted form must not set any other attribute
      // (say `email`, unverified, or `custom:role`) through the challenge answer.
      for (const { Name, Value } of allowedAttributes(fields.attributes, stringList(challenge.requiredAttributes))) responses[`userAttributes.${Name}`] = Value;
      return responses;
    }
    case "SELECT_MFA_TYPE": {
      const mfaType = text(fields.mfaType, "");
      if (!stringList(challenge.options).includes(mfaType)) return "invalid-input";
      responses.ANSWER = mfaType;
      return responses;
    }
    default: {
      const code = codeOf(fields.code);
      if (code === undefined) return "code-mismatch";
      responses[CODE_FIELD[challenge.name] ?? "CODE"] = code;
      return responses;
    }
  }
}

/**
 * The `otpauth://totp/` URI authenticator apps read (Key Uri Format): labelled
 * `issuer:account`, the secret in base32, SHA-1, 6 digits, 30 seconds, as Cognito's TOTP is.
 */
export function otpauthUri(issuer: string, account: string, secret: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = new URLSearchParams({ secret, issuer, algorithm: "SHA1", digits: "6", period: "30" });
  return `otpauth://totp/${label}?${query.toString().replace(/\+/g, "%20")}`;
}

/** A JSON list of strings (as Cognito sends lists in challenge parameters); `[]` for anything else. */
function jsonList(json: string | undefined): string[] {
  try {
    return stringList(JSON.parse(json ?? "[]"));
  } catch {
    return [];
  }
}

/** The strings of `value` when it is a list; none from a value of another shape (a sealed value of an older format). */
function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}
