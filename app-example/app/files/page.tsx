import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { auth } from "../../auth";
import { bucket, prefixOf, userS3 } from "./s3";
import { Uploader } from "./uploader";

export const dynamic = "force-dynamic";

/** The signed-in user's files: uploaded from the browser straight to S3, listed here as that user. */
export default async function Files() {
  await auth.requireSession();
  if (!bucket || !auth.config.identity) return <p>Uploads need COGNITO_IDENTITY_POOL_ID and S3_BUCKET.</p>;
  const { identityId } = await auth.getAwsCredentials();
  const prefix = prefixOf(identityId);
  const listed = await userS3().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const names = (listed.Contents ?? []).map((object) => object.Key?.slice(prefix.length) ?? "");
  return (
    <main>
      <h1>Your files</h1>
      <ul data-testid="files">
        {names.map((name) => (
          <li key={name}>{name}</li>
        ))}
      </ul>
      {names.length === 0 && <p>No files yet.</p>}
      <Uploader />
    </main>
  );
}
