import type { OAuthClient } from "../cognito/oauth.ts";
import type { StoredTokens } from "../cookies/session-cookies.ts";
import { ConfigError } from "../errors.ts";
import type { TokenVerifier } from "../verify/verifier.ts";

/**
 * Redeems refresh tokens. Concurrent requests carrying the same refresh token share one
 * call to Cognito (single-flight), and the result is kept for a short grace window so a
 * request that arrives just after still reuses it instead of spending the token again.
 */
export class Refresher {
  readonly #inflight = new Map<string, Promise<StoredTokens>>();
  /** Calls made to Cognito; tests and benchmarks read it. */
  calls = 0;

  constructor(
    readonly oauth: OAuthClient | undefined,
    readonly verifier: TokenVerifier,
    readonly graceMs = 10_000,
  ) {}

  /** New tokens for `current`; throws CognitoRejectedError / CognitoUnavailableError / InvalidTokenError. */
  refresh(current: StoredTokens): Promise<StoredTokens> {
    const refreshToken = current.refreshToken;
    if (refreshToken === undefined) throw new TypeError("no refresh token");
    let pending = this.#inflight.get(refreshToken);
    if (!pending) {
      pending = this.#redeem(current, refreshToken);
      this.#inflight.set(refreshToken, pending);
      const forget = () => this.#inflight.delete(refreshToken);
      // Failures are forgotten at once so the next request retries; successes after the grace window.
      pending.then(() => {
        const timer = setTimeout(forget, this.graceMs);
        (timer as { unref?: () => void }).unref?.();
      }, forget);
    }
    return pending;
  }

  async #redeem(current: StoredTokens, refreshToken: string): Promise<StoredTokens> {
    if (!this.oauth) throw new ConfigError("COGNITO_DOMAIN", "is required to refresh sessions");
    this.calls++;
    const issued = await this.oauth.refresh(refreshToken);
    // Verify before storing: a refresh must never turn an unverified token into a session.
    await this.verifier.verify(issued.accessToken, "access");
    if (issued.idToken !== undefined) await this.verifier.verify(issued.idToken, "id");
    return {
      accessToken: issued.accessToken,
      idToken: issued.idToken ?? current.idToken,
      refreshToken: issued.refreshToken ?? refreshToken,
      endsAt: current.endsAt,
    };
  }
}
