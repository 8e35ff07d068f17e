"use server";

import { redirect } from "next/navigation";
import { auth } from "../../auth";
import { field, fieldsOf, isForm, shortText } from "../forms";

/** What the reset form shows next: the username step or the code step, what was typed (never a password), the last message. */
export interface ResetState {
  step: "request" | "reset";
  username?: string;
  message?: string;
  notice?: string;
}

const MALFORMED: ResetState = { step: "request", message: "Something went wrong. Please start again." };

/**
 * The password reset's server action: ask for a code (`forgotPassword`; the answer is the
 * same whether or not the account exists), then set the new password with it
 * (`confirmForgotPassword`, which signs the user in). Arguments are whatever was posted:
 * checked by shape, anything else answered with a failure state.
 */
export async function resetAction(previous: ResetState, form: FormData): Promise<ResetState> {
  const state = readState(previous);
  if (!state || !isForm(form)) return MALFORMED;
  if (state.step === "request" || field(form, "intent") === "resend") {
    const username = state.username ?? field(form, "username");
    const result = await auth.forgotPassword({ username });
    if (result.status === "failed") return { step: state.step, username: shortText(username, 128), message: result.message };
    return { step: "reset", username: shortText(username, 128), ...(state.step === "reset" ? { notice: "A new code is on its way." } : {}) };
  }
  const username = state.username ?? "";
  const returnTo = field(form, "returnTo");
  const result = await auth.confirmForgotPassword({ username, code: field(form, "code"), newPassword: field(form, "newPassword"), returnTo });
  switch (result.status) {
    case "signed-in":
      return redirect(result.returnTo);
    case "failed":
      return { ...state, message: result.message };
    default:
      // The password is set, but the sign-in needs a second factor (or did not go through):
      // the password form takes over, the username filled in.
      return redirect(`/sign-in?${new URLSearchParams({ returnTo: returnTo || "/", username, reset: "1" })}`);
  }
}

/** The previous state, rebuilt from what was posted; undefined when it is not one. */
function readState(value: unknown): ResetState | undefined {
  const { step, username } = fieldsOf(value);
  if (step === "request") return { step };
  if (step !== "reset" || !shortText(username, 128)) return undefined;
  return { step, username: shortText(username, 128) };
}
