import { importJWK, type JWK } from "jose";
import { InvalidSignatureError, JwksUnavailableError } from "../errors.ts";

export interface JwksOptions {
  /** Fetch timeout in ms. */
  timeoutMs: number;
  /** Least time between two fetches triggered by unknown `kid`s. Default 30 s. */
  cooldownMs?: number;
  /** After this long the set is refreshed in the background while still served. Default 1 h. */
  maxAgeMs?: number;
  fetch?: typeof fetch;
}

const MAX_KID_LENGTH = 256;

/**
 * The keys of one user pool, fetched once and shared by every verification in this
 * process or isolate. Only the configured URL is ever fetched: nothing in a token
 * chooses where keys come from. A failed fetch keeps the keys already held, so a JWKS
 * outage does not sign anyone out; a successful one replaces the set, so a key the
 * pool removed stops being trusted.
 */
export class JwksCache {
  #keys: Map<string, CryptoKey> | undefined;
  #loading: Promise<void> | undefined;
  #lastAttempt = -Infinity;
  #loadedAt = -Infinity;
  readonly #cooldownMs: number;
  readonly #maxAgeMs: number;
  readonly #fetch: typeof fetch;
  /** Number of fetches made; tests and benchmarks read it. */
  fetches = 0;

  constructor(
    readonly uri: URL,
    readonly options: JwksOptions,
  ) {
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#maxAgeMs = options.maxAgeMs ?? 60 * 60_000;
    this.#fetch = options.fetch ?? ((...args) => fetch(...args));
  }

  /** The key for `kid`; throws {@link InvalidSignatureError} if the pool has no such key. */
  async getKey(kid: string): Promise<CryptoKey> {
    if (kid.length > MAX_KID_LENGTH) throw new InvalidSignatureError("unknown signing key");
    const now = Date.now();
    if (this.#keys === undefined) {
      await this.#load().catch((cause) => {
        throw new JwksUnavailableError("the user pool's JWKS could not be fetched", { cause });
      });
    } else if (!this.#keys.has(kid) && now - this.#lastAttempt >= this.#cooldownMs) {
      // A rotated-in key: refetch, at most once per cooldown however many kids miss.
      await this.#load().catch(() => undefined);
    } else if (now - this.#loadedAt >= this.#maxAgeMs && now - this.#lastAttempt >= this.#cooldownMs) {
      void this.#load().catch(() => undefined);
    }
    const key = this.#keys?.get(kid);
    if (key === undefined) throw new InvalidSignatureError("unknown signing key");
    return key;
  }

  #load(): Promise<void> {
    this.#loading ??= this.#fetchKeys().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #fetchKeys(): Promise<void> {
    this.#lastAttempt = Date.now();
    this.fetches++;
    const response = await this.#fetch(this.uri, {
      headers: { accept: "application/json" },
      redirect: "error",
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
    const body = (await response.json()) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error("JWKS has no keys array");
    const keys = new Map<string, CryptoKey>();
    for (const jwk of body.keys as JWK[]) {
      if (jwk === null || typeof jwk !== "object") continue;
      if (jwk.kty !== "RSA" || typeof jwk.kid !== "string") continue;
      if (jwk.use !== undefined && jwk.use !== "sig") continue;
      if (jwk.alg !== undefined && jwk.alg !== "RS256") continue;
      const { kty, n, e } = jwk;
      keys.set(jwk.kid, (await importJWK({ kty, n, e }, "RS256")) as CryptoKey);
    }
    this.#keys = keys;
    this.#loadedAt = Date.now();
  }
}
