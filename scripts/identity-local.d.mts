import type { TestIdentityPool } from "../src/testing/identity-pool.ts";
import type { S3LocalInfo } from "./s3-local.mjs";

export interface IdentityLocalInfo extends S3LocalInfo {
  identityPoolId: string;
  identityEndpoint: string;
}
export function startIdentityLocal(
  cognito: { issuer: string; jwksUri: string; clientId: string },
  options: { appUrl: string },
): Promise<{ info: IdentityLocalInfo; pool: TestIdentityPool; stop: () => Promise<void> }>;
export function identityEnvFor(info: IdentityLocalInfo): Record<string, string>;
