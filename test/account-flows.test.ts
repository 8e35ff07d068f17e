// Account flows against the embedded Cognito (its own instance, whose delivered codes this
// file reads from the codes feed): sign-up and confirmation, password reset, TOTP set-up and
// sign-in, password change, attribute changes with re-verification, deletion.
import { randomUUID } from "node:crypto";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CodeFeed, type CognitoLocalInfo, cognito, envFor, startCognitoLocal } from "../scripts/cognito-local.mjs";
import { changePassword, deleteAccount, disableTotp, setUpTotp, updateAttributes, verifyAttribute, verifyTotp } from "../src/flows/account-settings.ts";
import { respondToChallenge } from "../src/flows/challenges.ts";
import { passwordSignIn } from "../src/flows/password.ts";
import { confirmForgotPassword, forgotPassword } from "../src/flows/password-reset.ts";
import { confirmSignUp, signUp } from "../src/flows/sign-up.ts";
import { createCognitoSession } from "../src/index.ts";
import { coreOf } from "../src/internal.ts";
import type { Core } from "../src/session/core.ts";
import { FlowBrowser } from "./helpers/account-browser.ts";
import { APP_URL, SECRET } from "./helpers/app.ts";
import { freePort } from "./helpers/ports.ts";

const PASSWORD = "Passw0rd!";
let info: CognitoLocalInfo;
let codes: CodeFeed;
let stop: () => Promise<void>;
let core: Core;

beforeAll(async () => {
  ({ info, codes, stop } = await startCognitoLocal({ port: await freePort(), appUrl: APP_URL }));
  // The embedded Cognito's ID tokens carry email and custom attributes only: a custom one shows an update.
  await cognito(info.endpoint, "AddCustomAttributes", {
    UserPoolId: info.userPoolId,
    CustomAttributes: [{ Name: "tenant", AttributeDataType: "String", Mutable: true }],
  });
  core = coreOf(
    createCognitoSession({
      dev: { allowMissingNonce: true },
      account: { writableAttributes: ["email", "name", "custom:tenant"] },
      env: { ...envFor(info, APP_URL), SESSION_SECRET: SECRET },
    }),
  );
});
afterAll(() => stop());

const newEmail = () => `user-${randomUUID()}@example.com`;

/** A confirmed user with `PASSWORD`, made through the flows themselves. */
async function confirmedUser(): Promise<string> {
  const email = newEmail();
  const browser = new FlowBrowser(core);
  expect(await browser.run((c, jar) => signUp(c, jar, { username: email, password: PASSWORD, attributes: { email } }))).toEqual({
    status: "confirmation-required",
  });
  const code = await codes.nextCode({ username: email, kind: "sign-up" });
  expect(await browser.run((c, jar) => confirmSignUp(c, jar, { username: email, code }))).toEqual({ status: "confirmed" });
  return email;
}

/** A browser signed in as `email`. */
async function signedIn(email: string, password = PASSWORD): Promise<FlowBrowser> {
  const browser = new FlowBrowser(core);
  expect(await browser.run((c, jar) => passwordSignIn(c, jar, { username: email, password }))).toMatchObject({ status: "signed-in" });
  return browser;
}

/** The user's attributes as Cognito holds them. */
async function attributesOf(email: string): Promise<Record<string, string>> {
  const user = await cognito(info.endpoint, "AdminGetUser", { UserPoolId: info.userPoolId, Username: email });
  return Object.fromEntries((user.UserAttributes as Array<{ Name: string; Value: string }>).map((a) => [a.Name, a.Value]));
}

/** A wrong code for `right`: same length, one digit changed. */
const wrong = (right: string) => `${right.slice(0, -1)}${(Number(right.at(-1)) + 1) % 10}`;

describe("sign-up and confirmation", () => {
  it("signs up, confirms with the delivered code, then signs in with the name it gave", async () => {
    const email = newEmail();
    const browser = new FlowBrowser(core);
    const result = await browser.run((c, jar) =>
      signUp(c, jar, { username: email, password: PASSWORD, attributes: { email, name: "Ada" }, returnTo: "/welcome" }),
    );
    expect(result).toEqual({ status: "confirmation-required" });
    const code = await codes.nextCode({ username: email, kind: "sign-up" });
    expect(await browser.run((c, jar) => confirmSignUp(c, jar, { username: email, code }))).toEqual({ status: "confirmed" });
    const signed = await signedIn(email);
    expect(await signed.user()).toMatchObject({ email });
    expect((await attributesOf(email)).name).toBe("Ada");
  });

  it("sends Cognito only the writable attributes a sign-up form posts", async () => {
    const email = newEmail();
    const browser = new FlowBrowser(core);
    const attributes = { email, name: "Eve", "custom:role": "admin", email_verified: "true", nickname: "Evie", "custom:tenant": 5 };
    await browser.run((c, jar) => signUp(c, jar, { username: email, password: PASSWORD, attributes: attributes as never }));
    const held = await attributesOf(email);
    expect(held.name).toBe("Eve");
    expect(held["custom:role"]).toBeUndefined();
    expect(held.email_verified).not.toBe("true");
    expect(held.nickname).toBeUndefined();
    expect(held["custom:tenant"]).toBeUndefined();
  });

  it("answers a taken username exactly as a free one", async () => {
    const email = await confirmedUser();
    const browser = new FlowBrowser(core);
    const taken = await browser.run((c, jar) => signUp(c, jar, { username: email, password: PASSWORD, attributes: { email } }));
    const free = await browser.run((c, jar) => signUp(c, jar, { username: newEmail(), password: PASSWORD, attributes: { email: newEmail() } }));
    expect(taken).toEqual(free);
  });

  it("refuses a wrong code (code-mismatch), takes the right one, and calls it used after (expired-code)", async () => {
    const email = newEmail();
    const browser = new FlowBrowser(core);
    await browser.run((c, jar) => signUp(c, jar, { username: email, password: PASSWORD, attributes: { email } }));
    const code = await codes.nextCode({ username: email, kind: "sign-up" });
    expect(await browser.run((c, jar) => confirmSignUp(c, jar, { username: email, code: wrong(code) }))).toMatchObject({
      status: "failed",
      reason: "code-mismatch",
    });
    expect(await browser.run((c, jar) => confirmSignUp(c, jar, { username: email, code: ` ${code} ` }))).toEqual({ status: "confirmed" });
    expect(await browser.run((c, jar) => confirmSignUp(c, jar, { username: email, code }))).toMatchObject({ status: "failed", reason: "expired-code" });
  });

  it("leads an unconfirmed user's sign-in on to confirmation", async () => {
    const email = newEmail();
    const browser = new FlowBrowser(core);
    await browser.run((c, jar) => signUp(c, jar, { username: email, password: PASSWORD, attributes: { email } }));
    expect(await browser.run((c, jar) => passwordSignIn(c, jar, { username: email, password: PASSWORD }))).toEqual({
      status: "failed",
      reason: "user-not-confirmed",
      message: "Your account is not confirmed yet.",
      next: "confirm-sign-up",
    });
  });
});

describe("forgot password", () => {
  it("resets with the delivered code and signs in with the new password; the code does not work twice", async () => {
    const email = await confirmedUser();
    const browser = new FlowBrowser(core);
    expect(await browser.run((c) => forgotPassword(c, { username: email }))).toEqual({ status: "code-sent" });
    const code = await codes.nextCode({ username: email, kind: "forgot-password" });
    const mismatch = await browser.run((c, jar) => confirmForgotPassword(c, jar, { username: email, code: wrong(code), newPassword: "N3w-passw0rd!" }));
    expect(mismatch).toMatchObject({ status: "failed", reason: "code-mismatch" });
    const reset = await browser.run((c, jar) => confirmForgotPassword(c, jar, { username: email, code, newPassword: "N3w-passw0rd!", returnTo: "/account" }));
    expect(reset).toEqual({ status: "signed-in", returnTo: "/account" });
    expect(await browser.user()).toMatchObject({ email });
    const again = await browser.run((c, jar) => confirmForgotPassword(c, jar, { username: email, code, newPassword: "Th1rd-passw0rd!" }));
    expect(again).toMatchObject({ status: "failed", reason: "code-mismatch" });
    await signedIn(email, "N3w-passw0rd!");
  });

  it("answers an unknown username exactly as a known one", async () => {
    const browser = new FlowBrowser(core);
    const known = await browser.run((c) => forgotPassword(c, { username: "bob@example.com" }));
    await codes.nextCode({ username: "bob@example.com", kind: "forgot-password" });
    expect(await browser.run((c) => forgotPassword(c, { username: newEmail() }))).toEqual(known);
  });
});

describe("TOTP", () => {
  it("sets up an authenticator, then signs in with its codes; wrong codes are refused and the challenge kept; turned off, no challenge", async () => {
    const email = await confirmedUser();
    const browser = await signedIn(email);
    const setup = await browser.run((c, jar) => setUpTotp(c, jar));
    if (setup.status !== "totp-setup") throw new Error(`no set-up: ${JSON.stringify(setup)}`);
    // otpauth reads the URI as an authenticator app would: the oracle for its format.
    const totp = OTPAuth.URI.parse(setup.otpauthUri) as OTPAuth.TOTP;
    expect(totp).toBeInstanceOf(OTPAuth.TOTP);
    expect(totp.secret.base32).toBe(setup.secret);
    expect(totp.issuer).toBe("localhost");
    expect(totp.label).toBe(email);
    expect(await browser.run((c, jar) => verifyTotp(c, jar, { code: wrong(totp.generate()) }))).toMatchObject({ status: "failed", reason: "code-mismatch" });
    expect(await browser.run((c, jar) => verifyTotp(c, jar, { code: totp.generate() }))).toEqual({ status: "totp-enabled" });

    const next = new FlowBrowser(core);
    const first = await next.run((c, jar) => passwordSignIn(c, jar, { username: email, password: PASSWORD, returnTo: "/secure" }));
    expect(first).toEqual({ status: "challenge", challenge: { name: "SOFTWARE_TOKEN_MFA" } });
    expect(next.challengeCookie).toBeDefined();
    expect(await next.run((c, jar) => respondToChallenge(c, jar, { code: wrong(totp.generate()) }))).toMatchObject({
      status: "failed",
      reason: "code-mismatch",
    });
    expect(next.challengeCookie).toBeDefined();
    expect(await next.run((c, jar) => respondToChallenge(c, jar, { code: totp.generate() }))).toEqual({ status: "signed-in", returnTo: "/secure" });
    expect(next.challengeCookie).toBeUndefined();
    expect(await next.user()).toMatchObject({ email });

    expect(await next.run((c, jar) => disableTotp(c, jar))).toEqual({ status: "totp-disabled" });
    await signedIn(email);
  });
});

describe("signed-in settings", () => {
  it("changes the password: a wrong current one is refused, the new one signs in", async () => {
    const email = await confirmedUser();
    const browser = await signedIn(email);
    const refused = await browser.run((c, jar) => changePassword(c, jar, { currentPassword: "Wrong-passw0rd", newPassword: "N3w-passw0rd!" }));
    expect(refused).toMatchObject({ status: "failed", reason: "incorrect-password" });
    expect(await browser.run((c, jar) => changePassword(c, jar, { currentPassword: PASSWORD, newPassword: "N3w-passw0rd!" }))).toEqual({
      status: "password-changed",
    });
    await signedIn(email, "N3w-passw0rd!");
  });

  it("updates attributes and the session shows them at once; drops names the app does not allow", async () => {
    const email = await confirmedUser();
    const browser = await signedIn(email);
    const update = { name: "Grace", "custom:tenant": "acme", "custom:role": "admin" };
    expect(await browser.run((c, jar) => updateAttributes(c, jar, { attributes: update as never }))).toEqual({ status: "updated" });
    expect(await browser.user()).toMatchObject({ "custom:tenant": "acme" });
    expect((await attributesOf(email)).name).toBe("Grace");
    expect((await attributesOf(email))["custom:role"]).toBeUndefined();
    expect(await browser.run((c, jar) => updateAttributes(c, jar, { attributes: { "custom:role": "admin" } as never }))).toMatchObject({
      status: "failed",
      reason: "invalid-input",
    });
  });

  it("asks for the code sent to a new email, refuses a wrong one, takes the right one", async () => {
    const email = await confirmedUser();
    const browser = await signedIn(email);
    const changed = newEmail();
    const result = await browser.run((c, jar) => updateAttributes(c, jar, { attributes: { email: changed } }));
    expect(result).toMatchObject({ status: "verification-required", attributes: ["email"] });
    const code = await codes.nextCode({ username: changed, kind: "attribute" });
    expect(await browser.run((c, jar) => verifyAttribute(c, jar, { attribute: "email", code: wrong(code) }))).toMatchObject({
      status: "failed",
      reason: "code-mismatch",
    });
    expect(await browser.run((c, jar) => verifyAttribute(c, jar, { attribute: "email", code }))).toEqual({ status: "verified" });
    expect(await browser.user()).toMatchObject({ email: changed });
    expect(await browser.run((c, jar) => verifyAttribute(c, jar, { attribute: "name" as never, code }))).toMatchObject({
      status: "failed",
      reason: "invalid-input",
    });
  });

  it("deletes the account, ends the session and clears its cookies", async () => {
    const email = await confirmedUser();
    const browser = await signedIn(email);
    const tokens = (await core.storage.read(browser.jar))!;
    expect(await core.reader.fromTokens(tokens)).toMatchObject({ status: "valid" });
    expect(await browser.run((c, jar) => deleteAccount(c, jar))).toEqual({ status: "deleted" });
    expect([...browser.jar.keys()]).toEqual([]);
    // Its access token, still within its hour (a copy, or a Bearer), is refused from now on.
    await expect(core.reader.fromTokens(tokens)).rejects.toMatchObject({ code: "ERR_SESSION_ENDED" });
    const again = new FlowBrowser(core);
    expect(await again.run((c, jar) => passwordSignIn(c, jar, { username: email, password: PASSWORD }))).toMatchObject({
      status: "failed",
      reason: "invalid-credentials",
    });
  });

  it("answers not-signed-in to every signed-in action without a session", async () => {
    const browser = new FlowBrowser(core);
    const notSignedIn = { status: "failed", reason: "not-signed-in", message: "Please sign in again." };
    expect(await browser.run((c, jar) => changePassword(c, jar, { currentPassword: PASSWORD, newPassword: "N3w-passw0rd!" }))).toEqual(notSignedIn);
    expect(await browser.run((c, jar) => setUpTotp(c, jar))).toEqual(notSignedIn);
    expect(await browser.run((c, jar) => verifyTotp(c, jar, { code: "123456" }))).toEqual(notSignedIn);
    expect(await browser.run((c, jar) => disableTotp(c, jar))).toEqual(notSignedIn);
    expect(await browser.run((c, jar) => updateAttributes(c, jar, { attributes: { name: "X" } }))).toEqual(notSignedIn);
    expect(await browser.run((c, jar) => verifyAttribute(c, jar, { attribute: "email", code: "123456" }))).toEqual(notSignedIn);
    expect(await browser.run((c, jar) => deleteAccount(c, jar))).toEqual(notSignedIn);
  });
});
