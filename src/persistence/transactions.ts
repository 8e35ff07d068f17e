import * as oauth from "oauth4webapi";
import type { CookieJar } from "./jar.ts";
import type { CookieNames } from "./cookie-names.ts";
import type { SealPurpose, Sealer } from "./seal.ts";
import { type CookieChanges, emptyChanges } from "./changes.ts";
import { Lru } from "../lib/lru.ts";

/** A hosted-UI sign-in in progress, sealed into a short-lived cookie named after its state. */
export interface Transaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A path already checked by `safeReturnTo`. */
  returnTo: string;
}

/**
 * A sign-in waiting for the user to answer a Cognito challenge, or (`CONFIRM_SIGN_UP`) a
 * sign-up whose confirmation may sign the user in with Cognito's sign-up session.
 */
export interface PendingChallenge {
  /** Cognito's challenge name, e.g. `NEW_PASSWORD_REQUIRED`, `SMS_MFA`; or `CONFIRM_SIGN_UP`. */
  name: string;
  /** The username Cognito expects in the answer (`USER_ID_FOR_SRP`). */
  username: string;
  /** Cognito's opaque challenge session; it never leaves the sealed cookie. */
  session: string;
  returnTo: string;
  requiredAttributes: string[];
  /** `SELECT_MFA_TYPE`: the methods Cognito offered, the only answers sent back. */
  options?: string[];
  /** Where Cognito sent a code, as Cognito masked it (`+*******1234`), for the page to show again. */
  destination?: string;
}

/** Cognito's longest challenge session (`AuthSessionValidity`); Cognito refuses lapsed ones itself. */
const CHALLENGE_TTL = 900;

/** How long a hosted-UI sign-in may take before its transaction cookie lapses. */
export const TRANSACTION_TTL = 600;
/** Sign-ins one browser may have in flight (tabs); older ones are dropped beyond this. */
export const MAX_PENDING = 4;
/**
 * Transaction cookies looked at in one request. A browser holds only those our responses
 * set: {@link MAX_PENDING}, plus one for each sign-in started before the answer to the one
 * before it arrived, and each lapses after {@link TRANSACTION_TTL}. More names than this
 * were sent by something other than a browser we answered, so deleting them would only
 * turn a long request into a long response: beyond this many, the oldest are ignored.
 */
export const MAX_TRANSACTION_COOKIES = 2 * MAX_PENDING;
/** The first 16 characters of the state name a transaction cookie: enough to keep parallel sign-ins apart. */
const TRANSACTION_SUFFIX = /^[\w-]{16}$/;

/**
 * Cookies of sign-ins in progress. Each hosted-UI sign-in has its own transaction
 * cookie, named after its state, so sign-ins started in parallel tabs do not overwrite
 * each other. A transaction is single-use: taking it deletes its cookie, and this
 * instance remembers the state so a replayed cookie is refused without calling Cognito.
 * A password sign-in waiting on a challenge keeps Cognito's session in one more cookie.
 */
export class Transactions {
  readonly #spent = new Lru<string, true>(10_000, 2 * 1024 * 1024);

  constructor(
    readonly names: CookieNames,
    readonly sealer: Sealer,
  ) {}

  /** The cookie holding the transaction for `state`. */
  cookieName(state: string): string {
    return `${this.names.transaction}.${state.replace(/[^\w-]/g, "").slice(0, 16)}`;
  }

  /** Start a transaction; the changes set its cookie and drop the oldest beyond {@link MAX_PENDING}. */
  async begin(jar: CookieJar, returnTo: string): Promise<{ transaction: Transaction; changes: CookieChanges }> {
    const transaction: Transaction = {
      state: oauth.generateRandomState(),
      nonce: oauth.generateRandomNonce(),
      codeVerifier: oauth.generateRandomCodeVerifier(),
      returnTo,
    };
    const changes = emptyChanges();
    const names = this.#names(jar);
    // Browsers send cookies of the same path oldest first (RFC 6265 §5.4), so the newest
    // are last: those are kept, if they open, and the rest are deleted without opening them.
    const firstKept = Math.max(0, names.length - (MAX_PENDING - 1));
    for (const [i, name] of names.entries()) {
      // Unreadable or lapsed transactions are only clutter in every request's Cookie header.
      if (i < firstKept || !(await this.#open(jar, name, "transaction"))) changes.remove.push({ name, attributes: this.names.attributes(0) });
    }
    changes.set.push({
      name: this.cookieName(transaction.state),
      value: await this.sealer.seal("transaction", transaction, TRANSACTION_TTL),
      attributes: this.names.attributes(TRANSACTION_TTL),
    });
    return { transaction, changes };
  }

  /**
   * The transaction for `state`, once. Undefined when its cookie is missing, tampered,
   * lapsed, made for another state, or already taken here. The changes delete the cookie.
   */
  async take(jar: CookieJar, state: string): Promise<{ transaction: Transaction | undefined; changes: CookieChanges }> {
    const name = this.cookieName(state);
    const changes = emptyChanges();
    if (!jar.has(name)) return { transaction: undefined, changes };
    changes.remove.push({ name, attributes: this.names.attributes(0) });
    const tx = await this.#open<Transaction>(jar, name, "transaction");
    if (!tx || tx.state !== state || this.#spent.get(state)) return { transaction: undefined, changes };
    this.#spent.set(state, true);
    return { transaction: tx, changes };
  }

  /** The cookie holding a password sign-in's pending challenge. */
  get challengeCookie(): string {
    return `${this.names.transaction}.pw`;
  }

  /** Changes that keep `challenge` until the user answers it. */
  async holdChallenge(challenge: PendingChallenge): Promise<CookieChanges> {
    const changes = emptyChanges();
    changes.set.push({
      name: this.challengeCookie,
      value: await this.sealer.seal("challenge", challenge, CHALLENGE_TTL),
      attributes: this.names.attributes(CHALLENGE_TTL),
    });
    return changes;
  }

  /** The pending challenge in `jar`; undefined when absent, tampered or lapsed. */
  readChallenge(jar: CookieJar): Promise<PendingChallenge | undefined> {
    return this.#open<PendingChallenge>(jar, this.challengeCookie, "challenge");
  }

  /** Changes that delete the pending challenge, if `jar` has one. */
  dropChallenge(jar: CookieJar): CookieChanges {
    const changes = emptyChanges();
    if (jar.has(this.challengeCookie)) changes.remove.push({ name: this.challengeCookie, attributes: this.names.attributes(0) });
    return changes;
  }

  /** Changes that delete every transaction and challenge cookie in `jar` (sign-out). */
  clear(jar: CookieJar): CookieChanges {
    const changes = this.dropChallenge(jar);
    for (const name of this.#names(jar)) changes.remove.push({ name, attributes: this.names.attributes(0) });
    return changes;
  }

  /** Names of the hosted-UI transaction cookies in `jar` as sent, the last {@link MAX_TRANSACTION_COOKIES} of them. */
  #names(jar: CookieJar): string[] {
    const prefix = `${this.names.transaction}.`;
    const names = [...jar.keys()].filter((n) => n.startsWith(prefix) && TRANSACTION_SUFFIX.test(n.slice(prefix.length)));
    return names.slice(-MAX_TRANSACTION_COOKIES);
  }

  async #open<T>(jar: CookieJar, name: string, purpose: SealPurpose): Promise<T | undefined> {
    const values = jar.get(name);
    // A name sent twice is someone's doing, not ours: refuse it rather than guess.
    if (values?.length !== 1) return undefined;
    try {
      return await this.sealer.unseal<T>(purpose, values[0]!);
    } catch {
      return undefined;
    }
  }
}
