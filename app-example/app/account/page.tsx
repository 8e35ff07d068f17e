import { auth } from "../../auth";
import { AttributesForm, ChangePasswordForm, DeleteAccountForm, TotpForm } from "./account-forms";

const SAVED: Record<string, string> = {
  profile: "Saved.",
  email: "Your email address is confirmed.",
  phone_number: "Your phone number is confirmed.",
};

export default async function Account({ searchParams }: { searchParams: Promise<{ saved?: string }> }) {
  const { saved } = await searchParams;
  // No `protect` rule covers /account: the page guards itself. Signed out, this redirects to
  // sign-in and back here.
  const { user, scopes, expiresAt } = await auth.requireSession();
  return (
    <main>
      <h1>Account</h1>
      <dl>
        <dt>Username</dt>
        <dd data-testid="username">{user?.username}</dd>
        <dt>Email</dt>
        <dd data-testid="account-email">{user?.email}</dd>
        <dt>Name</dt>
        <dd data-testid="account-name">{user?.name ?? "none"}</dd>
        <dt>Tenant</dt>
        <dd data-testid="tenant">{user?.["custom:tenant"] ?? "none"}</dd>
        <dt>Scopes</dt>
        <dd data-testid="scopes">{scopes.join(" ")}</dd>
        <dt>Session valid until</dt>
        <dd>{expiresAt.toISOString()}</dd>
      </dl>
      <section>
        <h2>Profile</h2>
        <AttributesForm
          // A saved change comes back as a new page: the form starts over from it.
          key={`${saved}:${user?.email}:${user?.name}`}
          name={user?.name ?? ""}
          email={user?.email ?? ""}
          notice={typeof saved === "string" ? SAVED[saved] : undefined}
        />
      </section>
      <section>
        <h2>Password</h2>
        <ChangePasswordForm />
      </section>
      <section>
        <h2>Authenticator app</h2>
        <p className="hint">With an authenticator app set up, signing in asks for the code it shows as well as your password.</p>
        <TotpForm />
      </section>
      <section>
        <h2>Delete account</h2>
        <DeleteAccountForm />
      </section>
    </main>
  );
}
