// Every account action takes whatever a form posted: any shape gives a typed result, never a
// throw, and what reaches Cognito is strings only, with attribute names from the allow-list.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { changePassword, deleteAccount, disableTotp, setUpTotp, updateAttributes, verifyAttribute, verifyTotp } from "../src/flows/account-settings.ts";
import { respondToChallenge } from "../src/flows/challenges.ts";
import { allowedAttributes, codeOf, passwordOf, usernameOf } from "../src/flows/form-input.ts";
import { confirmForgotPassword, forgotPassword } from "../src/flows/password-reset.ts";
import { confirmSignUp, resendConfirmationCode, signUp } from "../src/flows/sign-up.ts";
import { MESSAGES } from "../src/flows/failures.ts";
import type { CookieJar } from "../src/persistence/jar.ts";
import { coreOf } from "../src/internal.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";

const fake = useFakeCognito();

const huge = "x".repeat(1 << 16);
const value = fc.oneof(fc.jsonValue(), fc.anything(), fc.constant(huge), fc.string(), fc.stringMatching(/^[0-9 ]{0,12}$/));
/** A whole input: a value of any shape, or an object whose known fields hold any value. */
const input = (fields: string[]) =>
  fc.oneof(
    value,
    fc.constantFrom(undefined, null, [], [null, null], huge),
    fc.record(
      Object.fromEntries(
        fields.map((f) => [f, fields.includes("attributes") && f === "attributes" ? fc.oneof(value, fc.dictionary(fc.string(), value)) : value]),
      ),
      {
        requiredKeys: [],
      },
    ),
  );

/** A result a page can show: a status, and for a failure a known reason with its own message. */
function typed(result: unknown): boolean {
  const r = result as { status?: unknown; reason?: unknown; message?: unknown };
  if (typeof r?.status !== "string") return false;
  if (r.status !== "failed") return true;
  return typeof r.reason === "string" && r.reason in MESSAGES && r.message === MESSAGES[r.reason as keyof typeof MESSAGES];
}

/** Every value of `body`, however deep, is a string (or a list or object of them; booleans where the API takes them). */
function onlyStrings(body: unknown): boolean {
  if (typeof body === "string" || typeof body === "boolean") return true;
  if (Array.isArray(body)) return body.every(onlyStrings);
  if (typeof body === "object" && body !== null) return Object.values(body).every(onlyStrings);
  return false;
}

const WRITABLE = new Set(["name", "given_name", "family_name", "nickname", "preferred_username", "email", "phone_number", "locale", "zoneinfo"]);
/** Every attribute name sent in SignUp or UpdateUserAttributes is writable. */
const attributesAllowed = () => fake.calls.every((c) => ((c.body.UserAttributes ?? []) as Array<{ Name: string }>).every((a) => WRITABLE.has(a.Name)));

describe("any input shape gives a typed result, sending Cognito strings only", () => {
  // Cognito accepts every call: whatever input gets through the checks reaches it.
  const accept = () => {
    fake.onApi = (action) => ({
      status: 200,
      body: action === "VerifySoftwareToken" ? { Status: "SUCCESS" } : action === "AssociateSoftwareToken" ? { SecretCode: "JBSWY3DPEHPK3PXP" } : {},
    });
  };

  const cases: Array<[string, string[], (jar: CookieJar, candidate: never) => Promise<{ result: unknown }>]> = [
    ["signUp", ["username", "password", "attributes", "returnTo"], (jar, c) => signUp(coreOf(app()), jar, c)],
    ["confirmSignUp", ["username", "code", "returnTo"], (jar, c) => confirmSignUp(coreOf(app()), jar, c)],
    ["resendConfirmationCode", ["username"], (_jar, c) => resendConfirmationCode(coreOf(app()), c)],
    ["forgotPassword", ["username"], (_jar, c) => forgotPassword(coreOf(app()), c)],
    ["confirmForgotPassword", ["username", "code", "newPassword", "returnTo"], (jar, c) => confirmForgotPassword(coreOf(app()), jar, c)],
    ["respondToChallenge", ["code", "newPassword", "attributes", "mfaType", "returnTo"], (jar, c) => respondToChallenge(coreOf(app()), jar, c)],
  ];
  let shared: ReturnType<typeof fake.app> | undefined;
  const app = () => (shared ??= fake.app());

  it.each(cases)("%s: for any input, a typed result, strings only, writable attributes only", async (_name, fields, run) => {
    shared = undefined;
    accept();
    await fc.assert(
      fc.asyncProperty(input(fields), async (candidate) => {
        const { result } = await run(new Map(), candidate as never);
        return typed(result) && fake.calls.every((c) => onlyStrings(c.body)) && attributesAllowed();
      }),
      { numRuns: 60 },
    );
  });

  it("respondToChallenge over a pending challenge of each kind: for any input, a typed result, and only that challenge's own response fields, as strings", async () => {
    const core = coreOf(fake.app());
    accept();
    const own: Record<string, string[]> = {
      SMS_MFA: ["SMS_MFA_CODE"],
      EMAIL_OTP: ["EMAIL_OTP_CODE"],
      SOFTWARE_TOKEN_MFA: ["SOFTWARE_TOKEN_MFA_CODE"],
      SELECT_MFA_TYPE: ["ANSWER"],
      MFA_SETUP: [],
      NEW_PASSWORD_REQUIRED: ["NEW_PASSWORD", "userAttributes.name"],
    };
    const jars = new Map<string, CookieJar>();
    for (const name of Object.keys(own)) {
      const changes = await core.transactions.holdChallenge({
        name,
        username: "u1",
        session: "s",
        returnTo: "/",
        requiredAttributes: ["name"],
        options: ["SMS_MFA"],
      });
      jars.set(name, new Map(changes.set.map((c) => [c.name, [c.value]])));
    }
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(own)), input(["code", "newPassword", "attributes", "mfaType", "returnTo"]), async (name, candidate) => {
        fake.calls.length = 0;
        const { result } = await respondToChallenge(core, new Map(jars.get(name)!), candidate as never);
        const allowed = new Set(["USERNAME", ...own[name]!]);
        const responses = fake.calls.filter((c) => c.action === "RespondToAuthChallenge").map((c) => c.body.ChallengeResponses as Record<string, unknown>);
        return typed(result) && fake.calls.every((c) => onlyStrings(c.body)) && responses.every((r) => Object.keys(r).every((k) => allowed.has(k)));
      }),
      { numRuns: 200 },
    );
  });

  it("signed-in actions: for any input, a typed result, strings only, writable attributes only", async () => {
    const signed = fake.app();
    const { browser } = await fake.signedIn(signed);
    const jar: CookieJar = new Map([...browser.cookies].map(([n, v]) => [n, [v]]));
    const core = coreOf(signed);
    accept();
    const actions = [
      (c: never) => changePassword(core, new Map(jar), c),
      (c: never) => verifyTotp(core, new Map(jar), c),
      (c: never) => updateAttributes(core, new Map(jar), c),
      (c: never) => verifyAttribute(core, new Map(jar), c),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: actions.length - 1 }),
        input(["currentPassword", "newPassword", "code", "attributes", "attribute"]),
        async (i, candidate) => {
          const { result } = await actions[i]!(candidate as never);
          return typed(result) && fake.calls.every((c) => onlyStrings(c.body)) && attributesAllowed();
        },
      ),
      { numRuns: 120 },
    );
    for (const action of [setUpTotp, disableTotp, deleteAccount]) expect(typed((await action(core, new Map(jar))).result)).toBe(true);
  });
});

describe("input parsers", () => {
  it("codeOf: a code exactly when, spaces and tabs dropped, 4 to 10 ASCII digits remain (oracle: a plain loop)", () => {
    const oracle = (v: unknown): string | undefined => {
      if (typeof v !== "string") return undefined;
      let out = "";
      for (const ch of v) {
        if (ch === " " || ch === "\t") continue;
        if (ch < "0" || ch > "9") return undefined;
        out += ch;
      }
      return out.length >= 4 && out.length <= 10 ? out : undefined;
    };
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), fc.stringMatching(/^[0-9 \t٠-٩]{0,14}$/)), (v) => codeOf(v) === oracle(v)),
      { numRuns: 2000 },
    );
    expect(codeOf("12 34 56")).toBe("123456");
    expect(codeOf("١٢٣٤٥٦")).toBeUndefined();
    expect(codeOf("123456\n")).toBeUndefined();
  });

  it("usernameOf: trimmed, 1 to 128 characters, no control characters; anything else none", () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 140 })), (v) => {
        const got = usernameOf(v);
        if (typeof v !== "string") return got === undefined;
        const t = v.trim();
        const ok = t.length >= 1 && t.length <= 128 && !/[\u0000-\u001f\u007f]/.test(t);
        return ok ? got === t : got === undefined;
      }),
      { numRuns: 1000 },
    );
  });

  it("passwordOf: a string of 1 to 256 characters as typed (spaces count), anything else none", () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string({ maxLength: 300 }), fc.constant(" "), fc.constant("x".repeat(257))), (v) => {
        const got = passwordOf(v);
        return typeof v === "string" && v.length >= 1 && v.length <= 256 ? got === v : got === undefined;
      }),
      { numRuns: 1000 },
    );
  });

  it("allowedAttributes: names only from the allow-list, own string values within 2048, in the allow-list's order", () => {
    const allow = ["name", "email", "custom:tenant"];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.dictionary(fc.constantFrom("name", "email", "custom:tenant", "custom:role", "email_verified", "__proto__", "constructor"), value),
        ),
        (given) => {
          const pairs = allowedAttributes(given, allow);
          const names = pairs.map((p) => p.Name);
          const inOrder = names.every((n, i) => i === 0 || allow.indexOf(names[i - 1]!) < allow.indexOf(n));
          const own = typeof given === "object" && given !== null ? (given as Record<string, unknown>) : {};
          return (
            inOrder &&
            pairs.every(
              (p) => allow.includes(p.Name) && typeof p.Value === "string" && p.Value.length <= 2048 && Object.hasOwn(own, p.Name) && own[p.Name] === p.Value,
            )
          );
        },
      ),
      { numRuns: 1000 },
    );
    expect(allowedAttributes(Object.create({ name: "inherited" }), allow)).toEqual([]);
  });
});
