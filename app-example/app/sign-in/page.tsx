import { safeReturnTo } from "next-cognito-session";
import { auth } from "../../auth";
import { SignInForm } from "./sign-in-form";

const NOTICES = {
  confirmed: "Your account is confirmed. Please sign in.",
  reset: "Your password has been reset. Please sign in.",
};

/**
 * Password sign-in in the app itself, through a server action (`actions.ts`), then any
 * challenge Cognito asks for. `?username=` fills in the email; `?confirmed=1` and `?reset=1`
 * say why the user is here (after a sign-up or a password reset).
 */
export default async function SignIn({
  searchParams,
}: {
  searchParams: Promise<{ returnTo?: string; username?: string; confirmed?: string; reset?: string }>;
}) {
  const query = await searchParams;
  const returnTo = safeReturnTo(query.returnTo, auth.config.appUrl);
  const username = typeof query.username === "string" && query.username.length <= 128 ? query.username : undefined;
  const notice = query.confirmed === "1" ? NOTICES.confirmed : query.reset === "1" ? NOTICES.reset : undefined;
  const session = await auth.getServerSession();
  return (
    <main>
      <h1>Sign in with a password</h1>
      {session?.user && <p>You are signed in as {session.user.email}; signing in again replaces that session.</p>}
      <SignInForm returnTo={returnTo} username={username} notice={notice} />
      <p>
        Or use the <a href={`/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}`}>hosted sign-in page</a>. No account yet?{" "}
        <a href={`/sign-up?returnTo=${encodeURIComponent(returnTo)}`}>Sign up</a>
      </p>
    </main>
  );
}
