import { randomBytes } from "node:crypto";
import { expect } from "@playwright/test";
import { type CognitoLocalInfo, cognito } from "../../scripts/cognito-local.mjs";

/** A code the embedded Cognito delivered: which action sent it, to whom, and the code. */
export interface DeliveredCode {
  /** The Cognito action that sent it: SignUp, ForgotPassword, InitiateAuth, UpdateUserAttributes, … */
  action: string;
  destination: string;
  code: string;
}

// cognito-local logs each delivery as a box: a header line naming the action, then
// "Destination:" and "Code:" lines.
const HEADER = /\b([A-Z][A-Za-z]+) ╭/;
const FIELD = /│\s+(Destination|Code):\s+(\S+)/;

/** Every delivery in cognito-local's log, oldest first. */
export function codesInLog(log: string): DeliveredCode[] {
  const codes: DeliveredCode[] = [];
  let current: Partial<DeliveredCode> | undefined;
  for (const line of log.split("\n")) {
    const header = HEADER.exec(line);
    if (header) current = { action: header[1] };
    const field = current && FIELD.exec(line);
    if (!current || !field) continue;
    if (field[1] === "Destination") current.destination = field[2];
    else {
      current.code = field[2];
      if (current.destination) codes.push(current as DeliveredCode);
      current = undefined;
    }
  }
  return codes;
}

/**
 * The codes a running example's embedded Cognito delivered, read from its log. `mark()`
 * before an action; `next(destination)` then waits for the first code to `destination`
 * delivered after the mark.
 */
export class CodeInbox {
  #seen = 0;
  constructor(private readonly log: () => string) {}

  /** Codes delivered so far are old: `next` waits for a newer one. */
  mark(): void {
    this.#seen = codesInLog(this.log()).length;
  }

  /** The first code to `destination` since the last mark (the mark moves past it). */
  async next(destination: string): Promise<DeliveredCode> {
    let found: DeliveredCode | undefined;
    await expect
      .poll(
        () => {
          const fresh = codesInLog(this.log()).slice(this.#seen);
          const index = fresh.findIndex((c) => c.destination === destination);
          if (index >= 0) {
            found = fresh[index];
            this.#seen += index + 1;
          }
          return found !== undefined;
        },
        { message: `a code delivered to ${destination}` },
      )
      .toBe(true);
    return found as DeliveredCode;
  }
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
