// Values in the stored formats of the release before JWE sealing, written as that release
// wrote them: iron seals (`Fe26.2`, iron-session, envelope {f: 1, p, exp, v}, the password
// named by a 24-bit id from the secret's SHA-256) and the AES-GCM session id envelope
// (IV ‖ ciphertext ‖ tag, base64url, key SHA-256("ncs session id\0" + secret)). Tests use
// them to show what the current code makes of a cookie or store value an earlier release left.
import { sealData } from "iron-session";
import { base64url, base64UrlToBytes } from "../../src/lib/base64url.ts";

const bytesOf = (text: string) => new TextEncoder().encode(text);

/** The iron password id the previous release gave `secret`. */
async function ironId(secret: string): Promise<number> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytesOf(secret)));
  return ((digest[0]! << 16) | (digest[1]! << 8) | digest[2]!) + 1;
}

/** `value` sealed for `purpose` as the previous release's Sealer did, for `ttl` seconds. */
export async function previousSeal(secret: string, purpose: string, value: unknown, ttl: number): Promise<string> {
  const envelope = { f: 1, p: purpose, exp: Math.floor(Date.now() / 1000) + ttl, v: value };
  const marked = await sealData(envelope, { password: { [await ironId(secret)]: secret }, ttl });
  return marked.slice(0, marked.indexOf("~"));
}

/** The session id `id` (base64url of 16 bytes) sealed as the previous release's SessionIds did. */
export async function previousSessionId(secret: string, id: string): Promise<string> {
  const material = await crypto.subtle.digest("SHA-256", bytesOf(`ncs session id\0${secret}`));
  const key = await crypto.subtle.importKey("raw", material, "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, base64UrlToBytes(id)!));
  const out = new Uint8Array(12 + sealed.length);
  out.set(iv);
  out.set(sealed, 12);
  return base64url(out);
}
