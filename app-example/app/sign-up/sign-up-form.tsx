"use client";

import { useActionState } from "react";
import { type SignUpState, signUpAction } from "./actions";

/** Sign-up, then the emailed code; posts to `signUpAction` with or without JavaScript. */
export function SignUpForm({ initial, returnTo }: { initial: SignUpState; returnTo: string }) {
  const [state, action, pending] = useActionState<SignUpState, FormData>(signUpAction, initial);
  return (
    <form action={action}>
      {state.message && (
        <p role="alert" className="message" data-testid="sign-up-message">
          {state.message}
        </p>
      )}
      {state.notice && (
        <p role="status" className="message ok" data-testid="sign-up-notice">
          {state.notice}
        </p>
      )}
      <input type="hidden" name="returnTo" value={returnTo} />
      {state.step === "details" ? (
        <>
          <label>
            Email <input name="username" type="email" autoComplete="username" defaultValue={state.username} required />
          </label>
          <label>
            Name <input name="name" autoComplete="name" defaultValue={state.name} />
          </label>
          <label>
            Password <input name="password" type="password" autoComplete="new-password" required />
          </label>
          <p className="hint">At least 8 characters, with upper and lower case letters, a number and a symbol.</p>
          <button type="submit" disabled={pending}>
            Create account
          </button>
        </>
      ) : (
        <>
          {state.username ? (
            <p className="hint" data-testid="sign-up-destination">
              If {state.username} was free, we sent a code there. Enter it to confirm your account.
            </p>
          ) : (
            <label>
              Email <input name="username" type="email" autoComplete="username" required />
            </label>
          )}
          <label>
            Code <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6,8}" maxLength={8} />
          </label>
          <button type="submit" disabled={pending}>
            Confirm
          </button>
          <button type="submit" name="intent" value="resend" className="secondary" formNoValidate disabled={pending}>
            Send a new code
          </button>
        </>
      )}
    </form>
  );
}
