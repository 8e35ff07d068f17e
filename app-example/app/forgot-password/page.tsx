import { safeReturnTo } from "next-cognito-session";
import { auth } from "../../auth";
import { ResetForm } from "./reset-form";

/** Password reset in the app itself: a code by email, then a new password. `?username=` fills in the first step. */
export default async function ForgotPassword({ searchParams }: { searchParams: Promise<{ returnTo?: string; username?: string }> }) {
  const query = await searchParams;
  const returnTo = safeReturnTo(query.returnTo ?? "/account", auth.config.appUrl);
  const username = typeof query.username === "string" && query.username.length <= 128 ? query.username : undefined;
  return (
    <main>
      <h1>Reset your password</h1>
      <ResetForm username={username} returnTo={returnTo} />
      <p>
        <a href={`/sign-in?returnTo=${encodeURIComponent(returnTo)}`}>Back to sign-in</a>
      </p>
    </main>
  );
}
