import { S3Client } from "@aws-sdk/client-s3";
import { auth } from "../../auth";

/** The bucket uploads go to; undefined when the app is run without one. */
export const bucket = process.env.S3_BUCKET;

/**
 * An S3 client acting as the signed-in user, through the identity pool: made per request,
 * because SDK clients keep what their credential provider returned until it lapses, and a
 * client shared at module level would keep the first user's credentials for everyone.
 */
export function userS3(): S3Client {
  const endpoint = process.env.S3_ENDPOINT;
  return new S3Client({
    region: process.env.S3_REGION ?? "us-east-1",
    credentials: auth.awsCredentials(),
    // A local S3 (s3rver) is reached by path, not by bucket subdomain.
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    // No checksum in presigned URLs: the browser sends the body, the server never sees it.
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
}

/**
 * Where a user's files live: `private/<identity id>/`. The IAM policy of the identity pool's
 * authenticated role should allow `s3:PutObject` and `s3:ListBucket` under
 * `private/${cognito-identity.amazonaws.com:sub}/` only; the embedded S3 checks no policy,
 * so in development this key layout is the only isolation.
 */
export const prefixOf = (identityId: string) => `private/${identityId}/`;
