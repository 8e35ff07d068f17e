import type { StoredTokens } from "../persistence/tokens.ts";
import { type CognitoRejectedError, isCode, isOutage } from "../lib/errors.ts";
import type { AccessTokenClaims, TokenVerifier } from "../verify/verifier.ts";
import { refreshDue } from "./refresh-due.ts";
import type { SharedRefresh } from "./shared-refresh.ts";
import type { RefreshSource } from "../cognito/refresh.ts";
import { EventSink, type RefreshFailure } from "../config/events.ts";
import { activeTracer, INTERNAL, traced } from "../lib/tracing.ts";

/**
 * Cognito's answers that mean the refresh token is dead (expired, revoked, reused after
 * rotation, or its user deleted): the session ends. Any other failure keeps the cookies.
 */
const SESSION_ENDING = new Set(["invalid_grant", "NotAuthorizedException", "RefreshTokenReuseException", "UserNotFoundException"]);

/** Whether `error`, thrown by {@link Refresher.refresh}, means the session is over. */
export function endsSession(error: unknown): boolean {
  return isCode(error, "ERR_COGNITO_REJECTED") && SESSION_ENDING.has((error as CognitoRejectedError).type);
}

/** The class of a refresh failure, as `refreshFailed` reports it. */
export function refreshFailure(error: unknown): RefreshFailure {
  if (endsSession(error)) return "refused";
  if (isCode(error, "ERR_COGNITO_REJECTED")) return "rejected";
  if (isOutage(error)) return "unavailable";
  return "invalid";
}

interface Flight {
  promise: Promise<StoredTokens>;
  /** The new access token's claims, once the flight has landed. */
  access?: AccessTokenClaims;
}

/**
 * Redeems refresh tokens. Concurrent requests carrying the same refresh token share one
 * call to Cognito (single-flight). A success is kept for a short grace window so a
 * request that set off with the old cookies just before still reuses it instead of
 * spending the token again (which a rotating client would refuse); a failure is kept
 * for a second, so an outage costs one timeout per session, not one per request.
 */
export class Refresher {
  readonly #flights = new Map<string, Flight>();
  /** Calls made to Cognito; tests and benchmarks read it. */
  calls = 0;
  /** Set when a shared store is configured: one refresh per refresh token across instances. */
  shared: SharedRefresh | undefined;
  /** Where each refresh this refresher makes, and each failure, is reported. */
  events: EventSink = EventSink.none;

  constructor(
    readonly source: RefreshSource,
    readonly verifier: TokenVerifier,
    /** Seconds before expiry at which a token is refreshed (see {@link refreshDue}). */
    readonly margin: number,
    /** How long a success is reused for requests still carrying the old refresh token. */
    readonly graceMs = 10_000,
    /**
     * How long a failure is answered without asking Cognito again: long enough that a burst
     * of requests costs one timeout, short enough that the person's next request tries
     * again. (A route handler behind the middleware runs in another bundle, with another
     * refresher: the middleware's hand-off header keeps it from trying again.)
     */
    readonly retryMs = 1_000,
  ) {}

  /**
   * Whether `tokens` (another instance's refresh, shared through the store) verify and are
   * not yet due for a refresh themselves, and so are worth taking instead of refreshing.
   */
  async fresh(tokens: StoredTokens): Promise<boolean> {
    const access = await this.verifier.verify(tokens.accessToken, "access").catch(() => undefined);
    return access !== undefined && !refreshDue(access, this.margin);
  }

  /**
   * New tokens for `current`. Throws CognitoRejectedError (see {@link endsSession}),
   * CognitoUnavailableError, JwksUnavailableError, or InvalidTokenError when what came
   * back does not verify; nothing unverified is ever returned.
   */
  refresh(current: StoredTokens): Promise<StoredTokens> {
    const refreshToken = current.refreshToken;
    if (refreshToken === undefined) return Promise.reject(new TypeError("no refresh token"));
    const known = this.#flights.get(refreshToken);
    // A landed result is reused only while it is itself fresh: non-rotating clients keep
    // one refresh token for the whole session, so the same key comes back at every refresh.
    if (known && !(known.access && refreshDue(known.access, this.margin))) return known.promise;

    const flight = {} as Flight;
    flight.promise = this.#redeem(current, refreshToken, flight);
    flight.promise.then(
      () => this.#forget(refreshToken, flight, this.graceMs),
      () => this.#forget(refreshToken, flight, this.retryMs),
    );
    this.#flights.set(refreshToken, flight);
    return flight.promise;
  }

  #forget(refreshToken: string, flight: Flight, afterMs: number): void {
    const timer = setTimeout(() => {
      if (this.#flights.get(refreshToken) === flight) this.#flights.delete(refreshToken);
    }, afterMs);
    (timer as { unref?: () => void }).unref?.();
  }

  /** One flight: reported once, whatever number of requests share it. */
  async #redeem(current: StoredTokens, refreshToken: string, flight: Flight): Promise<StoredTokens> {
    const started = performance.now();
    try {
      const tracer = activeTracer();
      const tokens = await (tracer === undefined
        ? this.#land(current, refreshToken, flight)
        : traced(tracer, "ncs.refresh", { "ncs.refresh.shared": this.shared !== undefined }, INTERNAL, () => this.#land(current, refreshToken, flight)));
      this.events.emit("refresh", { sub: flight.access!.sub, durationMs: performance.now() - started });
      return tokens;
    } catch (error) {
      const type = isCode(error, "ERR_COGNITO_REJECTED") ? (error as CognitoRejectedError).type : undefined;
      this.events.emit("refreshFailed", {
        failure: refreshFailure(error),
        code: typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : "ERR_COGNITO_SESSION",
        cognitoError: type,
        durationMs: performance.now() - started,
      });
      throw error;
    }
  }

  async #land(current: StoredTokens, refreshToken: string, flight: Flight): Promise<StoredTokens> {
    const call = () => this.#call(current, refreshToken);
    const tokens = this.shared ? await this.shared.refresh(refreshToken, call) : await call();
    flight.access = await this.verifier.verify(tokens.accessToken, "access");
    return tokens;
  }

  async #call(current: StoredTokens, refreshToken: string): Promise<StoredTokens> {
    this.calls++;
    const issued = await this.source.redeem(refreshToken, current.accessToken);
    // Verify before storing: a refresh must never turn an unverified token into a session.
    await this.verifier.verify(issued.accessToken, "access");
    if (issued.idToken !== undefined) await this.verifier.verify(issued.idToken, "id");
    return {
      accessToken: issued.accessToken,
      idToken: issued.idToken ?? current.idToken,
      // A rotating client sends a new refresh token; otherwise the old one stays valid.
      refreshToken: issued.refreshToken ?? refreshToken,
      // Cognito gives a rotated refresh token the rest of the original one's lifetime.
      endsAt: current.endsAt,
    };
  }
}
