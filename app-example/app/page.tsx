import { auth } from "../auth";

export default async function Home() {
  const session = await auth.getServerSession();
  return (
    <main>
      <h1>next-cognito-session</h1>
      {session?.user ? (
        <p>
          Signed in as <strong>{session.user.email ?? session.user.username}</strong>. <a href="/dashboard">Dashboard</a>
        </p>
      ) : (
        <p>
          <a href="/auth/sign-in?returnTo=/dashboard">Sign in</a> or <a href="/sign-in?returnTo=/dashboard">use a password</a>
        </p>
      )}
    </main>
  );
}
