import { type AuthenticationResult, callCognito, issuedTokens, secretHash } from "../cognito/api.ts";
import type { Core } from "../session/core.ts";
import type { CookieJar } from "../persistence/jar.ts";
import { type CookieChanges, emptyChanges } from "../persistence/changes.ts";
import { type CognitoRejectedError, isCode, isOutage } from "../lib/errors.ts";
import { safeReturnTo } from "../lib/return-to.ts";
import { startSession } from "./start-session.ts";
import type { PendingChallenge } from "../persistence/transactions.ts";

/** What a password sign-in form sends. */
export interface PasswordSignInInput {
  username: string;
  password: string;
  /** Where to go once signed in; anything but a same-origin path becomes `/`. */
  returnTo?: string | null;
}

/** What a "choose a new password" form sends after `new-password-required`. */
export interface NewPasswordInput {
  newPassword: string;
  /**
   * Values for the attributes the challenge listed as required, e.g. `{ name: "Ada" }`.
   * Only those are sent to Cognito (the list is kept sealed with the challenge); any other
   * name is ignored, so a form cannot set attributes the app never asked for.
   */
  attributes?: Record<string, string>;
}

/** Why a password sign-in did not sign anyone in. Each has its own user-facing `message`. */
export type PasswordFailure =
  /** Wrong password or unknown user: deliberately one answer for both. */
  | "invalid-credentials"
  /** Cognito's `TooManyRequestsException`: the app is calling too fast. */
  | "too-many-requests"
  /** Cognito's `LimitExceededException`: too many attempts for now. */
  | "limit-exceeded"
  /** Too many failed passwords: Cognito has locked the user out for a while. */
  | "locked-out"
  /** `PasswordResetRequiredException`: the user must reset the password first. */
  | "password-reset-required"
  /** `UserNotConfirmedException`: the user has not confirmed the account. */
  | "user-not-confirmed"
  /** The new password does not meet the pool's password policy; the user may try another. */
  | "invalid-new-password"
  /** The challenge lapsed or was never started: sign in again. */
  | "challenge-expired"
  /** Cognito asked for a challenge this library does not answer (named in `challenge`). */
  | "unsupported-challenge"
  /** Cognito or its keys could not be reached. */
  | "unavailable"
  /** Cognito refused for another reason (named in `cognitoError`), or its tokens did not verify. */
  | "rejected";

/** The outcome of a password sign-in step. A password never appears in it. */
export type PasswordSignInResult =
  /** Signed in: the session cookies are set. Redirect to `returnTo`. */
  | { status: "signed-in"; returnTo: string }
  /** The user must choose a new password (`NEW_PASSWORD_REQUIRED`): call `completeNewPassword`. */
  | { status: "new-password-required"; requiredAttributes: string[] }
  | { status: "failed"; reason: PasswordFailure; message: string; cognitoError?: string; challenge?: string };

const MESSAGES: Record<PasswordFailure, string> = {
  "invalid-credentials": "Incorrect username or password.",
  "too-many-requests": "Too many requests. Please wait a moment and try again.",
  "limit-exceeded": "Too many attempts. Please try again later.",
  "locked-out": "Too many failed attempts. Please try again later.",
  "password-reset-required": "You need to reset your password before you can sign in.",
  "user-not-confirmed": "Your account is not confirmed yet.",
  "invalid-new-password": "The new password does not meet the password requirements.",
  "challenge-expired": "This sign-in took too long. Please sign in again.",
  "unsupported-challenge": "This account needs a sign-in step this app does not support.",
  unavailable: "Sign-in is unavailable right now. Please try again.",
  rejected: "Sign-in failed. Please try again.",
};

// Cognito's own limits: anything longer cannot be a valid username, password or attribute value.
const MAX_USERNAME = 128;
const MAX_PASSWORD = 256;
const MAX_ATTRIBUTE = 2048;

/**
 * The fields of what a form handed in. Server actions receive whatever was posted, so the
 * input may be anything: null, an array, a number. Anything but an object has no fields.
 */
function fieldsOf(input: unknown): Record<string, unknown> {
  return typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
}

/** A field's value when it is a string, else `fallback`. */
const text = <F>(value: unknown, fallback: F): string | F => (typeof value === "string" ? value : fallback);

/** A step's result and the cookie changes that go with it. */
export interface PasswordStep {
  result: PasswordSignInResult;
  changes: CookieChanges;
}

/** Cognito's answer to InitiateAuth / RespondToAuthChallenge. */
interface AuthResponse {
  AuthenticationResult?: AuthenticationResult;
  ChallengeName?: string;
  ChallengeParameters?: Record<string, string>;
  Session?: string;
}

const failed = (reason: PasswordFailure, extra: { cognitoError?: string; challenge?: string } = {}): PasswordStep => ({
  result: { status: "failed", reason, message: MESSAGES[reason], ...extra },
  changes: emptyChanges(),
});

/**
 * Sign in with a username and password (Cognito `InitiateAuth`, `USER_PASSWORD_AUTH`),
 * sending `SECRET_HASH` when the client has a secret. Replaces every session cookie in
 * `jar` on success. The password goes to Cognito and nowhere else.
 */
export async function passwordSignIn(core: Core, jar: CookieJar, input: PasswordSignInInput): Promise<PasswordStep> {
  const fields = fieldsOf(input);
  const username = text(fields.username, "").trim();
  const password = text(fields.password, "");
  const returnTo = safeReturnTo(text(fields.returnTo, null), core.config.appUrl);
  if (!plausible(username, MAX_USERNAME) || password === "" || password.length > MAX_PASSWORD) {
    return failed("invalid-credentials");
  }
  const { clientId, clientSecret } = core.config;
  const parameters: Record<string, string> = { USERNAME: username, PASSWORD: password };
  if (clientSecret) parameters.SECRET_HASH = await secretHash(clientSecret.reveal(), username, clientId);
  return answer(core, jar, "initiate", returnTo, username, () =>
    callCognito<AuthResponse>(core.api, "InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: clientId,
      AuthParameters: parameters,
    }),
  );
}

/**
 * Answer `NEW_PASSWORD_REQUIRED` with the user's new password (Cognito
 * `RespondToAuthChallenge`), using the challenge `passwordSignIn` kept in a sealed cookie.
 */
export async function completeNewPassword(core: Core, jar: CookieJar, input: NewPasswordInput): Promise<PasswordStep> {
  const challenge = await core.transactions.readChallenge(jar);
  if (challenge?.name !== "NEW_PASSWORD_REQUIRED") {
    const step = failed("challenge-expired");
    step.changes = core.transactions.dropChallenge(jar);
    return step;
  }
  const fields = fieldsOf(input);
  const newPassword = text(fields.newPassword, "");
  if (newPassword === "" || newPassword.length > MAX_PASSWORD) return failed("invalid-new-password");
  const { clientId, clientSecret } = core.config;
  const responses: Record<string, string> = { USERNAME: challenge.username, NEW_PASSWORD: newPassword };
  if (clientSecret) responses.SECRET_HASH = await secretHash(clientSecret.reveal(), challenge.username, clientId);
  // Only what the challenge asked for: a posted form must not set any other attribute
  // (say `email`, unverified, or `custom:role`) through the challenge answer.
  const given = fieldsOf(fields.attributes);
  for (const name of challengeAttributes(challenge)) {
    const value = Object.hasOwn(given, name) ? given[name] : undefined;
    if (typeof value === "string" && value.length <= MAX_ATTRIBUTE) responses[`userAttributes.${name}`] = value;
  }
  const step = await answer(core, jar, "respond", challenge.returnTo, challenge.username, () =>
    callCognito<AuthResponse>(core.api, "RespondToAuthChallenge", {
      ChallengeName: challenge.name,
      ClientId: clientId,
      Session: challenge.session,
      ChallengeResponses: responses,
    }),
  );
  // A new password that misses the policy may be retried against the same challenge.
  if (step.result.status === "failed" && step.result.reason !== "invalid-new-password") {
    step.changes.remove.push(...core.transactions.dropChallenge(jar).remove);
  }
  return step;
}

/** Call Cognito and turn its answer into a session, a pending challenge or a failure. */
async function answer(
  core: Core,
  jar: CookieJar,
  step: "initiate" | "respond",
  returnTo: string,
  username: string,
  call: () => Promise<AuthResponse>,
): Promise<PasswordStep> {
  try {
    const response = await call();
    const tokens = issuedTokens(response.AuthenticationResult);
    if (tokens) {
      const changes = await startSession(core, jar, tokens, "password");
      return { result: { status: "signed-in", returnTo }, changes };
    }
    const name = response.ChallengeName;
    if (name === "NEW_PASSWORD_REQUIRED" && typeof response.Session === "string") {
      const params = response.ChallengeParameters ?? {};
      const pending: PendingChallenge = {
        name,
        username: params.USER_ID_FOR_SRP ?? username,
        session: response.Session,
        returnTo,
        requiredAttributes: requiredAttributes(params.requiredAttributes),
      };
      return {
        result: { status: "new-password-required", requiredAttributes: pending.requiredAttributes },
        changes: await core.transactions.holdChallenge(pending),
      };
    }
    return failed(name ? "unsupported-challenge" : "rejected", name ? { challenge: name } : {});
  } catch (error) {
    return failed(...classify(error, step));
  }
}

/** Sort Cognito's refusals into the failures a sign-in form shows. */
function classify(error: unknown, step: "initiate" | "respond"): [PasswordFailure, { cognitoError?: string }?] {
  if (isOutage(error)) return ["unavailable"];
  // Tokens that do not verify, or too large to keep in cookies: no session can come of them.
  if (isCode(error, "ERR_TOKEN_INVALID") || isCode(error, "ERR_SESSION_TOO_LARGE")) return ["rejected"];
  if (!isCode(error, "ERR_COGNITO_REJECTED")) throw error;
  return rejection(error as CognitoRejectedError, step);
}

/** The failure a sign-in form shows for Cognito's refusal `error`. */
function rejection(error: CognitoRejectedError, step: "initiate" | "respond"): [PasswordFailure, { cognitoError?: string }?] {
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
    case "NotAuthorizedException":
      // Cognito reports a lockout as NotAuthorized; only its message tells them apart.
      if (/attempts exceeded/i.test(error.detail ?? "")) return ["locked-out"];
      // A wrong or missing client secret is the app's fault, not the user's: say so.
      if (/secret hash/i.test(error.detail ?? "")) return ["rejected", { cognitoError: error.type }];
      return [step === "respond" ? "challenge-expired" : "invalid-credentials"];
    case "CodeMismatchException":
    case "ExpiredCodeException":
      return ["challenge-expired"];
    case "UserNotFoundException":
      return ["invalid-credentials"];
    case "InvalidPasswordException":
      // On a new password: the policy. On sign-in: the embedded Cognito's wrong password.
      return [step === "respond" ? "invalid-new-password" : "invalid-credentials"];
    default:
      return ["rejected", { cognitoError: error.type }];
  }
}

/** `["userAttributes.name"]` (a JSON string) to `["name"]`; anything malformed to `[]`. */
function requiredAttributes(json: string | undefined): string[] {
  try {
    const list: unknown = JSON.parse(json ?? "[]");
    if (!Array.isArray(list)) return [];
    return list.filter((a): a is string => typeof a === "string").map((a) => a.replace(/^userAttributes\./, ""));
  } catch {
    return [];
  }
}

/** The attribute names a sealed challenge required; none from a value of another shape. */
function challengeAttributes(challenge: PendingChallenge): string[] {
  const names: unknown = challenge.requiredAttributes;
  return Array.isArray(names) ? names.filter((name): name is string => typeof name === "string") : [];
}

/** Non-empty, within Cognito's length, no control characters. */
function plausible(value: string, max: number): boolean {
  return value.length > 0 && value.length <= max && !/[\u0000-\u001f\u007f]/.test(value);
}
