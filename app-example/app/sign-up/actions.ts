"use server";

import { redirect } from "next/navigation";
import { auth } from "../../auth";
import { field, fieldsOf, isForm, shortText } from "../forms";

/** What the sign-up form shows next: the details step or the code step, what was typed (never a password), the last message. */
export interface SignUpState {
  step: "details" | "confirm";
  username?: string;
  name?: string;
  message?: string;
  /** A notice that is not an error, e.g. "a new code is on its way". */
  notice?: string;
}

const MALFORMED: SignUpState = { step: "details", message: "Something went wrong. Please start again." };

/**
 * The sign-up form's server action: create the account (`signUp`), then confirm it with the
 * emailed code (`confirmSignUp`, which signs the user in where the pool allows it) or ask
 * for a new code (`resendConfirmationCode`). Arguments are whatever was posted: checked by
 * shape, anything else answered with a failure state.
 */
export async function signUpAction(previous: SignUpState, form: FormData): Promise<SignUpState> {
  const state = readState(previous);
  if (!state || !isForm(form)) return MALFORMED;
  const returnTo = field(form, "returnTo");
  if (state.step === "details") {
    const username = field(form, "username");
    const name = field(form, "name");
    const result = await auth.signUp({
      username,
      password: field(form, "password"),
      // The library sends only the attributes the config lets a user write.
      attributes: { email: username, ...(name ? { name } : {}) },
      returnTo,
    });
    const typed = { username: shortText(username, 128), name: shortText(name, 128) };
    switch (result.status) {
      case "confirmation-required":
        return { step: "confirm", ...typed };
      case "confirmed":
        return redirect(`/sign-in?${new URLSearchParams({ returnTo: returnTo || "/", username, confirmed: "1" })}`);
      default:
        return { step: "details", ...typed, message: result.message };
    }
  }
  const username = state.username ?? field(form, "username");
  // What is shown back is what a username can be, never a posted megabyte.
  const shown = { ...state, ...(shortText(username, 128) ? { username: shortText(username, 128) } : {}) };
  if (field(form, "intent") === "resend") {
    const result = await auth.resendConfirmationCode({ username });
    return result.status === "failed" ? { ...shown, message: result.message } : { ...shown, notice: "A new code is on its way." };
  }
  const result = await auth.confirmSignUp({ username, code: field(form, "code"), returnTo });
  switch (result.status) {
    case "signed-in":
      return redirect(result.returnTo);
    case "failed":
      return { ...shown, message: result.message };
    default:
      // Confirmed, and Cognito gave no session to sign in with (or asks for a second
      // factor): the password form takes over, the username filled in.
      return redirect(`/sign-in?${new URLSearchParams({ returnTo: returnTo || "/", username, confirmed: "1" })}`);
  }
}

/** The previous state, rebuilt from what was posted; undefined when it is not one. */
function readState(value: unknown): SignUpState | undefined {
  const { step, username, name } = fieldsOf(value);
  if (step === "details") return { step };
  if (step !== "confirm") return undefined;
  return {
    step,
    ...(shortText(username, 128) ? { username: shortText(username, 128) } : {}),
    ...(shortText(name, 128) ? { name: shortText(name, 128) } : {}),
  };
}
