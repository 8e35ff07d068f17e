import { createHmac, randomUUID } from "node:crypto";
import { generateKeyPair } from "jose";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { cognito } from "../scripts/cognito-local.mjs";
import type { CookieJar } from "../src/persistence/jar.ts";
import { SEAL_PURPOSES } from "../src/persistence/seal.ts";
import type { CookieChanges } from "../src/persistence/changes.ts";
import { completeNewPassword, type PasswordStep, passwordSignIn } from "../src/flows/password.ts";
import type { CognitoSessionOptions } from "../src/index.ts";
import { createTestApp } from "./helpers/app.ts";
import { useFakeCognito } from "./helpers/fake-cognito.ts";
import { freePort } from "./helpers/ports.ts";
import { coreOf } from "../src/internal.ts";

type App = ReturnType<typeof createTestApp>;

/** The jar a browser would send after applying `changes` to `jar`. */
function jarAfter(jar: CookieJar, changes: CookieChanges): CookieJar {
  const next = new Map(jar);
  for (const { name } of changes.remove) next.delete(name);
  for (const { name, value } of changes.set) next.set(name, [value]);
  return next;
}

async function sessionEmail(app: App, jar: CookieJar): Promise<string | undefined> {
  const tokens = await coreOf(app).storage.read(jar);
  if (!tokens) return undefined;
  const read = await coreOf(app).reader.fromTokens(tokens);
  return read.status === "valid" ? read.session.user?.email : undefined;
}

/** A user the embedded Cognito created with a temporary password: status FORCE_CHANGE_PASSWORD. */
async function newUserWithTemporaryPassword(): Promise<string> {
  const { endpoint, userPoolId } = inject("cognito");
  const email = `new-${randomUUID()}@example.com`;
  await cognito(endpoint, "AdminCreateUser", {
    UserPoolId: userPoolId,
    Username: email,
    TemporaryPassword: "Temp0rary!",
    MessageAction: "SUPPRESS",
    UserAttributes: [{ Name: "email", Value: email }],
  });
  return email;
}

describe("password sign-in against the embedded Cognito", () => {
  const app = createTestApp();
  const password = inject("cognito").password;

  it("signs alice in, replacing every session cookie the browser had", async () => {
    const planted: CookieJar = new Map([
      ["__Host-ncs.at", ["planted"]],
      ["__Host-ncs.s.0", ["2~planted"]],
      ["__Host-ncs.s.1", ["planted"]],
    ]);
    const { result, changes } = await passwordSignIn(coreOf(app), planted, {
      username: " alice@example.com ",
      password,
      returnTo: "/dashboard?tab=1",
    });
    expect(result).toEqual({ status: "signed-in", returnTo: "/dashboard?tab=1" });
    const jar = jarAfter(planted, changes);
    expect([...jar.keys()].sort()).toEqual(["__Host-ncs.at", "__Host-ncs.s"]);
    expect(await sessionEmail(app, jar)).toBe("alice@example.com");
    for (const { attributes } of changes.set) expect(attributes).toMatchObject({ httpOnly: true, secure: true, sameSite: "lax", path: "/" });
  });

  it("turns a hostile returnTo into /", async () => {
    const { result } = await passwordSignIn(coreOf(app), new Map(), { username: "bob@example.com", password, returnTo: "//evil.example" });
    expect(result).toEqual({ status: "signed-in", returnTo: "/" });
  });

  it("gives a wrong password and an unknown user the same answer, and sets nothing", async () => {
    const wrong = await passwordSignIn(coreOf(app), new Map(), { username: "alice@example.com", password: "Wrong-passw0rd" });
    const unknown = await passwordSignIn(coreOf(app), new Map(), { username: "nobody@example.com", password });
    expect(wrong.result).toEqual({ status: "failed", reason: "invalid-credentials", message: "Incorrect username or password." });
    expect(unknown).toEqual(wrong);
    expect(wrong.changes).toEqual({ set: [], remove: [] });
  });

  it("reports an unconfirmed user as such", async () => {
    const { endpoint, clientId } = inject("cognito");
    const email = `unconfirmed-${randomUUID()}@example.com`;
    await cognito(endpoint, "SignUp", { ClientId: clientId, Username: email, Password: password, UserAttributes: [{ Name: "email", Value: email }] });
    const { result } = await passwordSignIn(coreOf(app), new Map(), { username: email, password });
    expect(result).toMatchObject({ status: "failed", reason: "user-not-confirmed" });
  });

  it("handles NEW_PASSWORD_REQUIRED: the challenge waits in a sealed cookie, the new password signs in", async () => {
    const email = await newUserWithTemporaryPassword();
    const first = await passwordSignIn(coreOf(app), new Map(), { username: email, password: "Temp0rary!", returnTo: "/welcome" });
    expect(first.result).toEqual({ status: "challenge", challenge: { name: "NEW_PASSWORD_REQUIRED", requiredAttributes: [] } });
    expect(first.changes.set.map((c) => c.name)).toEqual(["__Host-ncs.tx.pw"]);
    const sealed = first.changes.set[0]!.value;
    expect(sealed).not.toContain(email);
    expect(sealed).toMatch(/^eyJ[\w-]+\.\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    let jar = jarAfter(new Map(), first.changes);
    expect(await sessionEmail(app, jar)).toBeUndefined();

    const second = await completeNewPassword(coreOf(app), jar, { newPassword: "N3w-passw0rd!" });
    expect(second.result).toEqual({ status: "signed-in", returnTo: "/welcome" });
    jar = jarAfter(jar, second.changes);
    expect(jar.has("__Host-ncs.tx.pw")).toBe(false);
    expect(await sessionEmail(app, jar)).toBe(email);

    const again = await passwordSignIn(coreOf(app), new Map(), { username: email, password: "N3w-passw0rd!" });
    expect(again.result.status).toBe("signed-in");
  });

  it("refuses to complete a challenge that was never started or was tampered with", async () => {
    const none = await completeNewPassword(coreOf(app), new Map(), { newPassword: "N3w-passw0rd!" });
    expect(none.result).toMatchObject({ status: "failed", reason: "challenge-expired" });
    const email = await newUserWithTemporaryPassword();
    const first = await passwordSignIn(coreOf(app), new Map(), { username: email, password: "Temp0rary!" });
    const value = first.changes.set[0]!.value;
    const tampered = new Map([["__Host-ncs.tx.pw", [value.slice(0, 30) + (value[30] === "a" ? "b" : "a") + value.slice(31)]]]);
    const step = await completeNewPassword(coreOf(app), tampered, { newPassword: "N3w-passw0rd!" });
    expect(step.result).toMatchObject({ status: "failed", reason: "challenge-expired" });
    expect(step.changes.remove.map((c) => c.name)).toEqual(["__Host-ncs.tx.pw"]);
    expect(step.changes.set).toEqual([]);
  });
});

describe("password sign-in against a scripted Cognito (local fake)", () => {
  const fake = useFakeCognito();
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const appFor = (options: CognitoSessionOptions = {}) => fake.app(options);
  const refuse = (type: string, message?: string) => () => ({ status: 400, body: { __type: type, ...(message ? { message } : {}) } });
  const signedInAnswer = async () => {
    const tokens = await fake.tokenSet();
    return { status: 200, body: { AuthenticationResult: { AccessToken: tokens.access_token, IdToken: tokens.id_token, RefreshToken: tokens.refresh_token } } };
  };

  it.each([
    ["TooManyRequestsException", undefined, "too-many-requests"],
    ["LimitExceededException", "Attempt limit exceeded, please try after some time.", "limit-exceeded"],
    ["PasswordResetRequiredException", "Password reset required for the user", "password-reset-required"],
    ["UserNotConfirmedException", "User is not confirmed.", "user-not-confirmed"],
    ["TooManyFailedAttemptsException", undefined, "locked-out"],
    ["NotAuthorizedException", "Password attempts exceeded", "locked-out"],
    ["NotAuthorizedException", "Incorrect username or password.", "invalid-credentials"],
    ["UserNotFoundException", "User does not exist.", "invalid-credentials"],
    ["NotAuthorizedException", "Unable to verify secret hash for client fakeclient1", "rejected"],
    ["InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client", "rejected"],
  ])("surfaces %s (%s) as %s", async (type, message, reason) => {
    fake.onApi = refuse(type, message);
    const { result, changes } = await passwordSignIn(coreOf(appFor()), new Map(), { username: "alice", password: "Passw0rd!" });
    expect(result).toMatchObject({ status: "failed", reason });
    if (reason === "rejected") expect(result).toMatchObject({ cognitoError: type });
    expect(changes).toEqual({ set: [], remove: [] });
  });

  it("says unavailable when Cognito fails or cannot be reached", async () => {
    fake.onApi = () => ({ status: 500, body: { __type: "InternalErrorException" } });
    expect((await passwordSignIn(coreOf(appFor()), new Map(), { username: "a", password: "p" })).result).toMatchObject({ reason: "unavailable" });
    const closed = appFor({ endpoint: `http://127.0.0.1:${await freePort()}/` });
    expect((await passwordSignIn(coreOf(closed), new Map(), { username: "a", password: "p" })).result).toMatchObject({ reason: "unavailable" });
  });

  it("does not call Cognito for an empty or overlong username or password", async () => {
    const core = coreOf(appFor());
    for (const input of [
      { username: "", password: "p" },
      { username: "   ", password: "p" },
      { username: "a", password: "" },
      { username: "a".repeat(129), password: "p" },
      { username: "a", password: "p".repeat(257) },
      { username: "a\nb", password: "p" },
      { username: 42, password: "p" } as never,
    ]) {
      expect((await passwordSignIn(core, new Map(), input)).result).toMatchObject({ reason: "invalid-credentials" });
    }
    expect(fake.calls).toEqual([]);
  });

  it("sends USER_PASSWORD_AUTH, with SECRET_HASH only when the client has a secret", async () => {
    fake.onApi = signedInAnswer;
    await passwordSignIn(coreOf(appFor()), new Map(), { username: "alice", password: "Passw0rd!" });
    await passwordSignIn(coreOf(appFor({ clientSecret: "s3cret" })), new Map(), { username: "alice", password: "Passw0rd!" });
    const [plain, withSecret] = fake.calls;
    expect(plain!.action).toBe("InitiateAuth");
    expect(plain!.body).toEqual({ AuthFlow: "USER_PASSWORD_AUTH", ClientId: fake.clientId, AuthParameters: { USERNAME: "alice", PASSWORD: "Passw0rd!" } });
    const expected = createHmac("sha256", "s3cret").update(`alice${fake.clientId}`).digest("base64");
    expect(withSecret!.body.AuthParameters).toEqual({ USERNAME: "alice", PASSWORD: "Passw0rd!", SECRET_HASH: expected });
  });

  it("answers NEW_PASSWORD_REQUIRED as USER_ID_FOR_SRP, with SECRET_HASH and the required attributes, and lets a rejected new password be retried", async () => {
    const app = appFor({ clientSecret: "s3cret" });
    fake.onApi = (action) =>
      action === "InitiateAuth"
        ? {
            status: 200,
            body: {
              ChallengeName: "NEW_PASSWORD_REQUIRED",
              Session: "cognito-session-1",
              ChallengeParameters: { USER_ID_FOR_SRP: "uuid-of-alice", requiredAttributes: '["userAttributes.name"]' },
            },
          }
        : { status: 400, body: { __type: "InvalidPasswordException", message: "Password does not conform to policy" } };
    const first = await passwordSignIn(coreOf(app), new Map(), { username: "alice@example.com", password: "Temp0rary!" });
    expect(first.result).toEqual({ status: "challenge", challenge: { name: "NEW_PASSWORD_REQUIRED", requiredAttributes: ["name"] } });
    let jar = jarAfter(new Map(), first.changes);

    const weak = await completeNewPassword(coreOf(app), jar, { newPassword: "weak", attributes: { name: "Alice", "bad name": "x" } });
    expect(weak.result).toMatchObject({ status: "failed", reason: "invalid-new-password" });
    expect(weak.changes).toEqual({ set: [], remove: [] });
    const respond = fake.calls[1]!;
    expect(respond.action).toBe("RespondToAuthChallenge");
    expect(respond.body).toEqual({
      ChallengeName: "NEW_PASSWORD_REQUIRED",
      ClientId: fake.clientId,
      Session: "cognito-session-1",
      ChallengeResponses: {
        USERNAME: "uuid-of-alice",
        NEW_PASSWORD: "weak",
        SECRET_HASH: createHmac("sha256", "s3cret").update(`uuid-of-alice${fake.clientId}`).digest("base64"),
        "userAttributes.name": "Alice",
      },
    });

    fake.onApi = signedInAnswer;
    const strong = await completeNewPassword(coreOf(app), jar, { newPassword: "Str0ng-enough!" });
    expect(strong.result).toEqual({ status: "signed-in", returnTo: "/" });
    jar = jarAfter(jar, strong.changes);
    expect([...jar.keys()].sort()).toEqual(["__Host-ncs.at", "__Host-ncs.s"]);
  });

  it("drops the challenge when Cognito says its session expired", async () => {
    const app = appFor();
    fake.onApi = (action) =>
      action === "InitiateAuth"
        ? { status: 200, body: { ChallengeName: "NEW_PASSWORD_REQUIRED", Session: "s", ChallengeParameters: {} } }
        : { status: 400, body: { __type: "NotAuthorizedException", message: "Invalid session for the user, session is expired." } };
    const first = await passwordSignIn(coreOf(app), new Map(), { username: "alice", password: "Temp0rary!" });
    const step = await completeNewPassword(coreOf(app), jarAfter(new Map(), first.changes), { newPassword: "Str0ng-enough!" });
    expect(step.result).toMatchObject({ status: "failed", reason: "challenge-expired" });
    expect(step.changes.remove.map((c) => c.name)).toEqual(["__Host-ncs.tx.pw"]);
  });

  it("names a challenge it does not answer, and sets nothing", async () => {
    fake.onApi = () => ({ status: 200, body: { ChallengeName: "CUSTOM_CHALLENGE", Session: "s", ChallengeParameters: {} } });
    const { result, changes } = await passwordSignIn(coreOf(appFor()), new Map(), { username: "alice", password: "Passw0rd!" });
    expect(result).toMatchObject({ status: "failed", reason: "unsupported-challenge", challenge: "CUSTOM_CHALLENGE" });
    expect(changes).toEqual({ set: [], remove: [] });
  });

  it("sets nothing when the tokens Cognito returns do not verify", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const forged = await fake.sign({ sub: "x", token_use: "access", client_id: fake.clientId }, privateKey as CryptoKey);
    fake.onApi = () => ({ status: 200, body: { AuthenticationResult: { AccessToken: forged, RefreshToken: "r" } } });
    const { result, changes } = await passwordSignIn(coreOf(appFor()), new Map(), { username: "alice", password: "Passw0rd!" });
    expect(result).toMatchObject({ status: "failed", reason: "rejected" });
    expect(changes).toEqual({ set: [], remove: [] });
  });

  it("fails as rejected, setting nothing, when the tokens are too large to keep in cookies", async () => {
    const huge = await fake.sign({ sub: "x", token_use: "access", client_id: fake.clientId, "custom:x": "x".repeat(13_000) });
    fake.onApi = () => ({ status: 200, body: { AuthenticationResult: { AccessToken: huge, RefreshToken: "r" } } });
    const { result, changes } = await passwordSignIn(coreOf(appFor()), new Map(), { username: "alice", password: "Passw0rd!" });
    expect(result).toMatchObject({ status: "failed", reason: "rejected" });
    expect(changes).toEqual({ set: [], remove: [] });
  });

  it("never lets the password into a result, a cookie, an error or the console", async () => {
    const password = `Sentinel-${randomUUID()}`;
    const logged: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
    }
    const app = appFor({ clientSecret: "s3cret" });
    const seen: string[] = [];
    const scripts: Array<(action: string) => { status: number; body: unknown }> = [
      refuse("NotAuthorizedException", "Incorrect username or password."),
      refuse("TooManyRequestsException"),
      refuse("InvalidParameterException", "bad"),
      () => ({ status: 500, body: "oops" }),
      () => ({ status: 200, body: { ChallengeName: "NEW_PASSWORD_REQUIRED", Session: "s", ChallengeParameters: {} } }),
      () => ({ status: 200, body: { ChallengeName: "SMS_MFA", Session: "s" } }),
    ];
    for (const script of scripts) {
      fake.onApi = script;
      const step: PasswordStep = await passwordSignIn(coreOf(app), new Map(), { username: "alice", password });
      seen.push(JSON.stringify(step));
      for (const { value } of step.changes.set) {
        const opened = await Promise.all(SEAL_PURPOSES.map((purpose) => coreOf(app).sealer.unseal(purpose, value)));
        seen.push(JSON.stringify(opened));
      }
      // The new-password step, where the password is the new one.
      fake.onApi = refuse("InvalidPasswordException", "Password does not conform to policy");
      seen.push(JSON.stringify(await completeNewPassword(coreOf(app), jarAfter(new Map(), step.changes), { newPassword: password })));
    }
    const unreachable = appFor({ endpoint: `http://127.0.0.1:${await freePort()}/` });
    seen.push(JSON.stringify(await passwordSignIn(coreOf(unreachable), new Map(), { username: "alice", password })));
    // The password did reach Cognito, so the check above is looking at the right value...
    expect(fake.calls.some((c) => JSON.stringify(c.body).includes(password))).toBe(true);
    // ...and it is nowhere else.
    for (const text of [...seen, ...logged]) expect(text).not.toContain(password);
  });
});
