// The embedded identity pool (the testing kit's Cognito Identity double) and the embedded S3
// beside cognito-local: one identity pool trusting the embedded user pool's app client, with
// authenticated and guest identities, whose credentials the embedded S3 admits. Used by
// `npm run idp`, `npm run dev`, the integration tests and the end-to-end tests.
import { startTestIdentityPool } from "../src/testing/identity-pool.ts";
import { startS3Local } from "./s3-local.mjs";

/**
 * Start both for the user pool `cognito` describes (what startCognitoLocal returned as `info`).
 * @param {{ issuer: string, jwksUri: string, clientId: string }} cognito
 * @param {{ appUrl: string }} options
 */
export async function startIdentityLocal(cognito, options) {
  const s3 = await startS3Local({ appUrl: options.appUrl });
  try {
    const pool = await startTestIdentityPool({
      providers: [{ issuer: cognito.issuer, jwksUri: cognito.jwksUri, clientIds: [cognito.clientId] }],
      allowGuests: true,
      onCredentials: ({ accessKeyId, secretAccessKey }) => s3.allowKey(accessKeyId, secretAccessKey),
    });
    const info = { identityPoolId: pool.identityPoolId, identityEndpoint: pool.endpoint, ...s3.info };
    const stop = async () => {
      await pool.close();
      await s3.stop();
    };
    return { info, pool, stop };
  } catch (error) {
    await s3.stop();
    throw error;
  }
}

/** The environment the example app reads for identity pools and its uploads. */
export function identityEnvFor(info) {
  return {
    COGNITO_IDENTITY_POOL_ID: info.identityPoolId,
    COGNITO_IDENTITY_ENDPOINT: info.identityEndpoint,
    S3_ENDPOINT: info.s3Endpoint,
    S3_BUCKET: info.s3Bucket,
    S3_REGION: info.s3Region,
  };
}
