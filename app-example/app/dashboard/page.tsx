import { auth } from "../../auth";
import { ClientSession } from "./client-session";

export default async function Dashboard() {
  // The middleware already sent signed-out visitors to sign in; this read verifies on its own.
  const session = await auth.getServerSession();
  if (!session?.user) return <p>Not signed in.</p>;
  const { user } = session;
  return (
    <main>
      <h1>Dashboard</h1>
      <dl>
        <dt>Email</dt>
        <dd data-testid="email">{user.email}</dd>
        <dt>User id (sub)</dt>
        <dd data-testid="sub">{user.sub}</dd>
        <dt>Groups</dt>
        <dd data-testid="groups">{user.groups.join(", ") || "none"}</dd>
      </dl>
      <ClientSession />
      <form method="post" action="/auth/sign-out">
        <button type="submit">Sign out</button>
      </form>
      <form method="post" action="/auth/sign-out">
        <input type="hidden" name="level" value="global" />
        <button type="submit">End every session of this account</button>
      </form>
    </main>
  );
}
