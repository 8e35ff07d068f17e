/**
 * OpenTelemetry spans, through the tracer provider an app registers with
 * `@opentelemetry/api` (`@vercel/otel`, the Node SDK), without importing that package.
 *
 * The API keeps what is registered under `Symbol.for("opentelemetry.js.api.1")` on
 * `globalThis`, so every copy of it in a process (the app's, Next's compiled one) shares
 * one provider and one context manager. Reading that registration instead of importing the
 * package keeps it an optional peer in fact: no bundler sees an import to resolve, so an app
 * without it builds, on Node and Edge alike. With no provider registered (the package
 * absent, or present with no SDK) a span costs one property read and a branch.
 *
 * Spans start with the provider's own `startActiveSpan`, which reads the active context
 * through the API's registered context manager: they nest under the span of whatever is
 * running (Next's request spans), and calls made inside them (`fetch`) nest under them.
 *
 * Attributes never carry a token, a cookie value, a secret, a store key or a user
 * identifier (sub, username, email); failures are recorded by their error code, never by
 * their message.
 */

/** The parts of a span this library uses (structural: `@opentelemetry/api`'s `Span` has them). */
export interface TraceSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

/** The parts of a tracer this library uses. */
export interface Tracer {
  startActiveSpan<R>(name: string, options: { kind?: number; attributes?: SpanAttributes }, fn: (span: TraceSpan) => R): R;
}

export type SpanAttributes = Record<string, string | number | boolean>;

interface TracerProvider {
  getTracer(name: string, version?: string): Tracer;
}

/** Where `@opentelemetry/api` 1.x registers its globals (`trace` is the tracer provider). */
const OTEL_API = Symbol.for("opentelemetry.js.api.1");

/** The instrumentation scope every span of this library is reported under. */
export const TRACER_NAME = "next-cognito-session";

/** `SpanKind.INTERNAL`: work inside this process (verifying a token, a refresh as a whole). */
export const INTERNAL = 0;
/** `SpanKind.CLIENT`: a call to another service (Cognito, the JWKS endpoint, Redis). */
export const CLIENT = 2;
/** `SpanStatusCode.ERROR`. */
const ERROR = 2;

let knownProvider: TracerProvider | undefined;
let knownTracer: Tracer | undefined;

/**
 * The tracer of the registered provider, or undefined when none is registered. Call it
 * where a span would start and branch on the answer: nothing is allocated without one.
 */
export function activeTracer(): Tracer | undefined {
  const provider = (globalThis as { [OTEL_API]?: { trace?: TracerProvider } })[OTEL_API]?.trace;
  if (provider === undefined) return undefined;
  // One tracer per provider: an app that registers another (tests do) gets a new one.
  if (provider !== knownProvider) {
    knownTracer = provider.getTracer(TRACER_NAME);
    knownProvider = provider;
  }
  return knownTracer;
}

/**
 * Run `work` inside a span named `name`, ended when it settles. A rejection sets the
 * span's status to error with the error's code (`errorType`) and is passed on unchanged.
 */
export function traced<T>(tracer: Tracer, name: string, attributes: SpanAttributes, kind: number, work: (span: TraceSpan) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      const type = errorType(error);
      span.setAttribute("error.type", type);
      span.setStatus({ code: ERROR, message: type });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * What a span records of a failure: this library's error code (`ERR_TOKEN_EXPIRED`),
 * else the error's class name. Never its message: a message may quote what it refused.
 */
export function errorType(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === "string" && /^ERR_[A-Z_]+$/.test(code)) return code;
    if (typeof name === "string" && /^\w{1,64}$/.test(name)) return name;
  }
  return "Error";
}
