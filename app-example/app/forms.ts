/**
 * Reading what a server action was posted. An action receives whatever was posted to it,
 * not necessarily what its form sent: a FormData, a Map, null, a number. These read it by
 * shape (a FormData from another copy of the runtime fails `instanceof`) and never throw.
 */

/** Whether `value` reads like the FormData a form posts. A posted Map passes harmlessly: its values are type-checked as read. */
export function isForm(value: unknown): value is FormData {
  return typeof value === "object" && value !== null && typeof (value as { get?: unknown }).get === "function";
}

/** A form field's text, or "" when the field is missing or not text. */
export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

/** A posted previous state's fields when it is an object; otherwise none. */
export function fieldsOf(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** `value` when it is a string of at most `max` characters (a value to show back in a form), else "". */
export function shortText(value: unknown, max = 256): string {
  return typeof value === "string" && value.length <= max ? value : "";
}
