import { InvalidClaimError, InvalidSignatureError, MalformedTokenError } from "../lib/errors.ts";
import { checkClaims, checkExpiry, lapsesAt, type ClaimsFor, type CommonClaims, type TokenUse } from "./claims.ts";
import type { JwksCache } from "./jwks.ts";
import { decodeHeader, decodeJwt } from "./jwt.ts";
import { Lru, own } from "../lib/lru.ts";
import { defaultRuntime, type Runtime } from "./runtime.ts";
import { activeTracer, INTERNAL, traced } from "../lib/tracing.ts";

export type { AccessTokenClaims, ClaimsFor, CommonClaims, IdTokenClaims, TokenUse } from "./claims.ts";

/** One user pool whose tokens are accepted. */
export interface PoolVerification {
  /** The exact expected `iss`, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123`. */
  issuer: string;
  /** App client ids accepted in `client_id` (access tokens) and `aud` (ID tokens). */
  clientIds: readonly string[];
  /** The pool's keys, from its configured JWKS URL. */
  jwks: JwksCache;
}

export interface VerifierOptions {
  /** The pools whose tokens are accepted; each token is checked against the pool its `iss` names. */
  pools: readonly PoolVerification[];
  /** Seconds of tolerance for `exp`, `nbf` and `iat`. */
  clockTolerance: number;
  /**
   * Verified tokens kept; default 10 000; 0 keeps none. Their memory is bounded too, to
   * `cacheSize` × {@link TOKEN_BYTES}: larger tokens, fewer of them.
   */
  cacheSize?: number;
  /** Base64url decoding; default the fastest the runtime has. */
  runtime?: Runtime;
}

/**
 * Bytes the verified-token cache allows per token it may hold: a Cognito token and its
 * claims weigh 2–4 KB (the token, and claims decoded from most of it).
 */
export const TOKEN_BYTES = 4096;

/** Most distinct headers remembered; a pool has one per signing key. */
const MAX_KNOWN_HEADERS = 64;

/** Header parameters that would let a token choose its own key; never honoured. */
const KEY_CARRYING_HEADERS = ["jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256"] as const;

interface Pool {
  clientIds: ReadonlySet<string>;
  jwks: JwksCache;
}

/**
 * Verifies Cognito access and ID tokens: RS256 only, the key chosen by `kid` from the
 * JWKS of the pool the token's `iss` names (exactly, among the configured pools), then
 * `token_use`, `client_id` / `aud` and the times. Verified claims are kept in an LRU keyed
 * by the whole token string, so a second read of the same token is a map lookup plus an
 * expiry check. Tokens that fail are never cached.
 */
export class TokenVerifier {
  readonly #cache: Lru<string, CommonClaims>;
  readonly #pools = new Map<string, Pool>();
  /**
   * `kid`s of headers that verified, by their encoded text. Cognito signs every token of a
   * key under the same header, so each is decoded and checked once. Only headers of
   * verified tokens get in, so no one can fill this with their own.
   */
  readonly #knownHeaders = new Map<string, string>();
  readonly #runtime: Runtime;

  constructor(readonly options: VerifierOptions) {
    const size = options.cacheSize ?? 10_000;
    this.#cache = new Lru(size, size * TOKEN_BYTES);
    this.#runtime = options.runtime ?? defaultRuntime();
    for (const { issuer, clientIds, jwks } of options.pools) {
      if (this.#pools.has(issuer)) throw new TypeError(`pool ${issuer} is listed twice`);
      this.#pools.set(issuer, { clientIds: new Set(clientIds), jwks });
    }
  }

  /** Tokens currently cached. */
  get cachedTokens(): number {
    return this.#cache.size;
  }

  /**
   * When claims this verifier gave stop being accepted (seconds since the epoch): `exp`
   * plus the clock tolerance. For verified claims kept elsewhere, checked at every use.
   */
  lapsesAt(claims: Pick<CommonClaims, "exp">): number {
    return lapsesAt(claims, this.options.clockTolerance);
  }

  /**
   * Verify `token` for the `use` slot. Throws a subclass of `InvalidTokenError`
   * (`TokenExpiredError`, `InvalidSignatureError`, `InvalidClaimError`, `MalformedTokenError`)
   * or, when the pool's keys cannot be fetched, `JwksUnavailableError`.
   */
  async verify<U extends TokenUse>(token: string, use: U): Promise<ClaimsFor<U>> {
    if (typeof token !== "string") throw new MalformedTokenError("not a compact JWS");
    const cached = this.#cache.get(token);
    if (cached !== undefined) {
      if (cached.token_use !== use) throw new InvalidClaimError("token_use", `expected a ${use} token`);
      try {
        checkExpiry(cached, Date.now() / 1000, this.options.clockTolerance);
      } catch (error) {
        this.#cache.delete(token);
        throw error;
      }
      return cached as ClaimsFor<U>;
    }
    // A span for the verifications that do work; a cache hit is a lookup, not worth one.
    const tracer = activeTracer();
    if (tracer === undefined) return this.#verify(token, use);
    return traced(tracer, "ncs.verify", { "ncs.token.use": use }, INTERNAL, () => this.#verify(token, use));
  }

  /** Verify a token the cache does not hold, and cache its claims. */
  async #verify<U extends TokenUse>(token: string, use: U): Promise<ClaimsFor<U>> {
    const { header, payload, signingInput, signature } = decodeJwt(token, this.#runtime);
    const knownKid = this.#knownHeaders.get(header);
    const kid = knownKid ?? keyId(decodeHeader(header, this.#runtime));
    // The issuer only selects among configured pools; keys never come from a URL in the token.
    const pool = typeof payload.iss === "string" ? this.#pools.get(payload.iss) : undefined;
    if (pool === undefined) throw new InvalidClaimError("iss", "the token was issued by another user pool");
    // Awaited only when the key had to be fetched: a held key answers without a microtask.
    let verified = pool.jwks.verify(kid, signingInput, signature);
    if (typeof verified !== "boolean") verified = await verified;
    if (!verified) throw new InvalidSignatureError("signature verification failed");
    if (knownKid === undefined) {
      if (this.#knownHeaders.size >= MAX_KNOWN_HEADERS) this.#knownHeaders.clear();
      // A copy: the header is a slice of the token, which may be a slice of a whole Cookie header.
      this.#knownHeaders.set(own(header), kid);
    }
    // The clock is read after the signature check: a JWKS fetch may have taken a while.
    const claims = checkClaims(payload, use, pool.clientIds, Date.now() / 1000, this.options.clockTolerance);
    this.#cache.set(token, claims, token.length);
    return claims;
  }
}

/** The `kid` of an RS256 header that names no key source of its own and no extension. */
function keyId(header: Readonly<Record<string, unknown>>): string {
  if (header.alg !== "RS256") throw new InvalidSignatureError("only RS256 is accepted");
  for (const name of KEY_CARRYING_HEADERS) {
    if (name in header) throw new InvalidSignatureError("the token header names its own key");
  }
  // No extension is understood, so any critical one is refused (RFC 7515 §4.1.11).
  if ("crit" in header) throw new InvalidSignatureError("the token header has critical extensions");
  const kid = header.kid;
  if (typeof kid !== "string" || kid === "") throw new InvalidSignatureError("the token header has no kid");
  return kid;
}
