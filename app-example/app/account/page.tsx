import { auth } from "../../auth";

export default async function Account() {
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
        <dt>Tenant</dt>
        <dd data-testid="tenant">{user?.["custom:tenant"] ?? "none"}</dd>
        <dt>Scopes</dt>
        <dd data-testid="scopes">{scopes.join(" ")}</dd>
        <dt>Session valid until</dt>
        <dd>{expiresAt.toISOString()}</dd>
      </dl>
    </main>
  );
}
