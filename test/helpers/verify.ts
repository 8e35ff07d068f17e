import { expect } from "vitest";
import { CognitoSessionError } from "../../src/lib/errors.ts";
import type { TestIssuer } from "../../src/testing/issuer.ts";
import { JwksCache, type JwksOptions } from "../../src/verify/jwks.ts";
import { defaultRuntime, type Runtime, webRuntime } from "../../src/verify/runtime.ts";
import { TokenVerifier } from "../../src/verify/verifier.ts";

/** Both implementations of the runtime primitives: every verifier test runs against each. */
export const RUNTIMES: Array<[name: string, runtime: Runtime]> = [
  ["node", defaultRuntime()],
  ["web", webRuntime],
];

/** A verifier accepting `issuers` (each with its own client and JWKS), on `runtime`. */
export function verifierFor(issuers: TestIssuer[], runtime: Runtime, options: { clockTolerance?: number; cacheSize?: number; jwks?: JwksOptions } = {}) {
  const pools = issuers.map((issuer) => ({
    issuer: issuer.issuer,
    clientIds: [issuer.clientId],
    jwks: new JwksCache(issuer.jwksUri, { runtime, ...options.jwks }),
  }));
  const verifier = new TokenVerifier({
    pools,
    clockTolerance: options.clockTolerance ?? 5,
    runtime,
    ...(options.cacheSize === undefined ? {} : { cacheSize: options.cacheSize }),
  });
  return { verifier, jwks: pools.map((p) => p.jwks) };
}

/**
 * The error `promise` rejects with, after checking it is one of ours and that nothing of
 * `token` (any segment) appears in its message, stack, cause or JSON form.
 */
export async function refusal(promise: Promise<unknown>, token: string): Promise<CognitoSessionError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, "the token was accepted").toBeInstanceOf(CognitoSessionError);
  const visible = [(error as Error).message, (error as Error).stack ?? "", String((error as Error).cause ?? ""), JSON.stringify(error)].join("\n");
  for (const segment of token.split(".")) {
    if (segment.length >= 8) expect(visible).not.toContain(segment);
  }
  return error as CognitoSessionError;
}

/** `token` with one segment replaced through `edit` (which gets and returns decoded JSON). */
export function editSegment(token: string, index: 0 | 1, edit: (value: Record<string, unknown>) => Record<string, unknown>): string {
  const parts = token.split(".");
  const decoded = JSON.parse(Buffer.from(parts[index]!, "base64url").toString("utf8"));
  parts[index] = Buffer.from(JSON.stringify(edit(decoded))).toString("base64url");
  return parts.join(".");
}
