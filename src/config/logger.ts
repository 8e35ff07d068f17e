/** How much a log line matters, least first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * What a log line says beyond its message: codes, counts, levels, durations. Never a
 * token, a cookie value or a secret; at most the user's `sub` and `username`.
 */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Where the library's log lines go: one function per level, each taking the message and
 * its structured fields. A level left out is not logged. `console` fits as it is; for pino
 * (fields first) pass `{ warn: (message, fields) => log.warn(fields, message), … }`.
 */
export type Logger = { readonly [L in LogLevel]?: (message: string, fields: LogFields) => void };

const PREFIX = "next-cognito-session: ";

/**
 * The logger used when the options name none: warnings and errors on the console, nothing
 * at all when `NODE_ENV` is `production` (an app that wants them there passes a logger).
 */
export function defaultLogger(env: Readonly<Record<string, string | undefined>>): Logger {
  if (env.NODE_ENV === "production") return {};
  return {
    warn: (message, fields) => console.warn(PREFIX + message, fields),
    error: (message, fields) => console.error(PREFIX + message, fields),
  };
}

/**
 * The library's side of a {@link Logger}: a level the logger lacks costs a branch, and a
 * logger that throws never breaks the request that was logging.
 */
export class Log {
  /** Logs nothing; for parts built outside an app (tests, benchmarks). */
  static readonly silent = new Log({});

  constructor(readonly logger: Logger) {}

  /** Whether lines of `level` go anywhere: check before building costly fields. */
  enabled(level: LogLevel): boolean {
    return this.logger[level] !== undefined;
  }

  debug(message: string, fields: LogFields = {}): void {
    this.write("debug", message, fields);
  }

  info(message: string, fields: LogFields = {}): void {
    this.write("info", message, fields);
  }

  warn(message: string, fields: LogFields = {}): void {
    this.write("warn", message, fields);
  }

  error(message: string, fields: LogFields = {}): void {
    this.write("error", message, fields);
  }

  write(level: LogLevel, message: string, fields: LogFields): void {
    const line = this.logger[level];
    if (line === undefined) return;
    try {
      line.call(this.logger, message, fields);
    } catch {
      // A logger's own failure is not the request's.
    }
  }
}
