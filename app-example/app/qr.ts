import QRCode from "qrcode";

/**
 * An otpauth URI as a QR code an authenticator app scans: an SVG drawn on the server, as a
 * data URL for an <img>. Nothing reaches a third party; the browser needs no script.
 */
export async function qrDataUrl(otpauthUri: string): Promise<string> {
  const svg = await QRCode.toString(otpauthUri, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}

/** Whether `value` is an otpauth URI worth drawing (what `setUpTotp` and the MFA_SETUP challenge give). */
export function isOtpauthUri(value: unknown): value is string {
  return typeof value === "string" && value.length <= 1024 && value.startsWith("otpauth://totp/");
}
