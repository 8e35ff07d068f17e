import { safeReturnTo } from "next-cognito-session";
import { auth } from "../../auth";
import { SignInForm } from "./sign-in-form";

/** Password sign-in in the app itself, through a server action (`actions.ts`). */
export default async function SignIn({ searchParams }: { searchParams: Promise<{ returnTo?: string }> }) {
  const returnTo = safeReturnTo((await searchParams).returnTo, auth.config.appUrl);
  const session = await auth.getServerSession();
  return (
    <main>
      <h1>Sign in with a password</h1>
      {session?.user && <p>You are signed in as {session.user.email}; signing in again replaces that session.</p>}
      <SignInForm returnTo={returnTo} />
      <p>
        Or use the <a href={`/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}`}>hosted sign-in page</a>.
      </p>
    </main>
  );
}
