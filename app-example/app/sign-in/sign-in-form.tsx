"use client";

import { useActionState } from "react";
import { QrImage } from "../qr-image";
import { type ChallengeView, type SignInState, signInAction } from "./actions";

const FACTOR_LABELS: Record<string, string> = {
  SMS_MFA: "A code by text message",
  EMAIL_OTP: "A code by email",
  SOFTWARE_TOKEN_MFA: "A code from my authenticator app",
};

/** The password form, then the challenge Cognito asks for; posts to `signInAction` with or without JavaScript. */
export function SignInForm({ returnTo, username, notice }: { returnTo: string; username?: string; notice?: string }) {
  const [state, action, pending] = useActionState<SignInState, FormData>(signInAction, { step: "password", ...(username ? { username } : {}) });
  return (
    <form action={action}>
      {state.message && (
        <p role="alert" className="message" data-testid="sign-in-message">
          {state.message}
        </p>
      )}
      {notice && !state.message && state.step === "password" && (
        <p role="status" className="message ok" data-testid="sign-in-notice">
          {notice}
        </p>
      )}
      {state.step === "password" ? (
        <>
          {state.next && <NextStep next={state.next} username={state.username ?? ""} />}
          <input type="hidden" name="returnTo" value={returnTo} />
          <label>
            Email <input name="username" type="email" autoComplete="username" defaultValue={state.username} required />
          </label>
          <label>
            Password <input name="password" type="password" autoComplete="current-password" required />
          </label>
          <a href="/forgot-password" className="hint">
            Forgot your password?
          </a>
        </>
      ) : (
        <ChallengeFields challenge={state.challenge} />
      )}
      <button type="submit" disabled={pending}>
        {state.step === "password" ? "Continue" : buttonLabel(state.challenge.name)}
      </button>
    </form>
  );
}

/** Where a `password-reset-required` or `user-not-confirmed` failure leads. */
function NextStep({ next, username }: { next: "forgot-password" | "confirm-sign-up"; username: string }) {
  const query = username ? `?username=${encodeURIComponent(username)}` : "";
  return next === "forgot-password" ? (
    <p data-testid="sign-in-next">
      <a href={`/forgot-password${query}`}>Reset your password</a>
    </p>
  ) : (
    <p data-testid="sign-in-next">
      <a href={`/sign-up?step=confirm${query ? `&${query.slice(1)}` : ""}`}>Confirm your account</a>
    </p>
  );
}

function buttonLabel(name: ChallengeView["name"]): string {
  if (name === "SELECT_MFA_TYPE") return "Continue";
  if (name === "NEW_PASSWORD_REQUIRED") return "Set password";
  return "Verify";
}

/** The fields of one challenge. */
function ChallengeFields({ challenge }: { challenge: ChallengeView }) {
  switch (challenge.name) {
    case "SMS_MFA":
    case "EMAIL_OTP":
      return (
        <>
          <p className="hint" data-testid="challenge-hint">
            We sent a code {challenge.name === "SMS_MFA" ? "by text message" : "by email"}
            {challenge.destination ? ` to ${challenge.destination}` : ""}.
          </p>
          <CodeField />
        </>
      );
    case "SOFTWARE_TOKEN_MFA":
      return (
        <>
          <p className="hint" data-testid="challenge-hint">
            Enter the code your authenticator app shows.
          </p>
          <CodeField />
        </>
      );
    case "SELECT_MFA_TYPE":
      return (
        <fieldset>
          <legend>How would you like to confirm it is you?</legend>
          {(challenge.options ?? []).map((option, i) => (
            <label key={option} className="choice">
              <input type="radio" name="mfaType" value={option} defaultChecked={i === 0} required /> {FACTOR_LABELS[option] ?? option}
            </label>
          ))}
        </fieldset>
      );
    case "MFA_SETUP":
      return (
        <>
          <p className="hint">This account needs an authenticator app. Scan the code, then enter the code the app shows.</p>
          {challenge.qr && <QrImage src={challenge.qr} />}
          {challenge.secret && (
            <p className="hint">
              Or enter this key by hand: <code data-testid="totp-secret">{challenge.secret}</code>
            </p>
          )}
          <CodeField />
        </>
      );
    case "NEW_PASSWORD_REQUIRED":
      return (
        <>
          <p className="hint">Please choose a new password.</p>
          <label>
            New password <input name="newPassword" type="password" autoComplete="new-password" required />
          </label>
          {challenge.requiredAttributes?.map((name) => (
            <label key={name}>
              {name} <input name={`attr:${name}`} required />
            </label>
          ))}
        </>
      );
  }
}

function CodeField() {
  return (
    <label>
      Code <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6,8}" maxLength={8} required />
    </label>
  );
}
