import type { CookieJar } from "../persistence/jar.ts";
import type { Core } from "../session/core.ts";
import {
  completeNewPassword,
  type NewPasswordInput,
  type PasswordSignInInput,
  type PasswordSignInResult,
  type PasswordStep,
  passwordSignIn,
} from "../flows/password.ts";
import { requestCookieJar, writeCookieChanges } from "./next-cookies.ts";

/** Password sign-in for server actions; members of the object `createCognitoSession` returns. */
export interface PasswordApi {
  /**
   * In a server action: sign in with a username and password, setting the session
   * cookies on success. Redirect to `result.returnTo` when `result.status` is
   * `"signed-in"`; show `result.message` when it is `"failed"` (with `result.next`, lead on
   * to `forgotPassword` or `confirmSignUp`); ask for `result.challenge` when it is
   * `"challenge"` (a second factor, a new password), answered with `respondToChallenge`. Whatever shape a posted form gives `input`, the
   * answer is a result: a field that is not a string counts as empty.
   */
  signInWithPassword(input: PasswordSignInInput): Promise<PasswordSignInResult>;
  /**
   * In a server action: answer a `NEW_PASSWORD_REQUIRED` challenge with the user's new
   * password and the attributes the challenge required (no others are sent).
   * @deprecated Use `respondToChallenge`, which answers every challenge, this one included.
   */
  completeNewPassword(input: NewPasswordInput): Promise<PasswordSignInResult>;
}

export function createPasswordApi(core: Core): PasswordApi {
  const run = async (step: (jar: CookieJar) => Promise<PasswordStep>) => {
    const { result, changes } = await step(await requestCookieJar());
    await writeCookieChanges(changes);
    return result;
  };
  return {
    signInWithPassword: (input) => run((jar) => passwordSignIn(core, jar, input)),
    completeNewPassword: (input) => run((jar) => completeNewPassword(core, jar, input)),
  };
}
