import { isAllowedScheme } from "../lib/url.ts";
import { ConfigError, InvalidSignatureError, JwksUnavailableError } from "../lib/errors.ts";
import { defaultRuntime, type RsaPublicKey, type Runtime } from "./runtime.ts";
import { Log } from "../config/logger.ts";
import { activeTracer, CLIENT, errorType, traced } from "../lib/tracing.ts";

export interface JwksOptions {
  /** Fetch timeout in ms. Default 5000. */
  timeoutMs?: number;
  /** Least time between two refetches triggered by unknown `kid`s. Default 30 s. */
  cooldownMs?: number;
  /** Least time between two fetches while no keys are held (the endpoint is down). Default 1 s. */
  retryMs?: number;
  /** After this long the set is refreshed in the background while still served. Default 1 h. */
  maxAgeMs?: number;
  /** Key import and RS256 check; default the fastest the runtime has. */
  runtime?: Runtime;
  fetch?: typeof fetch;
  /** Where a failed fetch is logged (a warning). Default: nowhere. */
  log?: Log;
}

/** Longest `kid` looked up; a longer one is refused without a fetch. Cognito's are 44 characters. */
const MAX_KID_LENGTH = 256;

/**
 * What the caches of one JWKS URL share within a process or isolate: plain data and
 * built-ins only (a Map, a Promise, the runtime's key objects), never an object of this
 * library's classes, so any copy of the library can read what another stored and throws
 * its own errors about it.
 */
export interface JwksState {
  keys: Map<string, RsaPublicKey> | undefined;
  /** The fetch under way; it rejects with a plain Error, which every reader discards. */
  loading: Promise<void> | undefined;
  lastAttempt: number;
  lastMissRefetch: number;
  loadedAt: number;
  lastFailed: boolean;
  fetches: number;
}

const newState = (): JwksState => ({
  keys: undefined,
  loading: undefined,
  lastAttempt: -Infinity,
  lastMissRefetch: -Infinity,
  loadedAt: -Infinity,
  lastFailed: false,
  fetches: 0,
});

/**
 * The keys of one user pool, fetched once and shared by every verification in this
 * process or isolate. Only the configured URL is ever fetched: nothing in a token
 * chooses where keys come from. A failed fetch keeps the keys already held, so a JWKS
 * outage does not sign anyone out; a successful one replaces the set, so a key the
 * pool removed stops being trusted.
 */
export class JwksCache {
  readonly uri: URL;
  readonly runtime: Runtime;
  /** Fetch timeout in ms. */
  readonly timeoutMs: number;
  readonly #state: JwksState;
  readonly #cooldownMs: number;
  readonly #retryMs: number;
  readonly #maxAgeMs: number;
  readonly #fetch: typeof fetch;
  readonly #log: Log;

  /**
   * Throws {@link ConfigError} unless `uri` is https, or http on a loopback host. `state`
   * is the key set to use, shared with other caches of the same URL (see {@link sharedJwks});
   * by default one of its own.
   */
  constructor(uri: URL | string, options: JwksOptions = {}, state: JwksState = newState()) {
    this.uri = new URL(uri);
    if (!isAllowedScheme(this.uri)) {
      throw new ConfigError("COGNITO_JWKS_URI", "must use https (plain http is allowed for loopback hosts only)");
    }
    this.runtime = options.runtime ?? defaultRuntime();
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#retryMs = options.retryMs ?? 1000;
    this.#maxAgeMs = options.maxAgeMs ?? 60 * 60_000;
    this.#fetch = options.fetch ?? ((...args) => fetch(...args));
    this.#log = options.log ?? Log.silent;
    this.#state = state;
  }

  /** Number of fetches made (by every cache sharing this one's keys); tests and benchmarks read it. */
  get fetches(): number {
    return this.#state.fetches;
  }

  /**
   * Whether `signature` over `signingInput` verifies with this pool's key `kid`. Throws
   * {@link InvalidSignatureError} when the pool has no such key, and
   * {@link JwksUnavailableError} when that cannot be known because the JWKS is unreachable.
   */
  verify(kid: string, signingInput: string, signature: string): boolean | Promise<boolean> {
    const state = this.#state;
    const key = state.keys?.get(kid);
    // Synchronous when the key is held (almost always): no promise on the hot path.
    if (key === undefined) return this.#keyAfterFetch(kid).then((k) => this.runtime.verifyRs256(k, signingInput, signature));
    if (Date.now() - state.loadedAt >= this.#maxAgeMs) this.#refreshInBackground();
    return this.runtime.verifyRs256(key, signingInput, signature);
  }

  async #keyAfterFetch(kid: string): Promise<RsaPublicKey> {
    if (kid.length > MAX_KID_LENGTH) throw new InvalidSignatureError("unknown signing key");
    const state = this.#state;
    if (state.loading !== undefined) {
      await state.loading.catch(() => undefined);
    } else if (state.keys === undefined) {
      // Nothing held yet: the first fetch, or a retry while the endpoint is down.
      if (Date.now() - state.lastAttempt >= this.#retryMs) await this.#load().catch(() => undefined);
    } else if (Date.now() - state.lastMissRefetch >= this.#cooldownMs) {
      // Maybe a rotated-in key: refetch, at most once per cooldown however many kids miss.
      state.lastMissRefetch = Date.now();
      await this.#load().catch(() => undefined);
    }
    const key = state.keys?.get(kid);
    if (key !== undefined) return key;
    if (state.keys === undefined || state.lastFailed) {
      throw new JwksUnavailableError(`the user pool's JWKS could not be fetched from ${this.uri.href}`);
    }
    throw new InvalidSignatureError("unknown signing key");
  }

  #refreshInBackground(): void {
    if (this.#state.loading === undefined && Date.now() - this.#state.lastAttempt >= this.#cooldownMs) {
      this.#load().catch(() => undefined);
    }
  }

  /** One fetch at a time: concurrent callers share it. */
  #load(): Promise<void> {
    const state = this.#state;
    state.loading ??= this.#traceFetch().then(
      () => {
        state.lastFailed = false;
        state.loading = undefined;
      },
      (error: unknown) => {
        state.lastFailed = true;
        state.loading = undefined;
        // The URL is configuration and public; what failed is named by class, not by message.
        this.#log.warn("the user pool's JWKS could not be fetched; keys already held are still used", { url: this.uri.href, error: errorType(error) });
        throw error;
      },
    );
    return state.loading;
  }

  #traceFetch(): Promise<void> {
    const tracer = activeTracer();
    if (tracer === undefined) return this.#fetchKeys();
    return traced(tracer, "ncs.jwks.fetch", { "url.full": this.uri.href }, CLIENT, () => this.#fetchKeys());
  }

  async #fetchKeys(): Promise<void> {
    const state = this.#state;
    state.lastAttempt = Date.now();
    state.fetches++;
    const response = await this.#fetch(this.uri, {
      headers: { accept: "application/json" },
      // A redirect could lead anywhere; the configured URL is the only source of keys.
      redirect: "error",
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`JWKS answered ${response.status}`);
    const body = (await response.json()) as { keys?: unknown } | null;
    if (!Array.isArray(body?.keys)) throw new Error("JWKS has no keys array");
    const keys = new Map<string, RsaPublicKey>();
    for (const jwk of body.keys as unknown[]) {
      if (jwk === null || typeof jwk !== "object") continue;
      const { kty, kid, use, alg, n, e } = jwk as Record<string, unknown>;
      if (kty !== "RSA" || typeof kid !== "string" || typeof n !== "string" || typeof e !== "string") continue;
      if ((use !== undefined && use !== "sig") || (alg !== undefined && alg !== "RS256")) continue;
      // A key the runtime will not import (malformed, under 2048 bits) is left out, not fatal.
      const key = await this.runtime.importRsaKey(n, e).catch(() => undefined);
      if (key !== undefined) keys.set(kid, key);
    }
    if (keys.size === 0) throw new Error("JWKS has no usable RS256 key");
    state.keys = keys;
    state.loadedAt = Date.now();
  }
}

/**
 * The process-wide key sets, by runtime and JWKS URL, shared by every copy of this library
 * loaded here. Versioned: a copy that stores another shape uses another name.
 */
const REGISTRY = Symbol.for("next-cognito-session.jwks-state.1");

/**
 * A cache for `uri` whose keys are shared by every cache of that URL in the process (or
 * isolate), whichever copy of the library made it. Next loads the middleware and each
 * route from separate bundles; sharing the key set by URL through `globalThis` keeps that
 * to one JWKS fetch per process. Keys are public, so sharing them is safe; only plain data
 * is shared, so what one copy throws is always that copy's own error.
 */
export function sharedJwks(uri: URL, options: JwksOptions): JwksCache {
  const holder = globalThis as { [REGISTRY]?: Map<string, JwksState> };
  holder[REGISTRY] ??= new Map();
  const registry = holder[REGISTRY];
  const runtime = options.runtime ?? defaultRuntime();
  // Keys imported by one runtime are usable by that runtime only.
  const name = `${runtime.name} ${uri.href}`;
  let state = registry.get(name);
  if (state === undefined) {
    state = newState();
    registry.set(name, state);
  }
  return new JwksCache(uri, { ...options, runtime }, state);
}
