import { safeReturnTo } from "next-cognito-session";
import { auth } from "../../auth";
import { SignUpForm } from "./sign-up-form";

/**
 * Sign-up in the app itself: an account, then the emailed code. `?step=confirm&username=…`
 * opens the code step directly (where sign-in's `user-not-confirmed` leads).
 */
export default async function SignUp({ searchParams }: { searchParams: Promise<{ returnTo?: string; step?: string; username?: string }> }) {
  const query = await searchParams;
  const returnTo = safeReturnTo(query.returnTo ?? "/account", auth.config.appUrl);
  const username = typeof query.username === "string" && query.username.length <= 128 ? query.username : undefined;
  const initial = query.step === "confirm" ? { step: "confirm" as const, ...(username ? { username } : {}) } : { step: "details" as const };
  return (
    <main>
      <h1>{initial.step === "confirm" ? "Confirm your account" : "Create an account"}</h1>
      <SignUpForm initial={initial} returnTo={returnTo} />
      <p>
        Already have an account? <a href={`/sign-in?returnTo=${encodeURIComponent(returnTo)}`}>Sign in</a>
      </p>
    </main>
  );
}
