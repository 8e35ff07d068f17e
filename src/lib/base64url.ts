/** base64url (RFC 4648 §5) with only what every runtime has: Node, Edge, browsers. */

const BASE64URL = /^[\w-]*$/;

/**
 * base64url to a "binary string" (one character a byte) with only what every runtime has;
 * undefined when `segment` is not base64url. Checked first: `atob` would take "+", "/", "="
 * and blanks too, and throws a DOMException for a length of 4k+1.
 */
export function atobUrl(segment: string): string | undefined {
  if (segment.length % 4 === 1 || !BASE64URL.test(segment)) return undefined;
  return atob(segment.replace(/-/g, "+").replace(/_/g, "/"));
}

/** base64url to bytes with only what every runtime has (`atob`); undefined when `segment` is not base64url. Never throws. */
export function base64UrlToBytes(segment: string): Uint8Array<ArrayBuffer> | undefined {
  const binary = atobUrl(segment);
  if (binary === undefined) return undefined;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** base64url without padding. */
export function base64url(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
