/** What a secret shows wherever it is printed, serialized or inspected. */
const REDACTED = "[redacted]";

/**
 * A secret setting (`SESSION_SECRET`, the client secret). It prints as `[redacted]` in
 * `JSON.stringify`, `String()`, template strings and `util.inspect` / `console.log` at any
 * depth, and a structured clone of it holds nothing: the value lives in a private field,
 * out of reach of anything that walks properties. {@link reveal} gives it to the code that
 * derives keys or calls Cognito with it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself: pass it on, never log it. */
  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
}
