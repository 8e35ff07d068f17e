import { callCognito } from "../cognito/api.ts";
import type { Core } from "../session/core.ts";
import type { CookieJar } from "../persistence/jar.ts";
import { applyToJar, type CookieChanges, emptyChanges } from "../persistence/changes.ts";
import { resolveSession } from "../session/resolve.ts";
import { getAccessToken, type Session } from "../session/session.ts";
import { classify, type Failed, type FailureReason, failure, type Step } from "./failures.ts";
import { type FlowStep, otpauthUri } from "./challenges.ts";
import { allowedAttributes, codeOf, fieldsOf, passwordOf } from "./form-input.ts";

/** Why a signed-in user's account change did not go through. */
export type AccountFailure = Extract<
  FailureReason,
  | "invalid-input"
  | "invalid-new-password"
  | "incorrect-password"
  | "code-mismatch"
  | "expired-code"
  | "code-delivery-failed"
  | "alias-exists"
  | "too-many-requests"
  | "limit-exceeded"
  | "locked-out"
  | "not-signed-in"
  | "unavailable"
  | "rejected"
>;

/** A signed-in action's result: `S` on success, else a failure. */
export type AccountResult<S> = S | Failed<AccountFailure>;

export type ChangePasswordResult = AccountResult<{ status: "password-changed" }>;
/** `otpauthUri` to show as a QR code, `secret` (base32) to type in by hand; then `verifyTotp` with a code from the app. */
export type SetUpTotpResult = AccountResult<{ status: "totp-setup"; otpauthUri: string; secret: string }>;
export type VerifyTotpResult = AccountResult<{ status: "totp-enabled" }>;
export type DisableTotpResult = AccountResult<{ status: "totp-disabled" }>;
export type UpdateAttributesResult = AccountResult<
  /** Saved. The session's ID token already shows the new values. */
  | { status: "updated" }
  /**
   * Saved, but `attributes` (email, phone_number) wait for the code Cognito sent to the new
   * address: call `verifyAttribute`. Until then Cognito may keep the old, verified value.
   */
  | { status: "verification-required"; attributes: string[]; destination?: string }
>;
export type VerifyAttributeResult = AccountResult<{ status: "verified" }>;
/** The account is gone and the session's cookies are cleared. */
export type DeleteAccountResult = AccountResult<{ status: "deleted" }>;

/** Attributes Cognito verifies with a code. */
const VERIFIABLE = new Set(["email", "phone_number"]);

/**
 * Run `act` with the request's session (refreshed first when due), then refresh the
 * session so its ID token shows the change at once. Without a session: `not-signed-in`
 * (or `unavailable` when it could not be checked), clearing cookies that are no session.
 */
async function signedIn<S>(
  core: Core,
  jar: CookieJar,
  act: (accessToken: string, session: Session) => Promise<S>,
  { step = "signed-in", refresh = true }: { step?: Step; refresh?: boolean } = {},
): Promise<FlowStep<AccountResult<S>>> {
  const { session, changes, unavailable } = await resolveSession(core, jar);
  if (session === null) return { result: failure(unavailable ? "unavailable" : "not-signed-in"), changes };
  let result: S;
  try {
    result = await act(getAccessToken(session), session);
  } catch (error) {
    return { result: classify(error, step) as Failed<AccountFailure>, changes };
  }
  if (refresh && (result as { status?: unknown }).status !== "failed") merge(changes, await refreshNow(core, jar));
  return { result, changes };
}

/**
 * New tokens for the session in `jar` now, whether or not they are due, so claims changed
 * at Cognito show at once. Not the shared refresher: it would hand back tokens it got a
 * moment ago, before the change. Best effort: the change is made either way, and the next
 * due refresh shows it.
 */
async function refreshNow(core: Core, jar: CookieJar): Promise<CookieChanges> {
  try {
    const tokens = await core.storage.read(jar);
    if (!tokens?.refreshToken) return emptyChanges();
    const issued = await core.refresher.source.redeem(tokens.refreshToken, tokens.accessToken);
    const access = await core.verifier.verify(issued.accessToken, "access");
    if (issued.idToken !== undefined && (await core.verifier.verify(issued.idToken, "id")).sub !== access.sub) return emptyChanges();
    const changes = await core.storage.write(jar, {
      accessToken: issued.accessToken,
      idToken: issued.idToken ?? tokens.idToken,
      refreshToken: issued.refreshToken ?? tokens.refreshToken,
      endsAt: tokens.endsAt,
    });
    applyToJar(jar, changes);
    return changes;
  } catch {
    return emptyChanges();
  }
}

/** `later` applied after `earlier`: a cookie set or removed by `later` replaces what `earlier` did to it. */
function merge(earlier: CookieChanges, later: CookieChanges): void {
  const touched = new Set([...later.set, ...later.remove].map((c) => c.name));
  earlier.set = earlier.set.filter((c) => !touched.has(c.name)).concat(later.set);
  earlier.remove = earlier.remove.filter((c) => !touched.has(c.name)).concat(later.remove);
}

/** Change the signed-in user's password (`ChangePassword`). */
export async function changePassword(
  core: Core,
  jar: CookieJar,
  input: { currentPassword: string; newPassword: string },
): Promise<FlowStep<ChangePasswordResult>> {
  const fields = fieldsOf(input);
  const currentPassword = passwordOf(fields.currentPassword);
  const newPassword = passwordOf(fields.newPassword);
  if (currentPassword === undefined) return { result: failure("incorrect-password"), changes: emptyChanges() };
  if (newPassword === undefined) return { result: failure("invalid-new-password"), changes: emptyChanges() };
  return signedIn(
    core,
    jar,
    async (AccessToken) => {
      await callCognito(core.api, "ChangePassword", { AccessToken, PreviousPassword: currentPassword, ProposedPassword: newPassword });
      return { status: "password-changed" as const };
    },
    { step: "change-password" },
  );
}

/** Start setting up an authenticator app (`AssociateSoftwareToken`): the URI and secret to show. */
export function setUpTotp(core: Core, jar: CookieJar): Promise<FlowStep<SetUpTotpResult>> {
  return signedIn(
    core,
    jar,
    async (AccessToken, session) => {
      const { SecretCode } = await callCognito<{ SecretCode?: string }>(core.api, "AssociateSoftwareToken", { AccessToken });
      if (typeof SecretCode !== "string") return failure("rejected");
      const account = session.user?.email ?? session.user?.username ?? "account";
      return { status: "totp-setup" as const, otpauthUri: otpauthUri(core.config.account.totpIssuer, account, SecretCode), secret: SecretCode };
    },
    { refresh: false },
  );
}

/**
 * Finish setting up the authenticator app with a code from it (`VerifySoftwareToken`),
 * then make TOTP the user's preferred second factor (`SetUserMFAPreference`).
 */
export async function verifyTotp(core: Core, jar: CookieJar, input: { code: string }): Promise<FlowStep<VerifyTotpResult>> {
  const code = codeOf(fieldsOf(input).code);
  if (code === undefined) return { result: failure("code-mismatch"), changes: emptyChanges() };
  return signedIn(core, jar, async (AccessToken) => {
    const { Status } = await callCognito<{ Status?: string }>(core.api, "VerifySoftwareToken", { AccessToken, UserCode: code });
    if (Status !== "SUCCESS") return failure("code-mismatch");
    await callCognito(core.api, "SetUserMFAPreference", { AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } });
    return { status: "totp-enabled" as const };
  });
}

/** Turn TOTP off for the signed-in user (`SetUserMFAPreference`). A pool that requires MFA may refuse. */
export function disableTotp(core: Core, jar: CookieJar): Promise<FlowStep<DisableTotpResult>> {
  return signedIn(core, jar, async (AccessToken) => {
    await callCognito(core.api, "SetUserMFAPreference", { AccessToken, SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false } });
    return { status: "totp-disabled" as const };
  });
}

/**
 * Change the signed-in user's attributes (`UpdateUserAttributes`): only names in
 * `account.writableAttributes` are sent. A new email or phone number waits for its code.
 */
export async function updateAttributes(
  core: Core,
  jar: CookieJar,
  input: { attributes: Record<string, string | undefined> },
): Promise<FlowStep<UpdateAttributesResult>> {
  const attributes = allowedAttributes(fieldsOf(input).attributes, core.config.account.writableAttributes);
  if (attributes.length === 0) return { result: failure("invalid-input"), changes: emptyChanges() };
  return signedIn(core, jar, async (AccessToken) => {
    const response = await callCognito<{ CodeDeliveryDetailsList?: Array<{ AttributeName?: string; Destination?: string }> }>(
      core.api,
      "UpdateUserAttributes",
      {
        AccessToken,
        UserAttributes: attributes,
      },
    );
    const deliveries = Array.isArray(response.CodeDeliveryDetailsList) ? response.CodeDeliveryDetailsList : [];
    const pending = attributes.map((a) => a.Name).filter((name) => VERIFIABLE.has(name));
    if (deliveries.length === 0 || pending.length === 0) return { status: "updated" as const };
    const destination = deliveries.find((d) => typeof d?.Destination === "string")?.Destination;
    return { status: "verification-required" as const, attributes: pending, ...(destination ? { destination: destination.slice(0, 256) } : {}) };
  });
}

/** Confirm a new email or phone number with the code Cognito sent (`VerifyUserAttribute`). */
export async function verifyAttribute(core: Core, jar: CookieJar, input: { attribute: string; code: string }): Promise<FlowStep<VerifyAttributeResult>> {
  const fields = fieldsOf(input);
  const attribute = fields.attribute;
  const code = codeOf(fields.code);
  if (typeof attribute !== "string" || !VERIFIABLE.has(attribute)) return { result: failure("invalid-input"), changes: emptyChanges() };
  if (code === undefined) return { result: failure("code-mismatch"), changes: emptyChanges() };
  return signedIn(core, jar, async (AccessToken) => {
    await callCognito(core.api, "VerifyUserAttribute", { AccessToken, AttributeName: attribute, Code: code });
    return { status: "verified" as const };
  });
}

/** Delete the signed-in user's account (`DeleteUser`), end the session and clear its cookies. */
export async function deleteAccount(core: Core, jar: CookieJar): Promise<FlowStep<DeleteAccountResult>> {
  const step = await signedIn(
    core,
    jar,
    async (AccessToken) => {
      await callCognito(core.api, "DeleteUser", { AccessToken });
      // Cognito refuses the deleted user from now on, but access tokens are verified here, not
      // there: refuse every one of them issued until now, on every instance, until it would lapse.
      const claims = await core.verifier.verify(AccessToken, "access");
      await core.denylist.signOut(claims.sub, claims.exp - claims.iat + core.config.clockTolerance).catch(() => {});
      return { status: "deleted" as const };
    },
    { refresh: false },
  );
  if (step.result.status !== "deleted") return step;
  await core.storage.end(jar).catch(() => {});
  const changes = core.storage.clear(jar);
  changes.remove.push(...core.transactions.clear(jar).remove);
  return { result: step.result, changes };
}
