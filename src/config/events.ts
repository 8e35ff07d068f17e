import { errorType } from "../lib/tracing.ts";
import { Log, type LogLevel } from "./logger.ts";

/** How much a sign-out ends; each level includes the ones before it. */
export type SignOutLevel = "local" | "revoke" | "global";

/**
 * A step of a sign-out that did not go through; the cookies are cleared regardless.
 * `store`: the session store could not be reached to delete a server-side session or to
 * tell the other instances of the sign-out (this instance refuses the tokens regardless).
 */
export type SignOutStep = "revoke" | "global" | "store";

/** A session began: the tokens Cognito issued verified and were written to the response. */
export interface SignInEvent {
  /** `"hosted-ui"`: the callback of a hosted-UI sign-in; `"password"`: a password sign-in (a challenge answered included). */
  method: "hosted-ui" | "password";
  sub: string;
  /** Cognito's username (`username` of the access token), when it carries one. */
  username: string | undefined;
}

/** A `POST <basePath>/sign-out` cleared the session cookies. */
export interface SignOutEvent {
  /** The level asked for (or configured). */
  level: SignOutLevel;
  /** The steps of that level that failed (empty when it all went through), as in `x-sign-out-incomplete`. */
  incomplete: readonly SignOutStep[];
  /** The user whose session it was, when its access token verified (an expired one counts); undefined for a `"local"` sign-out, which calls nothing. */
  sub: string | undefined;
}

/** Cognito redeemed a refresh token and what it sent back verified. Once per call to Cognito, however many requests shared it. */
export interface RefreshEvent {
  sub: string;
  /** From the start of the refresh to the new tokens verified, in milliseconds. */
  durationMs: number;
}

/**
 * Why a refresh failed:
 * - `refused`: Cognito refused the refresh token (expired, revoked, reused, user gone): the session ends;
 * - `rejected`: Cognito refused the request for another reason (throttling, the app client's settings): cookies kept;
 * - `unavailable`: Cognito, the user pool's keys or the session store did not answer in time: cookies kept;
 * - `invalid`: what Cognito sent back did not verify: cookies kept, nothing unverified stored.
 */
export type RefreshFailure = "refused" | "rejected" | "unavailable" | "invalid";

/** A refresh was tried and failed. Once per attempt, however many requests shared it. */
export interface RefreshFailedEvent {
  failure: RefreshFailure;
  /** The library's error code, e.g. `ERR_COGNITO_REJECTED`. */
  code: string;
  /** Cognito's error type when it refused (`invalid_grant`, `NotAuthorizedException`, `TooManyRequestsException`). */
  cognitoError: string | undefined;
  durationMs: number;
}

/**
 * Why a session ended without a sign-out on this request:
 * - `refresh-refused`: Cognito refused its refresh token;
 * - `signed-out`: it was signed out on another instance or everywhere (store or denylist);
 * - `too-large`: refreshed tokens too large for cookies (see `sessions: "server"`);
 * - `invalid`: cookies that are no session: tampered, foreign, malformed, past the session's
 *   end, or holding a token that was refused (see `tokenRejected`).
 */
export type SessionEndReason = "refresh-refused" | "signed-out" | "too-large" | "invalid";

/** A request's session cookies were cleared. */
export interface SessionEndedEvent {
  reason: SessionEndReason;
}

/**
 * A token was refused: a session cookie's, or an `Authorization: Bearer` one. Expiry of a
 * cookie's access token is not a refusal (the session is refreshed); of a Bearer token it is.
 */
export interface TokenRejectedEvent {
  /**
   * The error code: `ERR_TOKEN_SIGNATURE`, `ERR_TOKEN_CLAIM`, `ERR_TOKEN_MALFORMED`,
   * `ERR_TOKEN_EXPIRED`, …; `ERR_SESSION_ENDED` when it verified but its session was signed out.
   */
  code: string;
  /** Which token: the access token or the ID token. */
  slot: "access" | "id";
  /** Where it came from. */
  source: "cookie" | "bearer";
}

/** Each event's payload, by name. */
export interface SessionEventMap {
  signIn: SignInEvent;
  signOut: SignOutEvent;
  refresh: RefreshEvent;
  refreshFailed: RefreshFailedEvent;
  sessionEnded: SessionEndedEvent;
  tokenRejected: TokenRejectedEvent;
}

export type SessionEventName = keyof SessionEventMap;

/**
 * Handlers of the session's events (`events` option). A handler may be async; it is
 * called as the event happens and never awaited, so a slow handler does not hold the
 * response, and one that throws or rejects is logged (level `error`) and never breaks the
 * request. Payloads carry codes, levels, durations and the user's `sub`, never a token, a
 * cookie value or a secret.
 */
export type SessionEvents = { readonly [K in SessionEventName]?: (event: SessionEventMap[K]) => void | Promise<void> };

export const EVENT_NAMES: readonly SessionEventName[] = ["signIn", "signOut", "refresh", "refreshFailed", "sessionEnded", "tokenRejected"];

/** The log line each event is also written as, and its level. */
const LOGGED: { readonly [K in SessionEventName]: readonly [LogLevel, string] } = {
  signIn: ["info", "signed in"],
  signOut: ["info", "signed out"],
  refresh: ["debug", "session refreshed"],
  refreshFailed: ["warn", "a session refresh failed"],
  sessionEnded: ["info", "a session ended"],
  tokenRejected: ["debug", "a token was refused"],
};

/**
 * Where the library reports what happened to sessions: the app's handler of each event,
 * and a log line of that event's level. Every event is reported from this one place.
 */
export class EventSink {
  /** Reports nothing; for parts built outside an app (tests, benchmarks). */
  static readonly none = new EventSink({}, Log.silent);

  constructor(
    readonly handlers: SessionEvents,
    readonly log: Log,
  ) {}

  /**
   * Whether `name` goes anywhere (a handler, or a logger at its level): where building the
   * payload would cost something on a busy path, ask first.
   */
  wants(name: SessionEventName): boolean {
    return this.handlers[name] !== undefined || this.log.enabled(LOGGED[name][0]);
  }

  /** Report `event`: logged, then handed to its handler, which is not awaited. */
  emit<K extends SessionEventName>(name: K, event: SessionEventMap[K]): void {
    let [level, message] = LOGGED[name];
    if (name === "signOut" && (event as SignOutEvent).incomplete.length > 0) {
      // A refresh token may still be live, or other instances not told: worth a warning.
      [level, message] = ["warn", "signed out, but not every step went through"];
    }
    if (this.log.enabled(level)) this.log.write(level, message, { event: name, ...event });
    const handler = this.handlers[name];
    if (handler === undefined) return;
    try {
      const result = (handler as (event: SessionEventMap[K]) => unknown)(event);
      // Not awaited: a slow handler must not hold the response. Its rejection is caught here, so none goes unhandled.
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.#failed(name, error));
    } catch (error) {
      this.#failed(name, error);
    }
  }

  #failed(name: SessionEventName, error: unknown): void {
    this.log.error(`the events.${name} handler failed`, { event: name, error: errorType(error) });
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
