"use client";

import { useActionState } from "react";
import { type AttributesState, attributesAction, changePasswordAction, deleteAccountAction, type Notice, type TotpState, totpAction } from "./actions";
import { QrImage } from "../qr-image";

/** A section's error or notice. */
function Messages({ state, id }: { state: Notice; id: string }) {
  return (
    <>
      {state.message && (
        <p role="alert" className="message" data-testid={`${id}-message`}>
          {state.message}
        </p>
      )}
      {state.notice && (
        <p role="status" className="message ok" data-testid={`${id}-notice`}>
          {state.notice}
        </p>
      )}
    </>
  );
}

function CodeField() {
  return (
    <label>
      Code <input name="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6,8}" maxLength={8} required />
    </label>
  );
}

export function ChangePasswordForm() {
  const [state, action, pending] = useActionState<Notice, FormData>(changePasswordAction, {});
  return (
    <form action={action} aria-label="Change password">
      <Messages state={state} id="password" />
      <label>
        Current password <input name="currentPassword" type="password" autoComplete="current-password" required />
      </label>
      <label>
        New password <input name="newPassword" type="password" autoComplete="new-password" required />
      </label>
      <button type="submit" disabled={pending}>
        Change password
      </button>
    </form>
  );
}

export function TotpForm() {
  const [state, action, pending] = useActionState<TotpState, FormData>(totpAction, { step: "idle" });
  return (
    <form action={action} aria-label="Authenticator app">
      <Messages state={state} id="totp" />
      {state.step === "verify" ? (
        <>
          <p className="hint">Scan this code with your authenticator app, then enter the code it shows.</p>
          {state.qr && <QrImage src={state.qr} testId="totp-qr" />}
          <p className="hint">
            Or enter this key by hand: <code data-testid="totp-secret">{state.secret}</code>
          </p>
          <CodeField />
          <button type="submit" name="intent" value="verify" disabled={pending}>
            Turn on
          </button>
        </>
      ) : (
        <p>
          <button type="submit" name="intent" value="start" disabled={pending}>
            Set up an authenticator app
          </button>{" "}
          <button type="submit" name="intent" value="disable" className="secondary" disabled={pending}>
            Remove the authenticator app
          </button>
        </p>
      )}
    </form>
  );
}

export function AttributesForm({ name, email, notice }: { name: string; email: string; notice?: string | undefined }) {
  const [state, action, pending] = useActionState<AttributesState, FormData>(attributesAction, { step: "edit", ...(notice ? { notice } : {}) });
  return (
    <form action={action} aria-label="Profile">
      <Messages state={state} id="attributes" />
      {state.step === "verify" ? (
        <>
          <p className="hint" data-testid="attributes-destination">
            We sent a code{state.destination ? ` to ${state.destination}` : ""}.
          </p>
          <CodeField />
          <button type="submit" disabled={pending}>
            Confirm
          </button>
        </>
      ) : (
        <>
          <label>
            Name <input name="name" autoComplete="name" defaultValue={state.name ?? name} />
          </label>
          <label>
            Email <input name="email" type="email" autoComplete="email" defaultValue={state.email ?? email} required />
          </label>
          <button type="submit" disabled={pending}>
            Save
          </button>
        </>
      )}
    </form>
  );
}

export function DeleteAccountForm() {
  const [state, action, pending] = useActionState<Notice, FormData>(deleteAccountAction, {});
  return (
    <form action={action} aria-label="Delete account">
      <Messages state={state} id="delete" />
      <label className="choice">
        <input type="checkbox" name="confirm" value="yes" required /> I understand this cannot be undone
      </label>
      <button type="submit" className="danger" disabled={pending}>
        Delete my account
      </button>
    </form>
  );
}
