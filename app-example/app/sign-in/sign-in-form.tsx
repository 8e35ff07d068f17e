"use client";

import { useActionState } from "react";
import { type SignInState, signInAction } from "./actions";

export function SignInForm({ returnTo }: { returnTo: string }) {
  const [state, action, pending] = useActionState<SignInState, FormData>(signInAction, { step: "password" });
  return (
    <form action={action} style={{ display: "grid", gap: "0.75rem", maxWidth: 320 }}>
      {state.message && (
        <p role="alert" data-testid="sign-in-message">
          {state.message}
        </p>
      )}
      {state.step === "password" ? (
        <>
          <input type="hidden" name="returnTo" value={returnTo} />
          <label>
            Email <input name="username" type="email" autoComplete="username" required />
          </label>
          <label>
            Password <input name="password" type="password" autoComplete="current-password" required />
          </label>
        </>
      ) : (
        <>
          <label>
            New password <input name="newPassword" type="password" autoComplete="new-password" required />
          </label>
          {state.requiredAttributes?.map((name) => (
            <label key={name}>
              {name} <input name={`attr:${name}`} required />
            </label>
          ))}
        </>
      )}
      <button type="submit" disabled={pending}>
        {state.step === "password" ? "Continue" : "Set password"}
      </button>
    </form>
  );
}
