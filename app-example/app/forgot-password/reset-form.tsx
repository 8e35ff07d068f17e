"use client";

import { useActionState } from "react";
import { type ResetState, resetAction } from "./actions";

/** The username, then the emailed code and a new password; posts to `resetAction` with or without JavaScript. */
export function ResetForm({ username, returnTo }: { username?: string; returnTo: string }) {
  const [state, action, pending] = useActionState<ResetState, FormData>(resetAction, { step: "request", username });
  return (
    <form action={action}>
      {state.message && (
        <p role="alert" className="message" data-testid="reset-message">
          {state.message}
        </p>
      )}
      {state.notice && (
        <p role="status" className="message ok" data-testid="reset-notice">
          {state.notice}
        </p>
      )}
      <input type="hidden" name="returnTo" value={returnTo} />
      {state.step === "request" ? (
        <>
          <label>
            Email <input name="username" type="email" autoComplete="username" defaultValue={state.username} required />
          </label>
          <button type="submit" disabled={pending}>
            Send a code
          </button>
        </>
      ) : (
        <>
          <p className="hint" data-testid="reset-destination">
            If {state.username} has an account, we sent a code to its email address.
          </p>
          <label>
            Code <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6,8}" maxLength={8} required />
          </label>
          <label>
            New password <input name="newPassword" type="password" autoComplete="new-password" required />
          </label>
          <button type="submit" disabled={pending}>
            Set new password
          </button>
          <button type="submit" name="intent" value="resend" className="secondary" formNoValidate disabled={pending}>
            Send a new code
          </button>
        </>
      )}
    </form>
  );
}
