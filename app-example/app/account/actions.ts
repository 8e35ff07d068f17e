"use server";

import { redirect } from "next/navigation";
import { auth } from "../../auth";
import { field, fieldsOf, isForm, shortText } from "../forms";
import { qrDataUrl } from "../qr";

/** A section's answer: an error or a notice to show. */
export interface Notice {
  message?: string;
  notice?: string;
}

const MALFORMED = { message: "Something went wrong. Please try again." };

/** Change the password: the current one, then the new one. */
export async function changePasswordAction(_previous: Notice, form: FormData): Promise<Notice> {
  if (!isForm(form)) return MALFORMED;
  const result = await auth.changePassword({ currentPassword: field(form, "currentPassword"), newPassword: field(form, "newPassword") });
  return result.status === "failed" ? { message: result.message } : { notice: "Your password has been changed." };
}

/** The TOTP section: nothing yet, a secret waiting for its first code, or a message. */
export interface TotpState extends Notice {
  step: "idle" | "verify";
  /** The otpauth URI and its QR code, while the first code is awaited. */
  otpauthUri?: string;
  secret?: string;
  qr?: string;
}

/**
 * Set up TOTP (`setUpTotp`: a new secret, shown as a QR code drawn here on the server), then
 * switch it on with a first code (`verifyTotp`), or switch it off (`disableTotp`).
 */
export async function totpAction(previous: TotpState, form: FormData): Promise<TotpState> {
  if (!isForm(form)) return { step: "idle", ...MALFORMED };
  const intent = field(form, "intent");
  if (intent === "start") {
    const result = await auth.setUpTotp();
    if (result.status === "failed") return { step: "idle", message: result.message };
    return { step: "verify", otpauthUri: result.otpauthUri, secret: result.secret, qr: await qrDataUrl(result.otpauthUri) };
  }
  if (intent === "verify") {
    const result = await auth.verifyTotp({ code: field(form, "code") });
    if (result.status !== "failed") return { step: "idle", notice: "Your authenticator app is set up: sign-in now asks for its code." };
    // The secret is the library's to keep; shown again only from the state this form holds.
    const { otpauthUri, secret } = fieldsOf(previous);
    const uri = shortText(otpauthUri, 1024);
    return uri.startsWith("otpauth://totp/")
      ? { step: "verify", otpauthUri: uri, secret: shortText(secret, 128), qr: await qrDataUrl(uri), message: result.message }
      : { step: "idle", message: result.message };
  }
  if (intent === "disable") {
    const result = await auth.disableTotp();
    return result.status === "failed"
      ? { step: "idle", message: result.message }
      : { step: "idle", notice: "Sign-in no longer asks for an authenticator code." };
  }
  return { step: "idle", ...MALFORMED };
}

/** The attributes section: the form, or the code sent to a changed email address. */
export interface AttributesState extends Notice {
  step: "edit" | "verify";
  name?: string;
  email?: string;
  /** The attribute waiting for its code (`email` or `phone_number`), and where the code went. */
  attribute?: "email" | "phone_number";
  destination?: string;
}

/**
 * Edit attributes (`updateAttributes`; the library sends only those the config lets a user
 * write). A changed email address is confirmed with the code sent to it (`verifyAttribute`).
 */
export async function attributesAction(previous: AttributesState, form: FormData): Promise<AttributesState> {
  if (!isForm(form)) return { step: "edit", ...MALFORMED };
  const { step, attribute } = fieldsOf(previous);
  if (step === "verify" && field(form, "intent") !== "edit") {
    const name = attribute === "phone_number" ? "phone_number" : "email";
    const result = await auth.verifyAttribute({ attribute: name, code: field(form, "code") });
    if (result.status === "failed") return { step: "verify", attribute: name, message: result.message };
    // A new request, so the page is drawn from the refreshed ID token the action just stored.
    return redirect(`/account?saved=${name}`);
  }
  const typed = { name: field(form, "name"), email: field(form, "email") };
  const kept = { name: shortText(typed.name, 128), email: shortText(typed.email, 128) };
  // Only what changed goes to Cognito: an unchanged email sent again would be asked to verify again.
  const user = (await auth.getServerSession())?.user;
  const changed = {
    ...(typed.name !== (user?.name ?? "") ? { name: typed.name } : {}),
    ...(typed.email !== (user?.email ?? "") ? { email: typed.email } : {}),
  };
  if (Object.keys(changed).length === 0) return { step: "edit", ...kept, notice: "Nothing changed." };
  const result = await auth.updateAttributes({ attributes: changed });
  switch (result.status) {
    case "failed":
      return { step: "edit", ...kept, message: result.message };
    case "verification-required":
      return {
        step: "verify",
        attribute: result.attributes.includes("phone_number") && !result.attributes.includes("email") ? "phone_number" : "email",
        ...(result.destination ? { destination: result.destination } : {}),
        notice: "Saved. Enter the code we sent to confirm the new address.",
      };
    default:
      return redirect("/account?saved=profile");
  }
}

/** Delete the account (`deleteAccount`) once the box is ticked; the session ends with it. */
export async function deleteAccountAction(_previous: Notice, form: FormData): Promise<Notice> {
  if (!isForm(form)) return MALFORMED;
  if (field(form, "confirm") !== "yes") return { message: "Tick the box to confirm." };
  const result = await auth.deleteAccount();
  if (result.status === "failed") return { message: result.message };
  return redirect("/?deleted=1");
}
