import { type AwsCredentials, getCredentialsForIdentity, getId, IDENTITY_ID, type IdentityApiOptions, type Logins, providerName } from "../cognito/identity.ts";
import { type CognitoRejectedError, ConfigError, isCode, isOutage, NotSignedInError } from "../lib/errors.ts";
import { Lru } from "../lib/lru.ts";
import type { Sealer } from "../persistence/seal.ts";
import type { StoredTokens } from "../persistence/tokens.ts";
import { keyOf, type SessionStore } from "../store/store.ts";
import type { TokenVerifier } from "../verify/verifier.ts";
import { endsSession, type Refresher } from "./refresher.ts";

/** Whose credentials: a signed-in user of a user pool. */
export interface CredentialsOwner {
  /** The session's `issuer`: the `Logins` key is it without the scheme. */
  issuer: string;
  /** The user's `sub`. */
  sub: string;
}

/** What a cache miss needs: the session's tokens, and where refreshed ones go. */
export interface TokenSource {
  /** The request's verified tokens; throws NotSignedInError when the session is gone. */
  tokens(): Promise<StoredTokens>;
  /** Keep tokens that a refresh made on the way (cookies, store); best effort. */
  keep(tokens: StoredTokens): Promise<void>;
}

interface Entry {
  identityId: string | undefined;
  credentials: AwsCredentials | undefined;
  /** When the credentials stop being handed out (ms): {@link CREDENTIALS_MARGIN_MS} before they lapse. */
  until: number;
}

/** Credentials are replaced this long before they lapse, as the AWS SDKs do: a request signed now may take a while. */
export const CREDENTIALS_MARGIN_MS = 5 * 60_000;
/** An ID token this close to its `exp` is refreshed before it is sent: Cognito would refuse it on arrival. */
const ID_TOKEN_MARGIN_S = 30;
/** How often an instance waiting on another's GetCredentialsForIdentity looks at the store. */
const POLL_MS = 20;

/**
 * Temporary AWS credentials of identity-pool identities, through the enhanced flow (GetId,
 * then GetCredentialsForIdentity, with the ID token in `Logins`). Kept per user until
 * {@link CREDENTIALS_MARGIN_MS} before they lapse, in this process and, with a shared
 * store, sealed in the store for every instance; concurrent callers share one call, and
 * with a shared store instances take a lock so that one of them calls. The identity id is
 * kept the same way (for the session's lifetime): it never changes for a user and pool.
 */
export class AwsCredentialsService {
  readonly #entries = new Lru<string, Entry>(10_000, 16 * 1024 * 1024);
  readonly #flights = new Map<string, Promise<AwsCredentials>>();

  constructor(
    readonly api: IdentityApiOptions,
    /** The app client people sign in with, named in configuration errors. */
    readonly clientId: string,
    readonly store: SessionStore,
    readonly sealer: Sealer,
    readonly refresher: Refresher,
    readonly verifier: TokenVerifier,
    /** How long an identity id is kept in the store, seconds: the session lifetime. */
    readonly identityTtl: number,
    /** How long a lock on another instance's call is waited on at most. */
    readonly lockMs: number,
  ) {}

  /** The cached, unexpired credentials of `owner`, or undefined: no I/O, a map lookup. */
  cached(owner: CredentialsOwner): AwsCredentials | undefined {
    return this.#fresh(this.#entries.get(userKey(owner)));
  }

  /** The credentials of `owner`: cached, another instance's, or fetched once for every caller asking meanwhile. */
  forUser(owner: CredentialsOwner, source: TokenSource): Promise<AwsCredentials> {
    // Shared under the app client too: a pool may map each client of a user pool to its own role.
    const key = userKey(owner);
    const cached = this.#fresh(this.#entries.get(key));
    if (cached) return Promise.resolve(cached);
    return this.#once(key, () =>
      this.#obtain(key, `${this.api.identityPoolId}\n${providerName(owner.issuer)}\n${this.clientId}\n${owner.sub}`, { owner, source }),
    );
  }

  /**
   * Credentials of the app's guest (unauthenticated) identity, when the pool allows guests.
   * One identity for the app, shared by every visitor without a session.
   */
  forGuest(): Promise<AwsCredentials> {
    const cached = this.#fresh(this.#entries.get(GUEST));
    if (cached) return Promise.resolve(cached);
    return this.#once(GUEST, () => this.#obtain(GUEST, `${this.api.identityPoolId}\nguest`, undefined));
  }

  #fresh(entry: Entry | undefined): AwsCredentials | undefined {
    if (entry?.credentials === undefined || Date.now() >= entry.until) return undefined;
    const { credentials } = entry;
    // A copy each time: SDK clients annotate the object they are given.
    return { ...credentials, expiration: new Date(credentials.expiration.getTime()) };
  }

  #once(key: string, run: () => Promise<AwsCredentials>): Promise<AwsCredentials> {
    const flying = this.#flights.get(key);
    if (flying) return flying;
    const flight = run().finally(() => this.#flights.delete(key));
    this.#flights.set(key, flight);
    return flight;
  }

  async #obtain(key: string, name: string, user: { owner: CredentialsOwner; source: TokenSource } | undefined): Promise<AwsCredentials> {
    const hash = await keyOf(name);
    const entry: Entry = this.#entries.get(key) ?? { identityId: undefined, credentials: undefined, until: 0 };
    const shared = this.store.shared;
    if (shared) {
      const landed = await this.#landed(hash);
      if (landed) return this.#keep(key, entry, landed);
    }
    // With a shared store, one instance calls while the others wait for what it stores.
    const lock = `aws:lock:${hash}`;
    const locked = shared ? await this.#lock(lock, hash) : false;
    if (typeof locked === "object") return this.#keep(key, entry, locked);
    try {
      const credentials = user ? await this.#userCredentials(entry, hash, user.owner, user.source) : await this.#guestCredentials(entry, hash);
      if (shared) await this.#share(hash, credentials);
      return this.#keep(key, entry, credentials);
    } finally {
      if (locked === true) await this.store.delete(lock).catch(() => {});
    }
  }

  #keep(key: string, entry: Entry, credentials: AwsCredentials): AwsCredentials {
    const fresh = { identityId: credentials.identityId, credentials, until: credentials.expiration.getTime() - CREDENTIALS_MARGIN_MS };
    Object.assign(entry, fresh);
    this.#entries.set(key, entry, 2 * 1024 + credentials.sessionToken.length);
    return this.#fresh(entry) ?? { ...credentials };
  }

  /** Take the lock (true), find another instance's result while waiting (the credentials), or give up waiting (false). */
  async #lock(lock: string, hash: string): Promise<boolean | AwsCredentials> {
    const until = Date.now() + this.lockMs;
    try {
      for (;;) {
        if (await this.store.set(lock, "1", this.lockMs, "new")) {
          // The holder before may have stored its result and let go between the last look and now.
          const landed = await this.#landed(hash);
          if (!landed) return true;
          await this.store.delete(lock).catch(() => {});
          return landed;
        }
        if (Date.now() >= until) return false;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        const landed = await this.#landed(hash);
        if (landed) return landed;
      }
    } catch (error) {
      // The store is an optimisation here: without it, this instance calls on its own.
      if (isCode(error, "ERR_STORE_UNAVAILABLE")) return false;
      throw error;
    }
  }

  /** Credentials another instance stored, while they are still worth handing out. */
  async #landed(hash: string): Promise<AwsCredentials | undefined> {
    const sealed = await this.store.get(`aws:${hash}`).catch(() => undefined);
    if (sealed === undefined) return undefined;
    const value = await this.sealer.unseal<StoredCredentials>("credentials", sealed);
    const credentials = value && fromStored(value);
    return credentials && credentials.expiration.getTime() - CREDENTIALS_MARGIN_MS > Date.now() ? credentials : undefined;
  }

  async #share(hash: string, credentials: AwsCredentials): Promise<void> {
    const ttlMs = credentials.expiration.getTime() - CREDENTIALS_MARGIN_MS - Date.now();
    if (ttlMs <= 0) return;
    const sealed = await this.sealer.seal("credentials", toStored(credentials), Math.ceil((credentials.expiration.getTime() - Date.now()) / 1000));
    await this.store.set(`aws:${hash}`, sealed, ttlMs).catch(() => {});
  }

  /** The identity id: this process's, the store's, or GetId's (then kept in both). */
  async #identity(entry: Entry, hash: string, lookup: () => Promise<string>): Promise<string> {
    if (entry.identityId !== undefined) return entry.identityId;
    const key = `identity:${hash}`;
    if (this.store.shared) {
      const sealed = await this.store.get(key).catch(() => undefined);
      const stored = sealed === undefined ? undefined : await this.sealer.unseal<unknown>("identity-id", sealed);
      if (typeof stored === "string" && IDENTITY_ID.test(stored)) {
        entry.identityId = stored;
        return stored;
      }
    }
    const identityId = await lookup();
    entry.identityId = identityId;
    if (this.store.shared) {
      const sealed = await this.sealer.seal("identity-id", identityId, this.identityTtl);
      await this.store.set(key, sealed, this.identityTtl * 1000).catch(() => {});
    }
    return identityId;
  }

  /** Forget an identity Cognito no longer knows (deleted from the pool). */
  async #forget(entry: Entry, hash: string): Promise<void> {
    entry.identityId = undefined;
    if (this.store.shared) await this.store.delete(`identity:${hash}`).catch(() => {});
  }

  async #guestCredentials(entry: Entry, hash: string): Promise<AwsCredentials> {
    try {
      return await this.#withIdentity(entry, hash, (identityId) => (identityId ? getCredentialsForIdentity(this.api, identityId) : getId(this.api)));
    } catch (error) {
      if (rejected(error, "NotAuthorizedException")) {
        throw new ConfigError(
          "COGNITO_IDENTITY_POOL_ID",
          "the identity pool does not allow guest (unauthenticated) identities: enable them, or ask without { guest: true }",
        );
      }
      throw error;
    }
  }

  /**
   * GetId (when no identity id is known) and GetCredentialsForIdentity: `call(undefined)`
   * looks the identity up, `call(id)` fetches its credentials. An identity Cognito no longer
   * knows is forgotten and looked up again, once.
   */
  async #withIdentity(entry: Entry, hash: string, call: (identityId: string | undefined) => Promise<string | AwsCredentials>): Promise<AwsCredentials> {
    for (let attempt = 0; ; attempt++) {
      const identityId = await this.#identity(entry, hash, async () => (await call(undefined)) as string);
      try {
        return (await call(identityId)) as AwsCredentials;
      } catch (error) {
        if (attempt > 0 || !rejected(error, "ResourceNotFoundException")) throw error;
        await this.#forget(entry, hash);
      }
    }
  }

  async #userCredentials(entry: Entry, hash: string, owner: CredentialsOwner, source: TokenSource): Promise<AwsCredentials> {
    const provider = providerName(owner.issuer);
    let tokens = await source.tokens();
    let idToken = await this.#usableIdToken(tokens);
    if (idToken === undefined) {
      tokens = await this.#refresh(tokens, source);
      idToken = await this.#usableIdToken(tokens);
      if (idToken === undefined) throw new NotSignedInError("the session has no ID token to exchange for AWS credentials");
    }
    for (let attempt = 0; ; attempt++) {
      const logins: Logins = { [provider]: idToken };
      try {
        return await this.#withIdentity(entry, hash, (identityId) =>
          identityId ? getCredentialsForIdentity(this.api, identityId, logins) : getId(this.api, logins),
        );
      } catch (error) {
        if (!rejected(error, "NotAuthorizedException")) throw error;
        const detail = (error as CognitoRejectedError).detail ?? "";
        if (/supported provider|not trusted|trusted provider/i.test(detail)) {
          throw new ConfigError(
            "COGNITO_IDENTITY_POOL_ID",
            `the identity pool does not trust this user pool: add the Cognito user pool provider ${provider} with app client ${this.clientId} to it`,
          );
        }
        // A session this app holds valid, refused: refreshed and tried again, once.
        if (attempt > 0) throw error;
        tokens = await this.#refresh(tokens, source);
        const fresh = await this.#usableIdToken(tokens);
        if (fresh === undefined) throw error;
        idToken = fresh;
      }
    }
  }

  /** The session's ID token when it verifies and has more than {@link ID_TOKEN_MARGIN_S} left; undefined when it needs a refresh. */
  async #usableIdToken(tokens: StoredTokens): Promise<string | undefined> {
    if (tokens.idToken === undefined) return undefined;
    try {
      const claims = await this.verifier.verify(tokens.idToken, "id");
      return claims.exp - Date.now() / 1000 > ID_TOKEN_MARGIN_S ? tokens.idToken : undefined;
    } catch (error) {
      if (isOutage(error)) throw error;
      if (isCode(error, "ERR_TOKEN_EXPIRED")) return undefined;
      throw new NotSignedInError("the session's ID token does not verify");
    }
  }

  async #refresh(tokens: StoredTokens, source: TokenSource): Promise<StoredTokens> {
    if (tokens.refreshToken === undefined) throw new NotSignedInError("the session's ID token has lapsed and it has no refresh token");
    let fresh: StoredTokens;
    try {
      fresh = await this.refresher.refresh(tokens);
    } catch (error) {
      if (endsSession(error) || isCode(error, "ERR_SESSION_ENDED")) throw new NotSignedInError("the session has ended");
      throw error;
    }
    await source.keep(fresh).catch(() => {});
    return fresh;
  }
}

const GUEST = "\0guest";

/** The cache key of a user: ends with the `sub`, which indexes it (see `Lru`). */
const userKey = (owner: CredentialsOwner): string => `${owner.issuer} ${owner.sub}`;

function rejected(error: unknown, type: string): boolean {
  return isCode(error, "ERR_COGNITO_REJECTED") && (error as CognitoRejectedError).type === type;
}

/** Credentials as sealed in the store: short keys, expiry in seconds. */
interface StoredCredentials {
  i: string;
  k: string;
  s: string;
  t: string;
  x: number;
}

const toStored = (c: AwsCredentials): StoredCredentials => ({
  i: c.identityId,
  k: c.accessKeyId,
  s: c.secretAccessKey,
  t: c.sessionToken,
  x: c.expiration.getTime() / 1000,
});

function fromStored(value: StoredCredentials): AwsCredentials | undefined {
  const { i, k, s, t, x } = value;
  if (typeof i !== "string" || typeof k !== "string" || typeof s !== "string" || typeof t !== "string" || typeof x !== "number") return undefined;
  return { identityId: i, accessKeyId: k, secretAccessKey: s, sessionToken: t, expiration: new Date(x * 1000) };
}
