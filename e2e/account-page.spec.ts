// The example's account page in Chromium against the embedded Cognito: password change,
// attribute editing with the emailed code, TOTP removal and account deletion. Each test
// makes its own user.
import * as OTPAuth from "otpauth";
import type { Page } from "@playwright/test";
import { cognito } from "../scripts/cognito-local.mjs";
import { expect, test } from "./fixtures.ts";
import { attribute, codeFor, createUser, freshEmail, freshPassword } from "./support/codes.ts";
import type { RunningExample } from "./support/example-app.ts";

/** Create a user and sign in as them with the app's password form; ends on /account. */
async function signedIn(page: Page, example: RunningExample, tag: string) {
  const email = freshEmail(tag);
  const password = freshPassword();
  await createUser(example.cognito, email, password);
  await page.goto(`${example.baseURL}/sign-in?returnTo=%2Faccount`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL(`${example.baseURL}/account`);
  return { email, password };
}

/** Cognito's own answer to a password sign-in, for checking what the page changed. */
const initiate = (example: RunningExample, email: string, password: string) =>
  cognito(example.cognito.endpoint, "InitiateAuth", {
    ClientId: example.cognito.clientId,
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });

test("password change: a wrong current password is refused; the right one changes it", async ({ page, example }) => {
  const { email, password } = await signedIn(page, example, "change");
  const next = freshPassword();
  const form = page.getByRole("form", { name: "Change password" });
  await form.getByLabel("Current password").fill(`${password}x`);
  await form.getByLabel("New password").fill(next);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-message")).toBeVisible();
  await form.getByLabel("Current password").fill(password);
  await form.getByLabel("New password").fill(next);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-notice")).toHaveText("Your password has been changed.");
  expect(await page.content()).not.toContain(next);
  await expect(initiate(example, email, password)).rejects.toThrow(/NotAuthorized|InvalidPassword/);
  expect((await initiate(example, email, next)).AuthenticationResult).toBeTruthy();
});

test("attribute editing: a name is saved at once; a new email waits for its code, then shows", async ({ page, example }) => {
  const { email } = await signedIn(page, example, "attrs");
  const form = page.getByRole("form", { name: "Profile" });
  await form.getByLabel("Name").fill("Ada");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("attributes-notice")).toHaveText("Saved.");
  // The embedded Cognito's ID tokens carry no name: checked at Cognito.
  expect(await attribute(example, email, "name")).toBe("Ada");

  const changed = freshEmail("moved");
  await form.getByLabel("Email").fill(changed);
  await form.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("attributes-destination")).toBeVisible();
  const code = await codeFor(example, changed, "attribute");
  // Until the code is entered, the address is the old one.
  await expect(page.getByTestId("account-email")).toHaveText(email);
  await form.getByLabel("Code").fill(code === "000000" ? "111111" : "000000");
  await form.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByTestId("attributes-message")).toHaveText("That code is not correct. Please check it and try again.");
  await form.getByLabel("Code").fill(code);
  await form.getByRole("button", { name: "Confirm" }).click();
  await expect(page.getByTestId("attributes-notice")).toHaveText("Your email address is confirmed.");
  // Shown at once, from the ID token the action refreshed.
  await expect(page.getByTestId("account-email")).toHaveText(changed);
});

test("TOTP removal: sign-in stops asking for a code", async ({ page, example }) => {
  const { email, password } = await signedIn(page, example, "untotp");
  const form = page.getByRole("form", { name: "Authenticator app" });
  await form.getByRole("button", { name: "Set up an authenticator app" }).click();
  const secret = (await page.getByTestId("totp-secret").textContent()) ?? "";
  await form.getByLabel("Code").fill(new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate());
  await form.getByRole("button", { name: "Turn on" }).click();
  await expect(page.getByTestId("totp-notice")).toBeVisible();
  expect((await initiate(example, email, password)).ChallengeName).toBe("SOFTWARE_TOKEN_MFA");

  await form.getByRole("button", { name: "Remove the authenticator app" }).click();
  await expect(page.getByTestId("totp-notice")).toHaveText("Sign-in no longer asks for an authenticator code.");
  expect((await initiate(example, email, password)).AuthenticationResult).toBeTruthy();
});

test("account deletion: only once confirmed; then signed out and the user is gone", async ({ page, example }) => {
  const { email, password } = await signedIn(page, example, "delete");
  await page.getByRole("form", { name: "Delete account" }).getByLabel("I understand this cannot be undone").check();
  await page.getByRole("button", { name: "Delete my account" }).click();
  await page.waitForURL(`${example.baseURL}/?deleted=1`);
  expect((await page.context().cookies()).filter((c) => c.name.startsWith("__Host-ncs."))).toEqual([]);
  await expect(initiate(example, email, password)).rejects.toThrow(/NotAuthorized|UserNotFound/);
});
