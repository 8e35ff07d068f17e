import { auth } from "../../auth";

export default async function Admin() {
  // The middleware guards /admin too; this check stands on its own if a request ever gets past it:
  // no session redirects to sign-in, a user outside `admins` gets the forbidden page.
  const session = await auth.requireSession({ groups: ["admins"] });
  return (
    <main>
      <h1>Admin</h1>
      <p data-testid="admin-content">
        Signed in as {session.user?.email ?? session.user?.username}, member of {session.groups.join(", ")}.
      </p>
    </main>
  );
}
