// The example's sign-in server action receives whatever an attacker posts as its
// arguments, not only what its form sends. Driven here with the library's real password
// and challenge flows against a scripted Cognito, in place of the example's auth.ts.
import fc from "fast-check";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { CookieJar } from "../src/persistence/jar.ts";
import { type PasswordSignInInput, passwordSignIn } from "../src/flows/password.ts";
import { type ChallengeAnswer, respondToChallenge } from "../src/flows/challenges.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";
import { coreOf } from "../src/internal.ts";

const library = vi.hoisted(() => ({
  signIn: undefined as unknown as (input: unknown) => Promise<unknown>,
  respond: undefined as unknown as (input: unknown) => Promise<unknown>,
}));
vi.mock("../app-example/auth.ts", () => ({
  auth: {
    signInWithPassword: (input: unknown) => library.signIn(input),
    respondToChallenge: (input: unknown) => library.respond(input),
  },
}));
const { signInAction } = await import("../app-example/app/sign-in/actions.ts");

const fake = useFakeCognito();
/** Every input the action handed the library. */
const handed: Array<PasswordSignInInput | ChallengeAnswer> = [];

beforeAll(async () => {
  const app = fake.app();
  // Cognito asks for a new password and the attribute `name`, then refuses every new one and every sign-in.
  fake.onApi = () => ({
    status: 200,
    body: { ChallengeName: "NEW_PASSWORD_REQUIRED", Session: "s", ChallengeParameters: { requiredAttributes: '["userAttributes.name"]' } },
  });
  const { changes } = await passwordSignIn(coreOf(app), new Map(), { username: "alice", password: "Temp0rary!" });
  const challenge: CookieJar = new Map(changes.set.map(({ name, value }) => [name, [value]]));
  library.signIn = async (input) => {
    handed.push(input as PasswordSignInInput);
    fake.onApi = () => ({ status: 400, body: { __type: "NotAuthorizedException", message: "Incorrect username or password." } });
    return (await passwordSignIn(coreOf(app), new Map(), input as PasswordSignInInput)).result;
  };
  library.respond = async (input) => {
    handed.push(input as ChallengeAnswer);
    fake.onApi = () => ({ status: 400, body: { __type: "InvalidPasswordException", message: "Password does not conform to policy" } });
    return (await respondToChallenge(coreOf(app), challenge, input as ChallengeAnswer)).result;
  };
});

const CHALLENGES = ["SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA", "SELECT_MFA_TYPE", "MFA_SETUP", "NEW_PASSWORD_REQUIRED"];
const optionalString = (value: unknown) => value === undefined || typeof value === "string";
const strings = (value: unknown) => Array.isArray(value) && value.every((n) => typeof n === "string");

/** A state the form can render: the password step or a known challenge, with only the fields each has. */
function isSignInState(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const { step, message, ...rest } = value as Record<string, unknown>;
  if (!optionalString(message)) return false;
  if (step === "password") {
    const { username, next, ...other } = rest;
    // What is shown back is bounded: a posted megabyte is not echoed into the page.
    return (
      (username === undefined || (typeof username === "string" && username.length <= 128)) &&
      (next === undefined || next === "forgot-password" || next === "confirm-sign-up") &&
      Object.keys(other).length === 0
    );
  }
  if (step !== "challenge") return false;
  const { challenge, returnTo, ...other } = rest;
  if (typeof returnTo !== "string" || Object.keys(other).length > 0 || typeof challenge !== "object" || challenge === null) return false;
  const { name, destination, options, otpauthUri, qr, secret, requiredAttributes, ...extra } = challenge as Record<string, unknown>;
  return (
    CHALLENGES.includes(name as string) &&
    [destination, otpauthUri, qr, secret].every(optionalString) &&
    (options === undefined || strings(options)) &&
    (requiredAttributes === undefined || strings(requiredAttributes)) &&
    Object.keys(extra).length === 0
  );
}

/** Every value the action handed the library is a string (attributes: a record of strings). */
const handedStringsOnly = () =>
  handed.every((input) =>
    Object.entries(input).every(([key, value]) =>
      key === "attributes" ? Object.values(value as object).every((v) => typeof v === "string") : typeof value === "string",
    ),
  );

const form = (fields: Record<string, string | Blob>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
};

describe("the example's sign-in action", () => {
  it.each([
    ["no arguments", []],
    ["[null, null]", [null, null]],
    ['[{"step":"password"}, 5]', [{ step: "password" }, 5]],
    ["a 1 MB string", ["x".repeat(1 << 20)]],
    ["a state of another step", [{ step: "admin" }, form({})]],
    [
      "a challenge state naming 1000 attributes",
      [{ step: "challenge", challenge: { name: "NEW_PASSWORD_REQUIRED", requiredAttributes: Array(1000).fill("name") } }, form({})],
    ],
    ["a challenge state of an unknown challenge", [{ step: "challenge", challenge: { name: "CUSTOM_CHALLENGE" } }, form({})]],
    ["a form whose get is not a function", [{ step: "password" }, { get: "username" }]],
  ])("answers %s with a failure state, not a 500", async (_, args) => {
    const state = await (signInAction as (...a: unknown[]) => Promise<unknown>)(...args);
    expect(state).toEqual({ step: "password", message: "Something went wrong. Please sign in again." });
  });

  it("still signs in through the form: the library gets the fields, the state gets its message", async () => {
    handed.length = 0;
    const state = await signInAction({ step: "password" }, form({ username: "alice", password: "wrong", returnTo: "/dashboard" }));
    expect(handed).toEqual([{ username: "alice", password: "wrong", returnTo: "/dashboard" }]);
    // What was typed comes back, never the password.
    expect(state).toEqual({ step: "password", username: "alice", message: "Incorrect username or password." });
    const challenge = { name: "NEW_PASSWORD_REQUIRED" as const, requiredAttributes: ["name"] };
    const retry = await signInAction(
      { step: "challenge", challenge, returnTo: "/dashboard" },
      form({ newPassword: "weak", "attr:name": "Ada", "attr:email": "x@evil.example" }),
    );
    // Only the attributes the challenge named are read, whatever else was posted.
    expect(handed[1]).toEqual({ code: "", newPassword: "weak", mfaType: "", attributes: { name: "Ada" }, returnTo: "/dashboard" });
    expect(retry).toEqual({ step: "challenge", challenge, returnTo: "/dashboard", message: "The new password does not meet the password requirements." });
  });

  it("reads a field that is a file as empty", async () => {
    handed.length = 0;
    await signInAction({ step: "password" }, form({ username: new Blob(["alice"]), password: "p" }));
    expect(handed).toEqual([{ username: "", password: "p", returnTo: "" }]);
  });

  const huge = "x".repeat(1 << 20);
  const anyValue = fc.oneof(fc.jsonValue(), fc.anything(), fc.constant(huge));
  const previous = fc.oneof(
    anyValue,
    fc.record(
      {
        step: fc.oneof(fc.constantFrom("password", "challenge"), anyValue),
        challenge: fc.oneof(
          fc.record(
            {
              name: fc.oneof(fc.constantFrom(...CHALLENGES), anyValue),
              requiredAttributes: fc.oneof(fc.array(fc.oneof(fc.constantFrom("name", "email", "custom:tenant"), fc.string())), anyValue),
              options: fc.oneof(fc.array(fc.oneof(fc.constantFrom("SMS_MFA", "SOFTWARE_TOKEN_MFA"), fc.string())), anyValue),
              otpauthUri: fc.oneof(fc.constant("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP"), anyValue),
              destination: anyValue,
            },
            { requiredKeys: [] },
          ),
          anyValue,
        ),
        returnTo: anyValue,
        message: anyValue,
      },
      { requiredKeys: [] },
    ),
  );
  const fieldName = fc.constantFrom("username", "password", "returnTo", "newPassword", "code", "mfaType", "attr:name", "attr:email", "other");
  const formArg = fc.oneof(
    anyValue,
    fc.dictionary(fieldName, fc.oneof(fc.string(), fc.constant(huge), fc.constant("/dashboard"))).map(form),
    fc.dictionary(fieldName, anyValue).map((entries) => new Map(Object.entries(entries))),
  );

  it("property: for any previous state and form posted, the action resolves to a state the form can render (no field the form does not know, nothing but text), hands the library strings only, and never throws", async () => {
    handed.length = 0;
    await fc.assert(
      fc.asyncProperty(previous, formArg, async (p, f) => {
        const state = await signInAction(p as never, f as never);
        return isSignInState(state) && handedStringsOnly();
      }),
      {
        numRuns: 200,
        // A form for each step that reaches the library, whatever else the run draws.
        examples: [
          [{ step: "password" }, form({ username: "alice@example.com", password: "p" })],
          [{ step: "challenge", challenge: { name: "SOFTWARE_TOKEN_MFA" } }, form({ code: "123456" })],
        ],
      },
    );
    // The property reached the library through both steps, not only the early refusal.
    expect(handed.some((input) => "username" in input)).toBe(true);
    expect(handed.some((input) => "newPassword" in input)).toBe(true);
  });
});
