"use server";

import { PutObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { auth } from "../../auth";
import { bucket, prefixOf, userS3 } from "./s3";

/** What the uploader gets: where to PUT the file, or why not. */
export type UploadTicket = { url: string; key: string } | { error: string };

/**
 * Sign a PUT of one file under the user's own prefix, valid for five minutes. The browser
 * uploads straight to S3 with it; the AWS credentials stay on the server. The URL carries
 * the credentials' session token (X-Amz-Security-Token, which S3 needs to find the signing
 * key), never the secret key, and allows this one PUT of this one key.
 *
 * `name` is whatever was posted to the action: its shape is checked.
 */
export async function signUpload(name: unknown): Promise<UploadTicket> {
  await auth.requireSession();
  if (!bucket) return { error: "Uploads need S3_BUCKET." };
  if (typeof name !== "string" || !/^[\w .-]{1,100}$/.test(name) || name.startsWith(".")) {
    return { error: "Name the file with letters, digits, spaces, dots, dashes or underscores." };
  }
  const { identityId } = await auth.getAwsCredentials();
  const key = `${prefixOf(identityId)}${name}`;
  const url = await getSignedUrl(userS3(), new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 });
  return { url, key };
}
