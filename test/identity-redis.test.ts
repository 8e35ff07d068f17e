// Identity-pool credentials shared through Redis: instances of one app (each its own
// RedisStore and process-local cache) make one GetId and one GetCredentialsForIdentity for
// a user between them, and Redis holds only sealed values under hashed keys.
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCognitoSession } from "../src/index.ts";
import {
  identityEnv,
  startTestIdentityPool,
  startTestIssuer,
  type TestIdentityPool,
  type TestIssuer,
  testEnv,
  testRequest,
} from "next-cognito-session/testing";
import { useRedisServer } from "./helpers/redis-hooks.ts";

const redis = useRedisServer();
let issuer: TestIssuer;
let pool: TestIdentityPool;

beforeAll(async () => {
  issuer = await startTestIssuer();
  pool = await startTestIdentityPool({ providers: [{ issuer: issuer.issuer, clientIds: [issuer.clientId] }] });
});
afterAll(async () => {
  await pool.close();
  await issuer.close();
});

describe("credentials across instances sharing Redis", () => {
  it("three instances asking at once for one user make one GetId and one GetCredentialsForIdentity; Redis holds them sealed", async () => {
    const env = { ...testEnv(issuer), ...identityEnv(pool), SESSION_SECRET: "redis-shared-secret-0123456789-abcdefghij" };
    const instances = [0, 1, 2].map(() => createCognitoSession({ env, store: redis.store({ prefix: "ncs-identity:" }) }));
    pool.reset();
    // The same session (server-side, in Redis) sent to each instance, ten requests each.
    const request = await testRequest(instances[0]!, issuer, "/files", { sub: "shared-user" });
    const all = await Promise.all(
      instances.flatMap((auth) =>
        Array.from({ length: 10 }, () => auth.runWithSession(new Request(request.url, { headers: request.headers }), () => auth.getAwsCredentials())),
      ),
    );
    expect(new Set(all.map((c) => c.accessKeyId)).size).toBe(1);
    expect(pool.calls).toEqual({ GetId: 1, GetCredentialsForIdentity: 1 });

    const client = createClient({ url: redis.server.url });
    await client.connect();
    try {
      const keys = await client.keys("ncs-identity:*");
      const ours = keys.filter((k) => /^ncs-identity:(identity|aws):/.test(k));
      expect(ours.map((k) => k.split(":")[1]).sort()).toEqual(["aws", "identity"]);
      for (const key of ours) {
        const value = (await client.get(key))!;
        for (const secret of [all[0]!.secretAccessKey, all[0]!.sessionToken, all[0]!.accessKeyId, all[0]!.identityId, "shared-user"]) {
          expect(value).not.toContain(secret);
          expect(key).not.toContain(secret);
        }
      }
    } finally {
      await client.quit();
    }
  });
});
