// The steps the embedded Cognito lacks, against Cognito's documented request and response
// shapes served by a local test server: EMAIL_OTP, SMS_MFA and SELECT_MFA_TYPE answers,
// MFA_SETUP (AssociateSoftwareToken and VerifySoftwareToken with the challenge Session), sign-in
// straight after confirmation (SignUp/ConfirmSignUp Session, then InitiateAuth USER_AUTH),
// ResendConfirmationCode, SECRET_HASH, and every refusal sorted into its reason.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { changePassword, setUpTotp, verifyTotp } from "../src/flows/account-settings.ts";
import { respondToChallenge } from "../src/flows/challenges.ts";
import { completeNewPassword, passwordSignIn } from "../src/flows/password.ts";
import { confirmForgotPassword, forgotPassword } from "../src/flows/password-reset.ts";
import { confirmSignUp, resendConfirmationCode, signUp } from "../src/flows/sign-up.ts";
import { coreOf } from "../src/internal.ts";
import { FlowBrowser } from "./helpers/account-browser.ts";
import { type FakeAnswer, type FakeCall, useFakeCognito } from "./helpers/fake-cognito.ts";

const fake = useFakeCognito();
const CLIENT_SECRET = "client-secret-of-the-app-0123456789";

/** Cognito's `AuthenticationResult` with a fresh token set from the fake. */
async function tokens(): Promise<FakeAnswer> {
  const set = await fake.tokenSet();
  return { status: 200, body: { AuthenticationResult: { AccessToken: set.access_token, IdToken: set.id_token, RefreshToken: set.refresh_token } } };
}

/** Answers by action, in order; an action answered with a list gives its items one call after another. */
function script(answers: Record<string, FakeAnswer | (() => Promise<FakeAnswer>) | Array<FakeAnswer | (() => Promise<FakeAnswer>)>>) {
  const used: Record<string, number> = {};
  fake.onApi = async (action) => {
    const entry = answers[action];
    if (entry === undefined) return { status: 400, body: { __type: "UnknownOperationException" } };
    const list = Array.isArray(entry) ? entry : [entry];
    const answer = list[Math.min(used[action] ?? 0, list.length - 1)]!;
    used[action] = (used[action] ?? 0) + 1;
    return typeof answer === "function" ? answer() : answer;
  };
}

const challenge = (name: string, parameters: Record<string, string>, session = `session-${name}`): FakeAnswer => ({
  status: 200,
  body: { ChallengeName: name, Session: session, ChallengeParameters: { USER_ID_FOR_SRP: "user-sub-1", ...parameters } },
});
const refuse = (type: string, message = "refused"): FakeAnswer => ({ status: 400, body: { __type: type, message } });
const bodies = (action: string): FakeCall["body"][] => fake.calls.filter((c) => c.action === action).map((c) => c.body);
const expectedHash = (username: string) => createHmac("sha256", CLIENT_SECRET).update(`${username}${fake.clientId}`).digest("base64");

describe("sign-in challenges", () => {
  it("EMAIL_OTP: shows where the code went, sends EMAIL_OTP_CODE with the sealed Session, signs in", async () => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({
      InitiateAuth: challenge("EMAIL_OTP", { CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL", CODE_DELIVERY_DESTINATION: "a***@e***" }),
      RespondToAuthChallenge: tokens,
    });
    const first = await browser.run((c, jar) => passwordSignIn(c, jar, { username: "alice", password: "Passw0rd!", returnTo: "/inbox" }));
    expect(first).toEqual({ status: "challenge", challenge: { name: "EMAIL_OTP", destination: "a***@e***" } });
    // The Session lives only in the sealed cookie.
    expect(JSON.stringify(first)).not.toContain("session-EMAIL_OTP");
    expect(browser.challengeCookie).not.toContain("session-EMAIL_OTP");
    const done = await browser.run((c, jar) => respondToChallenge(c, jar, { code: "12345678" }));
    expect(done).toEqual({ status: "signed-in", returnTo: "/inbox" });
    expect(bodies("RespondToAuthChallenge")).toEqual([
      {
        ChallengeName: "EMAIL_OTP",
        ClientId: fake.clientId,
        Session: "session-EMAIL_OTP",
        ChallengeResponses: { EMAIL_OTP_CODE: "12345678", USERNAME: "user-sub-1" },
      },
    ]);
    expect(browser.challengeCookie).toBeUndefined();
    expect(await browser.user()).toMatchObject({ email: "alice@example.com" });
  });

  it("sends SECRET_HASH of the challenge's username with every answer when the client has a secret", async () => {
    const browser = new FlowBrowser(coreOf(fake.app({ clientSecret: CLIENT_SECRET })));
    script({ InitiateAuth: challenge("SOFTWARE_TOKEN_MFA", {}), RespondToAuthChallenge: tokens });
    await browser.run((c, jar) => passwordSignIn(c, jar, { username: "alice", password: "Passw0rd!" }));
    expect(await browser.run((c, jar) => respondToChallenge(c, jar, { code: "123456" }))).toMatchObject({ status: "signed-in" });
    expect(bodies("InitiateAuth")[0]!.AuthParameters.SECRET_HASH).toBe(expectedHash("alice"));
    expect(bodies("RespondToAuthChallenge")[0]!.ChallengeResponses).toEqual({
      SOFTWARE_TOKEN_MFA_CODE: "123456",
      USERNAME: "user-sub-1",
      SECRET_HASH: expectedHash("user-sub-1"),
    });
  });

  it("SMS_MFA: a wrong code keeps the challenge, an expired session drops it", async () => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({
      InitiateAuth: challenge("SMS_MFA", { CODE_DELIVERY_DELIVERY_MEDIUM: "SMS", CODE_DELIVERY_DESTINATION: "+*******1234" }),
      RespondToAuthChallenge: [
        refuse("CodeMismatchException", "Invalid code received for user"),
        refuse("NotAuthorizedException", "Invalid session for the user."),
      ],
    });
    expect(await browser.run((c, jar) => passwordSignIn(c, jar, { username: "alice", password: "Passw0rd!" }))).toEqual({
      status: "challenge",
      challenge: { name: "SMS_MFA", destination: "+*******1234" },
    });
    expect(await browser.run((c, jar) => respondToChallenge(c, jar, { code: "111111" }))).toMatchObject({ status: "failed", reason: "code-mismatch" });
    expect(browser.challengeCookie).toBeDefined();
    expect(await browser.run((c, jar) => respondToChallenge(c, jar, { code: "222222" }))).toMatchObject({ status: "failed", reason: "challenge-expired" });
    expect(browser.challengeCookie).toBeUndefined();
    expect(bodies("RespondToAuthChallenge").map((b) => b.ChallengeResponses.SMS_MFA_CODE)).toEqual(["111111", "222222"]);
  });

  it("a code that is not 4 to 10 digits is refused without asking Cognito, keeping the challenge", async () => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({ InitiateAuth: challenge("SOFTWARE_TOKEN_MFA", {}) });
    await browser.run((c, jar) => passwordSignIn(c, jar, { username: "alice", password: "Passw0rd!" }));
    for (const code of ["", "12a456", "123", "12345678901", 123456]) {
      expect(await browser.run((c, jar) => respondToChallenge(c, jar, { code: code as never }))).toMatchObject({ status: "failed", reason: "code-mismatch" });
    }
    expect(fake.count("RespondToAuthChallenge")).toBe(0);
    expect(browser.challengeCookie).toBeDefined();
  });

  it("SELECT_MFA_TYPE: offers Cognito's options, refuses any other answer, sends ANSWER and holds the next challenge", async () => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({
      InitiateAuth: challenge("SELECT_MFA_TYPE", { MFAS_CAN_CHOOSE: JSON.stringify(["SMS_MFA", "SOFTWARE_TOKEN_MFA", "SOMETHING_NEW"]) }),
      RespondToAuthChallenge: [challenge("SOFTWARE_TOKEN_MFA", {}, "session-2"), tokens],
    });
    const first = await browser.run((c, jar) => passwordSignIn(c, jar, { username: "alice", password: "Passw0rd!" }));
    expect(first).toEqual({ status: "challenge", challenge: { name: "SELECT_MFA_TYPE", options: ["SMS_MFA", "SOFTWARE_TOKEN_MFA"] } });
    for (const mfaType of ["EMAIL_OTP", "SOMETHING_NEW", "", null]) {
      expect(await browser.run((c, jar) => respondToChallenge(c, jar, { mfaType: mfaType as never }))).toMatchObject({
        status: "failed",
        reason: "invalid-input",
      });
    }
    expect(fake.count("RespondToAuthChallenge")).toBe(0);
    expect(await browser.run((c, jar) => respondToChallenge(c, jar, { mfaType: "SOFTWARE_TOKEN_MFA" }))).toEqual({
      status: "challenge",
      challenge: { name: "SOFTWARE_TOKEN_MFA" },
    });
    expect(await browser.run((c, jar) => respondToChallenge(c, jar, { code: "123456" }))).toMatchObject({ status: "signed-in" });
    const [select, totp] = bodies("RespondToAuthChallenge");
    expect(select).toMatchObject({
      ChallengeName: "SELECT_MFA_TYPE",
      Session: "session-SELECT_MFA_TYPE",
      ChallengeResponses: { ANSWER: "SOFTWARE_TOKEN_MFA", USERNAME: "user-sub-1" },
    });
    expect(totp).toMatchObject({ ChallengeName: "SOFTWARE_TOKEN_MFA", Session: "session-2", ChallengeResponses: { SOFTWARE_TOKEN_MFA_CODE: "123456" } });
  });

  it("MFA_SETUP: associates a token with the Session, shows its otpauth URI, verifies the code with the new Session, then answers MFA_SETUP", async () => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({
      InitiateAuth: challenge("MFA_SETUP", { MFAS_CAN_SETUP: JSON.stringify(["SOFTWARE_TOKEN_MFA"]) }, "s1"),
      AssociateSoftwareToken: { status: 200, body: { SecretCode: "JBSWY3DPEHPK3PXP", Session: "s2" } },
      VerifySoftwareToken: { status: 200, body: { Status: "SUCCESS", Session: "s3" } },
      RespondToAuthChallenge: tokens,
    });
    const first = await browser.run((c, jar) => passwordSignIn(c, jar, { username: "ada@example.com", password: "Passw0rd!" }));
    expect(first).toEqual({
      status: "challenge",
      challenge: {
        name: "MFA_SETUP",
        secret: "JBSWY3DPEHPK3PXP",
        otpauthUri: "otpauth://totp/localhost:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=localhost&algorithm=SHA1&digits=6&period=30",
      },
    });
    expect(bodies("AssociateSoftwareToken")).toEqual([{ Session: "s1" }]);
    expect(await browser.run((c, jar) => respondToChallenge(c, jar, { code: "654321" }))).toMatchObject({ status: "signed-in" });
    expect(bodies("VerifySoftwareToken")).toEqual([{ Session: "s2", UserCode: "654321" }]);
    expect(bodies("RespondToAuthChallenge")).toEqual([
      { ChallengeName: "MFA_SETUP", ClientId: fake.clientId, Session: "s3", ChallengeResponses: { USERNAME: "user-sub-1" } },
    ]);
  });

  it("MFA_SETUP offering no authenticator app is an unsupported challenge", async () => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({ InitiateAuth: challenge("MFA_SETUP", { MFAS_CAN_SETUP: JSON.stringify(["EMAIL_OTP"]) }) });
    expect(await browser.run((c, jar) => passwordSignIn(c, jar, { username: "alice", password: "Passw0rd!" }))).toMatchObject({
      status: "failed",
      reason: "unsupported-challenge",
      challenge: "MFA_SETUP",
    });
    expect(fake.count("AssociateSoftwareToken")).toBe(0);
    expect(browser.challengeCookie).toBeUndefined();
  });

  it("completeNewPassword answers NEW_PASSWORD_REQUIRED only, never an MFA challenge", async () => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({ InitiateAuth: challenge("SMS_MFA", {}) });
    await browser.run((c, jar) => passwordSignIn(c, jar, { username: "alice", password: "Passw0rd!" }));
    expect(await browser.run((c, jar) => completeNewPassword(c, jar, { newPassword: "N3w-passw0rd!" }))).toMatchObject({
      status: "failed",
      reason: "challenge-expired",
    });
    expect(fake.count("RespondToAuthChallenge")).toBe(0);
  });

  it("a sign-up session in the challenge cookie answers no challenge", async () => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({ SignUp: { status: 200, body: { UserConfirmed: false, Session: "signup-session" } } });
    await browser.run((c, jar) => signUp(c, jar, { username: "ada@example.com", password: "Passw0rd!" }));
    expect(browser.challengeCookie).toBeDefined();
    expect(await browser.run((c, jar) => respondToChallenge(c, jar, { code: "123456" }))).toMatchObject({ status: "failed", reason: "challenge-expired" });
    expect(fake.count("RespondToAuthChallenge")).toBe(0);
  });

  it("leads password-reset-required on to forgot-password", async () => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({ InitiateAuth: refuse("PasswordResetRequiredException", "Password reset required for the user") });
    expect(await browser.run((c, jar) => passwordSignIn(c, jar, { username: "alice", password: "Passw0rd!" }))).toEqual({
      status: "failed",
      reason: "password-reset-required",
      message: "You need to reset your password before you can sign in.",
      next: "forgot-password",
    });
  });
});

describe("sign-in straight after confirmation (Cognito's sign-up Session)", () => {
  it("keeps SignUp's Session sealed, hands it to ConfirmSignUp, and signs in with InitiateAuth USER_AUTH and the Session it returns", async () => {
    const browser = new FlowBrowser(coreOf(fake.app({ clientSecret: CLIENT_SECRET })));
    script({
      SignUp: { status: 200, body: { UserConfirmed: false, UserSub: "sub-1", Session: "signup-session" } },
      ConfirmSignUp: { status: 200, body: { Session: "confirmed-session" } },
      InitiateAuth: tokens,
    });
    expect(
      await browser.run((c, jar) =>
        signUp(c, jar, { username: "ada@example.com", password: "Passw0rd!", attributes: { email: "ada@example.com" }, returnTo: "/welcome" }),
      ),
    ).toEqual({
      status: "confirmation-required",
    });
    expect(browser.challengeCookie).not.toContain("signup-session");
    expect(await browser.run((c, jar) => confirmSignUp(c, jar, { username: "ada@example.com", code: "123456" }))).toEqual({
      status: "signed-in",
      returnTo: "/welcome",
    });
    expect(bodies("SignUp")).toEqual([
      {
        ClientId: fake.clientId,
        Username: "ada@example.com",
        Password: "Passw0rd!",
        UserAttributes: [{ Name: "email", Value: "ada@example.com" }],
        SecretHash: expectedHash("ada@example.com"),
      },
    ]);
    expect(bodies("ConfirmSignUp")).toEqual([
      {
        ClientId: fake.clientId,
        Username: "ada@example.com",
        ConfirmationCode: "123456",
        SecretHash: expectedHash("ada@example.com"),
        Session: "signup-session",
      },
    ]);
    expect(bodies("InitiateAuth")).toEqual([
      {
        AuthFlow: "USER_AUTH",
        ClientId: fake.clientId,
        AuthParameters: { USERNAME: "ada@example.com", SECRET_HASH: expectedHash("ada@example.com") },
        Session: "confirmed-session",
      },
    ]);
    expect(browser.challengeCookie).toBeUndefined();
  });

  it("does not hand one username's sign-up Session to another's confirmation", async () => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({ SignUp: { status: 200, body: { UserConfirmed: false, Session: "signup-session" } }, ConfirmSignUp: { status: 200, body: {} } });
    await browser.run((c, jar) => signUp(c, jar, { username: "ada@example.com", password: "Passw0rd!" }));
    expect(await browser.run((c, jar) => confirmSignUp(c, jar, { username: "eve@example.com", code: "123456" }))).toEqual({ status: "confirmed" });
    expect(bodies("ConfirmSignUp")[0]).not.toHaveProperty("Session");
    expect(fake.count("InitiateAuth")).toBe(0);
  });

  it("answers confirmed when the sign-in after confirmation fails", async () => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({
      SignUp: { status: 200, body: { UserConfirmed: false, Session: "signup-session" } },
      ConfirmSignUp: { status: 200, body: { Session: "confirmed-session" } },
      InitiateAuth: refuse("NotAuthorizedException", "Invalid session"),
    });
    await browser.run((c, jar) => signUp(c, jar, { username: "ada@example.com", password: "Passw0rd!" }));
    expect(await browser.run((c, jar) => confirmSignUp(c, jar, { username: "ada@example.com", code: "123456" }))).toEqual({ status: "confirmed" });
  });
});

describe("codes sent without telling who has an account", () => {
  it("resendConfirmationCode: code-sent for a known and an unknown username alike, with SECRET_HASH", async () => {
    const core = coreOf(fake.app({ clientSecret: CLIENT_SECRET }));
    const browser = new FlowBrowser(core);
    script({
      ResendConfirmationCode: [
        { status: 200, body: { CodeDeliveryDetails: { Destination: "a***@e***" } } },
        refuse("UserNotFoundException", "Username/client id combination not found."),
      ],
    });
    const known = await browser.run((c) => resendConfirmationCode(c, { username: "ada@example.com" }));
    const unknown = await browser.run((c) => resendConfirmationCode(c, { username: "nobody@example.com" }));
    expect(known).toEqual({ status: "code-sent" });
    expect(unknown).toEqual(known);
    expect(bodies("ResendConfirmationCode")[0]).toEqual({ ClientId: fake.clientId, Username: "ada@example.com", SecretHash: expectedHash("ada@example.com") });
  });

  it.each([["UserNotFoundException"], ["InvalidParameterException"], ["NotAuthorizedException"]])("forgotPassword: %s reads as code-sent", async (type) => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({ ForgotPassword: refuse(type) });
    expect(await browser.run((c) => forgotPassword(c, { username: "nobody@example.com" }))).toEqual({ status: "code-sent" });
  });

  it("signUp: a taken username reads as a new one", async () => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({ SignUp: [{ status: 200, body: { UserConfirmed: false } }, refuse("UsernameExistsException", "User already exists")] });
    const free = await browser.run((c, jar) => signUp(c, jar, { username: "new@example.com", password: "Passw0rd!" }));
    const taken = await browser.run((c, jar) => signUp(c, jar, { username: "ada@example.com", password: "Passw0rd!" }));
    expect(taken).toEqual(free);
  });

  it.each([
    ["hands back sign-up sessions", { UserConfirmed: false, Session: "AYABe".padEnd(920, "x") }],
    ["hands back none", { UserConfirmed: false }],
  ])("signUp on a pool that %s: a taken username sets the same challenge cookie, of the same size, as a free one", async (_, answer) => {
    const app = fake.app();
    script({ SignUp: [{ status: 200, body: answer }, refuse("UsernameExistsException", "User already exists")] });
    // One username length for both, so the cookies may differ only by what the pool answered.
    const free = new FlowBrowser(coreOf(app));
    const taken = new FlowBrowser(coreOf(app));
    expect(await free.run((c, jar) => signUp(c, jar, { username: "new@example.com", password: "Passw0rd!" }))).toEqual({ status: "confirmation-required" });
    expect(await taken.run((c, jar) => signUp(c, jar, { username: "ada@example.com", password: "Passw0rd!" }))).toEqual({ status: "confirmation-required" });
    const cookies = (browser: FlowBrowser) => [...browser.jar].map(([name, [value]]) => [name, value!.length]);
    expect(cookies(taken)).toEqual(cookies(free));
    expect(cookies(free)).toHaveLength(1);
    // What the taken username holds is no session: its confirmation, the right code, goes without one.
    script({ ConfirmSignUp: { status: 200, body: {} } });
    expect(await taken.run((c, jar) => confirmSignUp(c, jar, { username: "ada@example.com", code: "123456" }))).toEqual({ status: "confirmed" });
    expect(bodies("ConfirmSignUp")[0]).not.toHaveProperty("Session");
    // The free one's confirmation carries Cognito's session exactly, without the padding.
    await free.run((c, jar) => confirmSignUp(c, jar, { username: "new@example.com", code: "123456" }));
    expect(bodies("ConfirmSignUp")[1]?.Session).toBe((answer as { Session?: string }).Session);
  });
});

describe("rate limits, lockouts and bad codes are reasons", () => {
  const cases: Array<[string, string, string]> = [
    ["TooManyRequestsException", "Rate exceeded", "too-many-requests"],
    ["LimitExceededException", "Attempt limit exceeded, please try after some time.", "limit-exceeded"],
    ["TooManyFailedAttemptsException", "Too many failed attempts", "locked-out"],
    ["CodeMismatchException", "Invalid verification code provided, please try again.", "code-mismatch"],
    ["ExpiredCodeException", "Invalid code provided, please request a code again.", "expired-code"],
    ["CodeDeliveryFailureException", "Unable to deliver", "code-delivery-failed"],
  ];

  it.each(cases)("confirmForgotPassword: %s (%s) is %s", async (type, message, reason) => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({ ConfirmForgotPassword: refuse(type, message) });
    expect(await browser.run((c, jar) => confirmForgotPassword(c, jar, { username: "ada", code: "123456", newPassword: "N3w-passw0rd!" }))).toMatchObject({
      status: "failed",
      reason,
    });
  });

  it.each(cases)("confirmSignUp: %s (%s) is %s", async (type, message, reason) => {
    const browser = new FlowBrowser(coreOf(fake.app()));
    script({ ConfirmSignUp: refuse(type, message) });
    expect(await browser.run((c, jar) => confirmSignUp(c, jar, { username: "ada", code: "123456" }))).toMatchObject({ status: "failed", reason });
  });

  it.each(cases.filter(([type]) => !type.startsWith("Code") && type !== "ExpiredCodeException"))(
    "forgotPassword: %s (%s) is %s",
    async (type, message, reason) => {
      const browser = new FlowBrowser(coreOf(fake.app()));
      script({ ForgotPassword: refuse(type, message) });
      expect(await browser.run((c) => forgotPassword(c, { username: "ada" }))).toMatchObject({ status: "failed", reason });
    },
  );

  it("a signed-in action: Cognito down is unavailable, a revoked token is not-signed-in, a wrong current password incorrect-password", async () => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const flows = new FlowBrowser(coreOf(app));
    for (const [name, value] of browser.cookies) flows.jar.set(name, [value]);
    script({
      ChangePassword: [
        { status: 503, body: { __type: "InternalErrorException" } },
        refuse("NotAuthorizedException", "Access Token has been revoked"),
        refuse("NotAuthorizedException", "Incorrect username or password."),
        refuse("InvalidPasswordException", "Password does not conform to policy: Password not long enough"),
      ],
    });
    const change = () => flows.run((c, jar) => changePassword(c, jar, { currentPassword: "Passw0rd!", newPassword: "N3w-passw0rd!" }));
    expect(await change()).toMatchObject({ reason: "unavailable" });
    expect(await change()).toMatchObject({ reason: "not-signed-in" });
    expect(await change()).toMatchObject({ reason: "incorrect-password" });
    expect(await change()).toMatchObject({ reason: "invalid-new-password" });
  });

  it("setUpTotp: an answer without a secret is rejected, not thrown", async () => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const flows = new FlowBrowser(coreOf(app));
    for (const [name, value] of browser.cookies) flows.jar.set(name, [value]);
    script({ AssociateSoftwareToken: { status: 200, body: {} } });
    expect(await flows.run((c, jar) => setUpTotp(c, jar))).toMatchObject({ status: "failed", reason: "rejected" });
  });

  it("verifyTotp: EnableSoftwareTokenMFAException is code-mismatch, and a Status other than SUCCESS too", async () => {
    const app = fake.app();
    const { browser } = await fake.signedIn(app);
    const flows = new FlowBrowser(coreOf(app));
    for (const [name, value] of browser.cookies) flows.jar.set(name, [value]);
    script({ VerifySoftwareToken: [refuse("EnableSoftwareTokenMFAException", "Code mismatch"), { status: 200, body: { Status: "ERROR" } }] });
    expect(await flows.run((c, jar) => verifyTotp(c, jar, { code: "123456" }))).toMatchObject({ reason: "code-mismatch" });
    expect(await flows.run((c, jar) => verifyTotp(c, jar, { code: "123456" }))).toMatchObject({ reason: "code-mismatch" });
    expect(fake.count("SetUserMFAPreference")).toBe(0);
  });
});
