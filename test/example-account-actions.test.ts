// The example's sign-up, password-reset and account server actions receive whatever an
// attacker posts as their arguments, not only what their forms send. Driven here with a
// recording stand-in for the example's auth.ts that refuses everything.
import fc from "fast-check";
import { beforeEach, describe, expect, it, vi } from "vitest";

const calls = vi.hoisted(() => [] as Array<{ action: string; input: unknown }>);
vi.mock("../app-example/auth.ts", () => {
  const refuse = (action: string) => async (input?: unknown) => {
    calls.push({ action, input });
    return { status: "failed", reason: "code-mismatch", message: "That code is not correct." };
  };
  const names = ["signUp", "confirmSignUp", "resendConfirmationCode", "forgotPassword", "confirmForgotPassword"];
  const account = ["changePassword", "setUpTotp", "verifyTotp", "disableTotp", "updateAttributes", "verifyAttribute", "deleteAccount"];
  return {
    auth: {
      ...Object.fromEntries([...names, ...account].map((name) => [name, refuse(name)])),
      getServerSession: async () => ({ user: { email: "ada@example.com", name: "Ada" } }),
    },
  };
});
const { signUpAction } = await import("../app-example/app/sign-up/actions.ts");
const { resetAction } = await import("../app-example/app/forgot-password/actions.ts");
const { attributesAction, changePasswordAction, deleteAccountAction, totpAction } = await import("../app-example/app/account/actions.ts");

const form = (fields: Record<string, string | Blob>) => {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
};

beforeEach(() => {
  calls.length = 0;
});

/** Every value handed to the library is text (attributes: a record of text). */
const stringsOnly = () =>
  calls.every(({ input }) =>
    Object.entries((input ?? {}) as object).every(([key, value]) =>
      key === "attributes" ? Object.values(value as object).every((v) => typeof v === "string") : typeof value === "string",
    ),
  );

/** A state to render: an object whose fields are text (what is shown back is at most 128 characters) or a known step. */
function renderable(state: unknown, steps: string[]): boolean {
  if (typeof state !== "object" || state === null) return false;
  const { step, username, name, email, ...rest } = state as Record<string, unknown>;
  const shown = [username, name, email].every((v) => v === undefined || (typeof v === "string" && v.length <= 128));
  return steps.includes(step as string) && shown && Object.values(rest).every((v) => v === undefined || typeof v === "string");
}

const anyValue = fc.oneof(fc.jsonValue(), fc.anything(), fc.constant("x".repeat(1 << 16)));
const fields = fc.constantFrom("username", "name", "password", "code", "newPassword", "intent", "returnTo", "email", "other");
const formArg = fc.oneof(anyValue, fc.dictionary(fields, fc.oneof(fc.string(), fc.constant("resend"), fc.constant("x".repeat(1 << 16)))).map(form));
const previous = (steps: string[]) =>
  fc.oneof(
    anyValue,
    fc.record({ step: fc.oneof(fc.constantFrom(...steps), anyValue), username: fc.oneof(fc.emailAddress(), anyValue), name: anyValue }, { requiredKeys: [] }),
  );

describe("the example's sign-up and reset actions", () => {
  it.each([
    ["sign-up", signUpAction as (...a: unknown[]) => Promise<unknown>],
    ["reset", resetAction as (...a: unknown[]) => Promise<unknown>],
  ])("%s: a state of another step, or a form that is not one, is a failure state, not a call", async (_, action) => {
    for (const args of [[], [null, null], [{ step: "admin" }, form({})], [{ step: "details" }, 5], [{ step: "request" }, { get: "x" }]]) {
      const state = (await action(...args)) as { message?: string };
      expect(state.message).toBe("Something went wrong. Please start again.");
    }
    expect(calls).toEqual([]);
  });

  it("reset: the code step needs the username it was started with", async () => {
    const state = await resetAction({ step: "reset" } as never, form({ code: "123456", newPassword: "x" }));
    expect(state).toEqual({ step: "request", message: "Something went wrong. Please start again." });
    expect(calls).toEqual([]);
  });

  it("sign-up: a posted username too long to be one is not shown back on the code step", async () => {
    const state = await signUpAction({ step: "confirm" }, form({ username: "x".repeat(1 << 16), code: "123456" }));
    expect(state).toEqual({ step: "confirm", message: "That code is not correct." });
  });

  it("sign-up: after a refusal the email and name come back, never the password", async () => {
    const state = await signUpAction({ step: "details" }, form({ username: "ada@example.com", name: "Ada", password: "S3cret!pw" }));
    expect(state).toEqual({ step: "details", username: "ada@example.com", name: "Ada", message: "That code is not correct." });
    expect(JSON.stringify(state)).not.toContain("S3cret!pw");
  });

  it("property: for any previous state and form posted, sign-up and reset resolve to a state their form renders (what is shown back bounded), hand the library text only, and never throw", async () => {
    await fc.assert(
      fc.asyncProperty(previous(["details", "confirm"]), previous(["request", "reset"]), formArg, async (p, q, f) => {
        const signUp = await signUpAction(p as never, f as never);
        const reset = await resetAction(q as never, f as never);
        return renderable(signUp, ["details", "confirm"]) && renderable(reset, ["request", "reset"]) && stringsOnly();
      }),
      {
        numRuns: 150,
        // Forms that reach the library through both actions, whatever else the run draws.
        examples: [
          [
            { step: "details" },
            { step: "reset", username: "ada@example.com" },
            form({ username: "ada@example.com", password: "Passw0rd!", code: "123456", newPassword: "N3w-passw0rd!" }),
          ],
        ],
      },
    );
    expect(calls.some(({ action }) => action === "signUp")).toBe(true);
    expect(calls.some(({ action }) => action === "confirmForgotPassword")).toBe(true);
  });
});

describe("the example's account actions", () => {
  it("deletes nothing unless the box was ticked", async () => {
    expect(await deleteAccountAction({}, form({}))).toEqual({ message: "Tick the box to confirm." });
    expect(await deleteAccountAction({}, form({ confirm: "on" }))).toEqual({ message: "Tick the box to confirm." });
    expect(calls).toEqual([]);
    expect(await deleteAccountAction({}, form({ confirm: "yes" }))).toEqual({ message: "That code is not correct." });
    expect(calls.map((c) => c.action)).toEqual(["deleteAccount"]);
  });

  it("sends only the attributes that changed, and nothing when none did", async () => {
    expect(await attributesAction({ step: "edit" }, form({ name: "Ada", email: "ada@example.com" }))).toMatchObject({ notice: "Nothing changed." });
    expect(calls).toEqual([]);
    await attributesAction({ step: "edit" }, form({ name: "Ada L.", email: "ada@example.com", "custom:tenant": "evil" }));
    expect(calls).toEqual([{ action: "updateAttributes", input: { attributes: { name: "Ada L." } } }]);
  });

  it("verifies only email or phone_number, whatever attribute the posted state names", async () => {
    await attributesAction({ step: "verify", attribute: "custom:role" as never }, form({ code: "123456" }));
    expect(calls).toEqual([{ action: "verifyAttribute", input: { attribute: "email", code: "123456" } }]);
  });

  it("property: for any previous state and form, every account action answers a state (never throws) and hands the library text only", async () => {
    await fc.assert(
      fc.asyncProperty(anyValue, formArg, async (p, f) => {
        for (const action of [changePasswordAction, totpAction, attributesAction, deleteAccountAction] as Array<(...a: unknown[]) => Promise<unknown>>) {
          const state = await action(p, f);
          if (typeof state !== "object" || state === null) return false;
        }
        return stringsOnly();
      }),
      { numRuns: 100 },
    );
  });
});
