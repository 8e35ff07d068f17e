// What server actions receive is whatever a form posted: these read it without trusting it.

// Cognito's own limits: anything longer cannot be a valid username, password or attribute value.
export const MAX_USERNAME = 128;
export const MAX_PASSWORD = 256;
export const MAX_ATTRIBUTE = 2048;

/**
 * The fields of what a form handed in. Server actions receive whatever was posted, so the
 * input may be anything: null, an array, a number. Anything but an object has no fields.
 */
export function fieldsOf(input: unknown): Record<string, unknown> {
  return typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
}

/** A field's value when it is a string, else `fallback`. */
export const text = <F>(value: unknown, fallback: F): string | F => (typeof value === "string" ? value : fallback);

/** Non-empty, within Cognito's length, no control characters. */
export function plausible(value: string, max: number): boolean {
  return value.length > 0 && value.length <= max && !/[\u0000-\u001f\u007f]/.test(value);
}

/** A username field, trimmed; undefined when it cannot be one. */
export function usernameOf(value: unknown): string | undefined {
  const username = text(value, "").trim();
  return plausible(username, MAX_USERNAME) ? username : undefined;
}

/** A password field as typed (spaces count); undefined when it cannot be one. */
export function passwordOf(value: unknown): string | undefined {
  const password = text(value, "");
  return password !== "" && password.length <= MAX_PASSWORD ? password : undefined;
}

/**
 * A one-time code as typed (spaces around it and inside it, as people copy them, dropped);
 * undefined unless 4 to 10 digits: Cognito's codes are 6 digits, its email one-time codes 6 to 8.
 */
export function codeOf(value: unknown): string | undefined {
  const code = text(value, "").replace(/[ \t]/g, "");
  return /^[0-9]{4,10}$/.test(code) ? code : undefined;
}

/**
 * The attributes of `value` whose names are in `allowed`, as Cognito's `{ Name, Value }`
 * pairs: own properties only (nothing inherited), string values within Cognito's length.
 * Any other name a form posts is dropped, so a form cannot set what the app never offered.
 */
export function allowedAttributes(value: unknown, allowed: readonly string[]): Array<{ Name: string; Value: string }> {
  const given = fieldsOf(value);
  const pairs: Array<{ Name: string; Value: string }> = [];
  for (const name of allowed) {
    const attribute = Object.hasOwn(given, name) ? given[name] : undefined;
    if (typeof attribute === "string" && attribute.length <= MAX_ATTRIBUTE) pairs.push({ Name: name, Value: attribute });
  }
  return pairs;
}
