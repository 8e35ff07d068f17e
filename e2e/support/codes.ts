import { randomBytes } from "node:crypto";
import { cognito, type CognitoLocalInfo, type DeliveredCode } from "../../scripts/cognito-local.mjs";
import type { RunningExample } from "./example-app.ts";

/**
 * The next code of `kind` the example's embedded Cognito delivered to `destination` (an
 * email address or phone number): the oldest not yet taken, or the next to come.
 */
export function codeFor(example: RunningExample, destination: string, kind: DeliveredCode["kind"]): Promise<string> {
  if (!example.codes) throw new Error("this example runs against a Cognito it did not start: no codes to read");
  return example.codes.nextCode({ username: destination, kind });
}

/** A fresh address per test, so no test meets another's user. */
export const freshEmail = (tag: string) => `${tag}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}@example.com`;

/** A password that meets the pool's policy, different each call. */
export const freshPassword = () => `Pw-${randomBytes(6).toString("base64url")}1a!`;

/** Create a confirmed user with `password` (no MFA) in the running embedded Cognito. */
export async function createUser(idp: CognitoLocalInfo, email: string, password: string): Promise<void> {
  await cognito(idp.endpoint, "AdminCreateUser", {
    UserPoolId: idp.userPoolId,
    Username: email,
    MessageAction: "SUPPRESS",
    UserAttributes: [
      { Name: "email", Value: email },
      { Name: "email_verified", Value: "true" },
    ],
  });
  await cognito(idp.endpoint, "AdminSetUserPassword", { UserPoolId: idp.userPoolId, Username: email, Password: password, Permanent: true });
}

/** One attribute of a user as the embedded Cognito holds it (undefined when unset). */
export async function attribute(example: { cognito: CognitoLocalInfo }, username: string, name: string): Promise<string | undefined> {
  const { UserAttributes } = await cognito(example.cognito.endpoint, "AdminGetUser", { UserPoolId: example.cognito.userPoolId, Username: username });
  return (UserAttributes as Array<{ Name: string; Value: string }>).find((a) => a.Name === name)?.Value;
}
