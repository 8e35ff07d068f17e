// The password flow's inputs come from forms an attacker can post in any shape: every shape
// gives a typed result, and a challenge answer sends Cognito only the attributes the
// challenge itself required.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CookieJar } from "../src/persistence/jar.ts";
import { completeNewPassword, passwordSignIn, type PasswordSignInResult } from "../src/flows/password.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";
import { coreOf } from "../src/internal.ts";

const fake = useFakeCognito();

const STATUSES = new Set(["signed-in", "challenge", "failed"]);
/** A result a form can show: a known status, and for a failure a reason and a message. */
const typed = (result: PasswordSignInResult) =>
  STATUSES.has(result.status) && (result.status !== "failed" || (typeof result.reason === "string" && typeof result.message === "string"));

/** Cognito's NEW_PASSWORD_REQUIRED naming `required`, answered by `passwordSignIn`; the jar that holds it. */
async function pendingChallenge(app: ReturnType<typeof fake.app>, required: string[]): Promise<CookieJar> {
  fake.onApi = () => ({
    status: 200,
    body: {
      ChallengeName: "NEW_PASSWORD_REQUIRED",
      Session: "cognito-session",
      ChallengeParameters: { USER_ID_FOR_SRP: "uuid-of-alice", requiredAttributes: JSON.stringify(required.map((n) => `userAttributes.${n}`)) },
    },
  });
  const { result, changes } = await passwordSignIn(coreOf(app), new Map(), { username: "alice", password: "Temp0rary!" });
  expect(result).toEqual({ status: "challenge", challenge: { name: "NEW_PASSWORD_REQUIRED", requiredAttributes: required } });
  // The policy refuses every new password, so the challenge stays usable for each try.
  fake.onApi = () => ({ status: 400, body: { __type: "InvalidPasswordException", message: "Password does not conform to policy" } });
  return new Map(changes.set.map(({ name, value }) => [name, [value]]));
}

/** The ChallengeResponses of every RespondToAuthChallenge the fake received. */
const responsesSent = () => fake.calls.filter((c) => c.action === "RespondToAuthChallenge").map((c) => c.body.ChallengeResponses as Record<string, unknown>);

describe("completeNewPassword sends only the attributes the challenge required", () => {
  it("drops every other name a form posts, and required values that are not strings or are too long", async () => {
    const app = fake.app();
    const jar = await pendingChallenge(app, ["name", "custom:tenant", "locale"]);
    const attributes = {
      name: "Alice",
      "custom:tenant": "acme",
      locale: 7,
      email: "attacker@evil.example",
      email_verified: "true",
      "custom:role": "admin",
      constructor: "x",
      __proto__: { name: "inherited" },
    };
    await completeNewPassword(coreOf(app), jar, { newPassword: "N3w-passw0rd!", attributes: attributes as never });
    await completeNewPassword(coreOf(app), jar, { newPassword: "N3w-passw0rd!", attributes: { name: "A".repeat(2049), "custom:tenant": "acme" } });
    const [first, second] = responsesSent();
    expect(first).toEqual({ USERNAME: "uuid-of-alice", NEW_PASSWORD: "N3w-passw0rd!", "userAttributes.name": "Alice", "userAttributes.custom:tenant": "acme" });
    expect(second).toEqual({ USERNAME: "uuid-of-alice", NEW_PASSWORD: "N3w-passw0rd!", "userAttributes.custom:tenant": "acme" });
  });

  it("sends no attribute when the challenge required none, whatever is posted", async () => {
    const app = fake.app();
    const jar = await pendingChallenge(app, []);
    await completeNewPassword(coreOf(app), jar, { newPassword: "N3w-passw0rd!", attributes: { name: "Alice", email: "attacker@evil.example" } });
    expect(responsesSent()).toEqual([{ USERNAME: "uuid-of-alice", NEW_PASSWORD: "N3w-passw0rd!" }]);
  });

  it("sends none from a sealed challenge whose list is not a list of names", async () => {
    const app = fake.app();
    fake.onApi = () => ({ status: 400, body: { __type: "InvalidPasswordException" } });
    for (const requiredAttributes of ["name", { name: true }, null, [1, ["name"]]]) {
      const changes = await coreOf(app).transactions.holdChallenge({
        name: "NEW_PASSWORD_REQUIRED",
        username: "uuid-of-alice",
        session: "s",
        returnTo: "/",
        requiredAttributes: requiredAttributes as never,
      });
      const jar: CookieJar = new Map(changes.set.map(({ name, value }) => [name, [value]]));
      const { result } = await completeNewPassword(coreOf(app), jar, { newPassword: "N3w-passw0rd!", attributes: { name: "Alice" } });
      expect(result).toMatchObject({ status: "failed" });
    }
    expect(responsesSent()).toEqual(Array(4).fill({ USERNAME: "uuid-of-alice", NEW_PASSWORD: "N3w-passw0rd!" }));
  });

  it("does not read a required name from an object's prototype", async () => {
    const app = fake.app();
    const jar = await pendingChallenge(app, ["toString", "name"]);
    await completeNewPassword(coreOf(app), jar, { newPassword: "N3w-passw0rd!", attributes: Object.create({ name: "inherited" }) });
    expect(responsesSent()).toEqual([{ USERNAME: "uuid-of-alice", NEW_PASSWORD: "N3w-passw0rd!" }]);
  });
});

describe("any input shape gives a typed result", () => {
  const huge = "x".repeat(1 << 20);
  /** What a form field may hold once an attacker posts it: any JSON, any value, a 1 MB string. */
  const value = fc.oneof(fc.jsonValue(), fc.anything(), fc.constant(huge), fc.string());
  /** A whole input: a value of any shape, or an object whose known fields hold any value. */
  const input = (fields: string[]) =>
    fc.oneof(
      value,
      fc.constantFrom(undefined, null, [], [null, null], huge),
      fc.record(Object.fromEntries(fields.map((f) => [f, value])), { requiredKeys: [] }),
    );

  it("signInWithPassword: for any input it resolves to a typed result and sends Cognito strings only, never throwing", async () => {
    const app = fake.app();
    fake.onApi = () => ({ status: 400, body: { __type: "NotAuthorizedException", message: "Incorrect username or password." } });
    await fc.assert(
      fc.asyncProperty(input(["username", "password", "returnTo"]), async (candidate) => {
        const { result } = await passwordSignIn(coreOf(app), new Map(), candidate as never);
        if (!typed(result)) return false;
        return fake.calls.every((c) => Object.values(c.body.AuthParameters as object).every((v) => typeof v === "string"));
      }),
      { numRuns: 200 },
    );
  });

  it("completeNewPassword: for any input it resolves to a typed result, and what it sends holds only the challenge's own fields, as strings", async () => {
    const app = fake.app();
    const jar = await pendingChallenge(app, ["name"]);
    const allowed = new Set(["USERNAME", "NEW_PASSWORD", "userAttributes.name"]);
    await fc.assert(
      fc.asyncProperty(input(["newPassword", "attributes"]), async (candidate) => {
        const { result } = await completeNewPassword(coreOf(app), jar, candidate as never);
        if (!typed(result)) return false;
        return responsesSent().every((sent) => Object.entries(sent).every(([k, v]) => allowed.has(k) && typeof v === "string"));
      }),
      { numRuns: 200 },
    );
  });

  it.each([[undefined], [null], [[]], [[null, null]], [5], ["x".repeat(1 << 20)]])("listed: %j gives a failure, not a throw", async (candidate) => {
    const app = fake.app();
    expect((await passwordSignIn(coreOf(app), new Map(), candidate as never)).result).toMatchObject({ status: "failed", reason: "invalid-credentials" });
    const jar = await pendingChallenge(app, ["name"]);
    expect((await completeNewPassword(coreOf(app), jar, candidate as never)).result).toMatchObject({ status: "failed", reason: "invalid-new-password" });
    expect((await passwordSignIn(coreOf(app), new Map(), { username: "a", password: "b", returnTo: candidate } as never)).result.status).toBe("failed");
  });
});
