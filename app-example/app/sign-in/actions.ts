"use server";

import { redirect } from "next/navigation";
import { auth } from "../../auth";

/** What the form shows next: which step, and the last message. */
export interface SignInState {
  step: "password" | "new-password";
  message?: string;
  requiredAttributes?: string[];
}

/**
 * The sign-in form's server action. Cookies are set by the library; the password goes to
 * Cognito and nowhere else (never into the state returned to the browser).
 */
export async function signInAction(previous: SignInState, form: FormData): Promise<SignInState> {
  const field = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : "";
  };
  const result =
    previous.step === "new-password"
      ? await auth.completeNewPassword({
          newPassword: field("newPassword"),
          attributes: Object.fromEntries((previous.requiredAttributes ?? []).map((name) => [name, field(`attr:${name}`)])),
        })
      : await auth.signInWithPassword({ username: field("username"), password: field("password"), returnTo: field("returnTo") });

  switch (result.status) {
    case "signed-in":
      redirect(result.returnTo);
    case "new-password-required":
      return { step: "new-password", requiredAttributes: result.requiredAttributes, message: "Please choose a new password." };
    case "failed":
      // Only a new password that missed the policy is asked for again; anything else starts over.
      return result.reason === "invalid-new-password"
        ? { ...previous, message: result.message }
        : { step: "password", message: result.message };
  }
}
