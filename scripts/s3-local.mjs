// Start the embedded S3 (s3rver) on 127.0.0.1 with its data in a temp folder, one bucket
// whose CORS lets the app's origin upload straight from the browser, and stop it with the
// rest. s3rver accepts only access keys it knows and does not check Signature V4 or any IAM
// policy: `allowKey` admits the credentials the embedded identity pool issues.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(import.meta.url);

/**
 * @param {{ appUrl: string, port?: number, bucket?: string }} options
 */
export async function startS3Local(options) {
  const S3rver = require("s3rver");
  const { DUMMY_ACCOUNT } = require("s3rver/lib/models/account");
  const bucket = options.bucket ?? "example-uploads";
  const origin = new URL(options.appUrl).origin;
  const directory = mkdtempSync(join(tmpdir(), "s3-local-"));
  const cors = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>${origin}</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;
  const server = new S3rver({
    address: "127.0.0.1",
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [cors] }],
  });
  const { port } = await server.run();
  const allowed = new Set();
  const stop = async () => {
    for (const key of allowed) DUMMY_ACCOUNT.revokeAccessKey(key);
    await new Promise((resolve) => server.close(() => resolve(undefined)));
    rmSync(directory, { recursive: true, force: true });
  };
  return {
    info: { s3Endpoint: `http://127.0.0.1:${port}`, s3Bucket: bucket, s3Region: "us-east-1" },
    /** Let requests signed with this access key in (s3rver knows only its own otherwise). */
    allowKey(accessKeyId, secretAccessKey) {
      allowed.add(accessKeyId);
      DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
    },
    stop,
  };
}
