import * as oauth from "oauth4webapi";
import type { Core } from "../core.ts";
import { emptyChanges } from "../cookies/session-cookies.ts";
import { ConfigError } from "../errors.ts";
import { redirect, withCookies } from "../http/responses.ts";
import { safeReturnTo } from "./return-to.ts";

/** A sign-in in progress, sealed into a short-lived cookie named after its state. */
export interface Transaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

/** How long a hosted-UI sign-in may take before its transaction cookie lapses. */
export const TRANSACTION_TTL = 600;

/** The cookie holding the transaction for `state`, so parallel sign-ins do not collide. */
export function transactionCookie(core: Core, state: string): string {
  return `${core.cookies.transaction}.${state.replace(/[^\w-]/g, "").slice(0, 16)}`;
}

/** `GET <basePath>/sign-in?returnTo=/path`: start authorization code + PKCE at the hosted UI. */
export async function signIn(core: Core, request: Request): Promise<Response> {
  if (!core.oauth) throw new ConfigError("COGNITO_DOMAIN", "is required for hosted-UI sign-in");
  const url = new URL(request.url);
  const transaction: Transaction = {
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    codeVerifier: oauth.generateRandomCodeVerifier(),
    returnTo: safeReturnTo(url.searchParams.get("returnTo"), core.config.appUrl),
  };
  const changes = emptyChanges();
  changes.set.push({
    name: transactionCookie(core, transaction.state),
    value: await core.cookies.sealer.seal(transaction, TRANSACTION_TTL),
    attributes: core.cookies.attributes(TRANSACTION_TTL),
  });
  return withCookies(redirect(await core.oauth.authorizationUrl(transaction)), changes);
}
