"use server";

import { redirect } from "next/navigation";
import { auth } from "../../auth";

/** What the form shows next: which step, and the last message. */
export interface SignInState {
  step: "password" | "new-password";
  message?: string;
  requiredAttributes?: string[];
}

const MALFORMED: SignInState = { step: "password", message: "Something went wrong. Please sign in again." };

/**
 * The sign-in form's server action. Cookies are set by the library; the password goes to
 * Cognito and nowhere else (never into the state returned to the browser).
 *
 * Both arguments are whatever was posted to the action, not necessarily what the form
 * sent: their shape is checked, and anything else is answered with a failure, not a 500.
 */
export async function signInAction(previous: SignInState, form: FormData): Promise<SignInState> {
  const state = readState(previous);
  if (!state || !isForm(form)) return MALFORMED;
  const field = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : "";
  };
  const result =
    state.step === "new-password"
      ? await auth.completeNewPassword({
          newPassword: field("newPassword"),
          // The library sends Cognito only the attributes the challenge required, whatever is named here.
          attributes: Object.fromEntries((state.requiredAttributes ?? []).map((name) => [name, field(`attr:${name}`)])),
        })
      : await auth.signInWithPassword({ username: field("username"), password: field("password"), returnTo: field("returnTo") });

  switch (result.status) {
    case "signed-in":
      return redirect(result.returnTo);
    case "challenge":
      // This form answers the new-password challenge only; other challenges start over.
      return result.challenge.name === "NEW_PASSWORD_REQUIRED"
        ? { step: "new-password", requiredAttributes: result.challenge.requiredAttributes ?? [], message: "Please choose a new password." }
        : { step: "password", message: "This account needs a sign-in step this page does not offer." };
    case "failed":
      // Only a new password that missed the policy is asked for again; anything else starts over.
      return result.reason === "invalid-new-password" ? { ...state, message: result.message } : { step: "password", message: result.message };
  }
}

/** The form's previous state, rebuilt from what was posted; undefined when it is not one. */
function readState(value: unknown): SignInState | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { step, requiredAttributes } = value as Record<string, unknown>;
  if (step === "password") return { step };
  if (step !== "new-password") return undefined;
  // Attribute names only pick form fields to read; a few short names is all a pool asks for.
  const names = Array.isArray(requiredAttributes) ? requiredAttributes : [];
  if (names.length > 32 || !names.every((name) => typeof name === "string" && /^[\w:.-]{1,64}$/.test(name))) return undefined;
  return { step, requiredAttributes: names as string[] };
}

/**
 * Whether `value` reads like the FormData the form posts. Checked by shape: a FormData from
 * another copy of the runtime fails `instanceof`, and a posted Map passes this check
 * harmlessly (its values are type-checked as they are read).
 */
function isForm(value: unknown): value is FormData {
  return typeof value === "object" && value !== null && typeof (value as { get?: unknown }).get === "function";
}
