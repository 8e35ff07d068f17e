// Identity pools end to end on the embedded services: the run's cognito-local user pool, the
// embedded identity pool trusting it, and the embedded S3 (s3rver). Real password sign-ins,
// real refresh, the AWS SDK's S3 client acting with the credentials the library hands out.
import { createRequire } from "node:module";
import { CognitoIdentityClient, GetIdCommand } from "@aws-sdk/client-cognito-identity";
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { decodeJwt, importJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { identityEnvFor, type IdentityLocalInfo, startIdentityLocal } from "../scripts/identity-local.mjs";
import type { TestIdentityPool } from "../src/testing/identity-pool.ts";
import { coreOf } from "../src/internal.ts";
import { providerName } from "../src/cognito/identity.ts";
import { APP_URL, createTestApp } from "./helpers/app.ts";
import { passwordTokens } from "./helpers/password-session.ts";

const devKey = createRequire(import.meta.url)("cognito-local/lib/keys/cognitoLocal.private.json") as { jwk: JsonWebKey & { kid: string } };
const cognito = inject("cognito");
let info: IdentityLocalInfo;
let pool: TestIdentityPool;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ info, pool, stop } = await startIdentityLocal(cognito, { appUrl: APP_URL }));
});
afterAll(() => stop());

const app = () => createTestApp({ env: identityEnvFor(info) });
type App = ReturnType<typeof app>;

/** A request carrying `email`'s session cookies as `auth` writes them; `lapsedId` re-signs the ID token as expired. */
async function signedIn(auth: App, email: string, { lapsedId = false } = {}): Promise<Request> {
  const tokens = await passwordTokens(cognito.endpoint, auth.config.clientId, email);
  const now = Math.floor(Date.now() / 1000);
  const idToken = lapsedId
    ? await new SignJWT({ ...decodeJwt(tokens.IdToken), iat: now - 3610, exp: now - 10 })
        .setProtectedHeader({ alg: "RS256", kid: devKey.jwk.kid })
        .sign(await importJWK(devKey.jwk, "RS256"))
    : tokens.IdToken;
  const changes = await coreOf(auth).storage.write(new Map(), {
    accessToken: tokens.AccessToken,
    idToken,
    refreshToken: tokens.RefreshToken,
    endsAt: now + auth.config.sessionMaxAge,
  });
  return new Request(`${APP_URL}/files`, { headers: { cookie: changes.set.map((c) => `${c.name}=${c.value}`).join("; ") } });
}

const s3 = (auth: App) =>
  new S3Client({ region: info.s3Region, endpoint: info.s3Endpoint, forcePathStyle: true, credentials: auth.awsCredentials(), maxAttempts: 1 });

describe("identity pools on the embedded services", () => {
  it("alice's credentials write and list under private/<her identity>/; bob's listing of his own prefix does not show it", async () => {
    const auth = app();
    const alice = await signedIn(auth, "alice@example.com");
    const aliceId = await auth.runWithSession(alice, async () => {
      const { identityId } = await auth.getAwsCredentials();
      await s3(auth).send(new PutObjectCommand({ Bucket: info.s3Bucket, Key: `private/${identityId}/hello.txt`, Body: "hello" }));
      const listed = await s3(auth).send(new ListObjectsV2Command({ Bucket: info.s3Bucket, Prefix: `private/${identityId}/` }));
      expect(listed.Contents?.map((o) => o.Key)).toEqual([`private/${identityId}/hello.txt`]);
      return identityId;
    });
    const bob = await signedIn(auth, "bob@example.com");
    await auth.runWithSession(bob, async () => {
      const { identityId } = await auth.getAwsCredentials();
      expect(identityId).not.toBe(aliceId);
      const listed = await s3(auth).send(new ListObjectsV2Command({ Bucket: info.s3Bucket, Prefix: `private/${identityId}/` }));
      expect(listed.Contents ?? []).toEqual([]);
    });
  });

  it("the identity is the one the AWS SDK's own client gets for the same login", async () => {
    const auth = app();
    const tokens = await passwordTokens(cognito.endpoint, auth.config.clientId, "alice@example.com");
    const viaSdk = await new CognitoIdentityClient({ region: "us-east-1", endpoint: info.identityEndpoint }).send(
      new GetIdCommand({ IdentityPoolId: info.identityPoolId, Logins: { [providerName(cognito.issuer)]: tokens.IdToken } }),
    );
    const viaLibrary = await auth.runWithSession(await signedIn(auth, "alice@example.com"), () => auth.getAwsCredentials());
    expect(viaLibrary.identityId).toBe(viaSdk.IdentityId);
  });

  it("an ID token past its exp is refreshed at cognito-local first, then exchanged", async () => {
    const auth = app();
    const request = await signedIn(auth, "bob@example.com", { lapsedId: true });
    const refreshes = coreOf(auth).refresher.calls;
    const credentials = await auth.runWithSession(request, () => auth.getAwsCredentials());
    expect(coreOf(auth).refresher.calls).toBe(refreshes + 1);
    expect(credentials.identityId).toBe(
      pool.identityOf(providerName(cognito.issuer), decodeJwt((await passwordTokens(cognito.endpoint, auth.config.clientId, "bob@example.com")).IdToken).sub!),
    );
  });

  it("credentials the embedded pool did not issue are refused by the embedded S3", async () => {
    const client = new S3Client({
      region: info.s3Region,
      endpoint: info.s3Endpoint,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: "ASIAUNKNOWNKEY000000", secretAccessKey: "x".repeat(40), sessionToken: "y".repeat(40) },
    });
    await expect(client.send(new ListObjectsV2Command({ Bucket: info.s3Bucket }))).rejects.toMatchObject({ name: "InvalidAccessKeyId" });
  });
});
