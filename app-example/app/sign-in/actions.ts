"use server";

import type { Challenge } from "next-cognito-session";
import { redirect } from "next/navigation";
import { auth } from "../../auth";
import { field, fieldsOf, isForm, shortText } from "../forms";
import { isOtpauthUri, qrDataUrl } from "../qr";

/** The sign-in challenges this form answers, each with `auth.respondToChallenge`. */
const CHALLENGES = ["SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA", "SELECT_MFA_TYPE", "MFA_SETUP", "NEW_PASSWORD_REQUIRED"] as const;
export type ChallengeName = (typeof CHALLENGES)[number];
const MFA_TYPES: string[] = ["SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA"];

/** What the challenge step shows: never Cognito's session, which the library keeps sealed in a cookie. */
export interface ChallengeView {
  name: ChallengeName;
  /** Where a code was sent (masked by Cognito), for SMS_MFA and EMAIL_OTP. */
  destination?: string;
  /** The second factors to choose from, for SELECT_MFA_TYPE. */
  options?: string[];
  /** The authenticator's otpauth URI, its QR code (a data URL) and its secret, for MFA_SETUP. */
  otpauthUri?: string;
  qr?: string;
  secret?: string;
  /** Attributes the pool asks for with a new password, for NEW_PASSWORD_REQUIRED. */
  requiredAttributes?: string[];
}

/** What the form shows next: which step, what the user typed (never a password), and the last message. */
export type SignInState =
  | {
      step: "password";
      username?: string;
      message?: string;
      /** Where a failure leads: the password reset or the account confirmation. */
      next?: "forgot-password" | "confirm-sign-up";
    }
  | { step: "challenge"; challenge: ChallengeView; returnTo: string; message?: string };

const MALFORMED: SignInState = { step: "password", message: "Something went wrong. Please sign in again." };

/** Failures after which the same challenge is answered again; any other starts the sign-in over. */
const RETRY = new Set(["code-mismatch", "invalid-new-password", "invalid-input"]);

/**
 * The sign-in form's server action: the password first, then whatever challenge Cognito
 * asks for (a code by SMS or email, a TOTP code, a choice of factor, an authenticator to
 * set up, a new password), each answered through the library. Cookies are set by the
 * library; passwords and codes go to Cognito and nowhere else.
 *
 * Both arguments are whatever was posted to the action, not necessarily what the form
 * sent: their shape is checked, and anything else is answered with a failure, not a 500.
 */
export async function signInAction(previous: SignInState, form: FormData): Promise<SignInState> {
  const state = readState(previous);
  if (!state || !isForm(form)) return MALFORMED;
  if (state.step === "password") {
    const username = field(form, "username");
    const returnTo = field(form, "returnTo");
    const result = await auth.signInWithPassword({ username, password: field(form, "password"), returnTo });
    switch (result.status) {
      case "signed-in":
        return redirect(result.returnTo);
      case "challenge":
        return { step: "challenge", challenge: await view(result.challenge), returnTo };
      case "failed":
        return { step: "password", username: shortText(username, 128), message: result.message, ...nextOf(result) };
    }
  }
  const { challenge, returnTo } = state;
  const result = await auth.respondToChallenge({
    code: field(form, "code"),
    newPassword: field(form, "newPassword"),
    mfaType: field(form, "mfaType"),
    // The library sends Cognito only the attributes the challenge required, whatever is named here.
    attributes: Object.fromEntries((challenge.requiredAttributes ?? []).map((name) => [name, field(form, `attr:${name}`)])),
    returnTo,
  });
  switch (result.status) {
    case "signed-in":
      return redirect(result.returnTo);
    case "challenge":
      return { step: "challenge", challenge: await view(result.challenge), returnTo };
    case "failed":
      return RETRY.has(result.reason)
        ? { ...state, challenge: await view(challenge), message: result.message }
        : { step: "password", message: result.message, ...nextOf(result) };
  }
}

/** A challenge as the library reports it (or as the form held it), with the QR code drawn for MFA_SETUP. */
async function view(
  challenge: Pick<Challenge, "destination" | "otpauthUri" | "requiredAttributes"> & { name: ChallengeName; options?: readonly string[] },
): Promise<ChallengeView> {
  const otpauthUri = isOtpauthUri(challenge.otpauthUri) ? challenge.otpauthUri : undefined;
  return {
    name: challenge.name,
    ...(challenge.destination ? { destination: challenge.destination } : {}),
    ...(challenge.options ? { options: challenge.options.filter((o) => MFA_TYPES.includes(o)) } : {}),
    ...(otpauthUri ? { otpauthUri, qr: await qrDataUrl(otpauthUri), secret: new URL(otpauthUri).searchParams.get("secret") ?? "" } : {}),
    ...(challenge.requiredAttributes ? { requiredAttributes: challenge.requiredAttributes } : {}),
  };
}

/** Where a failure leads next, when it leads anywhere. */
function nextOf(result: { next?: string }): { next?: "forgot-password" | "confirm-sign-up" } {
  return result.next === "forgot-password" || result.next === "confirm-sign-up" ? { next: result.next } : {};
}

const NAME = /^[\w:.-]{1,64}$/;

/**
 * The form's previous state, rebuilt from what was posted; undefined when it is not one.
 * It only chooses which fields to read and what to show again: the challenge itself is the
 * one the library keeps sealed, whatever the state claims.
 */
function readState(value: unknown): SignInState | undefined {
  const { step, challenge, returnTo } = fieldsOf(value);
  if (step === "password") return { step };
  if (step !== "challenge") return undefined;
  const { name, destination, options, otpauthUri, requiredAttributes } = fieldsOf(challenge);
  if (typeof name !== "string" || !(CHALLENGES as readonly string[]).includes(name)) return undefined;
  // Attribute names only pick form fields to read; a few short names is all a pool asks for.
  const names = Array.isArray(requiredAttributes) ? requiredAttributes : [];
  if (names.length > 32 || !names.every((n) => typeof n === "string" && NAME.test(n))) return undefined;
  const choices = Array.isArray(options) ? options.filter((o): o is string => typeof o === "string" && MFA_TYPES.includes(o)) : [];
  return {
    step,
    returnTo: shortText(returnTo, 2048),
    challenge: {
      name: name as ChallengeName,
      ...(shortText(destination, 128) ? { destination: shortText(destination, 128) } : {}),
      ...(choices.length ? { options: choices } : {}),
      // The QR code is drawn again from the URI, never taken from what was posted.
      ...(isOtpauthUri(otpauthUri) ? { otpauthUri } : {}),
      ...(names.length ? { requiredAttributes: names as string[] } : {}),
    },
  };
}
