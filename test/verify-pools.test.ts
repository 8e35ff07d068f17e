import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { cognito } from "../scripts/cognito-local.mjs";
import { resolveConfig } from "../src/config/resolve.ts";
import { createCore } from "../src/session/core.ts";
import { ConfigError, type InvalidClaimError, InvalidSignatureError } from "../src/lib/errors.ts";
import { signJwt, startTestIssuer, type TestIssuer } from "../src/testing/issuer.ts";
import { refusal, RUNTIMES, verifierFor } from "./helpers/verify.ts";

const SECRET = "test-secret-0123456789-abcdefghijklmnop";

let a: TestIssuer;
let b: TestIssuer;
let attacker: TestIssuer;

beforeAll(async () => {
  a = await startTestIssuer({ userPoolId: "local_poolA", clientId: "clientA" });
  b = await startTestIssuer({ userPoolId: "local_poolB", clientId: "clientB" });
  attacker = await startTestIssuer({ userPoolId: "local_attacker", clientId: "clientA" });
});
afterAll(async () => {
  for (const issuer of [a, b, attacker]) await issuer.close();
});

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());

describe.each(RUNTIMES)("several pools in one verifier (%s runtime)", (_name, runtime) => {
  it("accepts each pool's tokens for that pool's clients only", async () => {
    const { verifier } = verifierFor([a, b], runtime);
    await expect(verifier.verify(a.accessToken(), "access")).resolves.toMatchObject({ client_id: "clientA" });
    await expect(verifier.verify(b.accessToken(), "access")).resolves.toMatchObject({ client_id: "clientB" });
    await expect(verifier.verify(b.idToken(), "id")).resolves.toMatchObject({ aud: "clientB" });
    // Pool B's token naming pool A's client: the client belongs to another pool.
    const crossed = b.accessToken({ client_id: "clientA" });
    expect(((await refusal(verifier.verify(crossed, "access"), crossed)) as InvalidClaimError).claim).toBe("client_id");
    const crossedId = b.idToken({ aud: "clientA" });
    expect(((await refusal(verifier.verify(crossedId, "id"), crossedId)) as InvalidClaimError).claim).toBe("aud");
  });

  it("checks each token against its own pool's keys, never another configured pool's", async () => {
    const { verifier, jwks } = verifierFor([a, b], runtime);
    await verifier.verify(a.accessToken(), "access");
    // Claims pool A, signed with pool B's real key under either kid.
    for (const kid of [b.key.kid, a.key.kid]) {
      const token = signJwt({ alg: "RS256", kid }, claimsOf(a.accessToken()), b.key.privateKey);
      expect(await refusal(verifier.verify(token, "access"), token)).toBeInstanceOf(InvalidSignatureError);
    }
    expect(jwks[1]!.fetches).toBe(0);
  });

  it("refuses an unconfigured pool's valid tokens without fetching anything the token names", async () => {
    const { verifier } = verifierFor([a], runtime);
    const before = attacker.jwksRequests;
    const token = attacker.accessToken();
    expect(((await refusal(verifier.verify(token, "access"), token)) as InvalidClaimError).claim).toBe("iss");
    // The attacker's token under pool A's issuer, signed with the attacker's key: refused by A's keys.
    const forged = attacker.accessToken({ iss: a.issuer });
    expect(await refusal(verifier.verify(forged, "access"), forged)).toBeInstanceOf(InvalidSignatureError);
    expect(attacker.jwksRequests).toBe(before);
  });
});

describe("the pools option", () => {
  const env = {
    COGNITO_USER_POOL_ID: "eu-west-1_AbC123",
    COGNITO_CLIENT_ID: "ownclient",
    SESSION_SECRET: SECRET,
    APP_URL: "https://app.example.com",
  };

  it("keeps the single-pool environment contract as the first pool", () => {
    const config = resolveConfig({ env });
    expect(config.pools).toEqual([
      {
        userPoolId: "eu-west-1_AbC123",
        region: "eu-west-1",
        issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        jwksUri: new URL("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"),
        clientIds: ["ownclient"],
      },
    ]);
  });

  it("adds pools, derives their issuer and JWKS, and merges clients of the same issuer", () => {
    const config = resolveConfig({
      env,
      pools: [
        { userPoolId: "us-east-1_Other9", clientIds: ["partner1", "partner2"] },
        { userPoolId: "eu-west-1_AbC123", clientIds: ["mobileapp"] },
        { userPoolId: "eu-west-1_Newer1", clientIds: ["x"], issuer: "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Newer1" },
      ],
    });
    expect(config.pools.map((p) => [p.issuer, p.jwksUri.href, p.clientIds])).toEqual([
      [
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json",
        ["ownclient", "mobileapp"],
      ],
      [
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other9",
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other9/.well-known/jwks.json",
        ["partner1", "partner2"],
      ],
      [
        "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Newer1",
        "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Newer1/.well-known/jwks.json",
        ["x"],
      ],
    ]);
    expect(config.clientId).toBe("ownclient");
  });

  it.each([
    [{ userPoolId: "not a pool", clientIds: ["x"] }, "pools[0].userPoolId"],
    [{ userPoolId: "eu-west-1_A1", clientIds: [] }, "pools[0].clientIds"],
    [{ userPoolId: "eu-west-1_A1", clientIds: ["bad client"] }, "pools[0].clientId"],
    [{ userPoolId: "eu-west-1_A1", clientIds: ["x"], issuer: "http://issuer.example.com/eu-west-1_A1" }, "pools[0].issuer"],
    [{ userPoolId: "eu-west-1_A1", clientIds: ["x"], issuer: "https://issuer.example.com/eu-west-1_A1/" }, "pools[0].issuer"],
    [{ userPoolId: "eu-west-1_A1", clientIds: ["x"], jwksUri: "http://keys.example.com/jwks.json" }, "pools[0].jwksUri"],
    [{ userPoolId: "eu-west-1_AbC123", clientIds: ["x"], jwksUri: "https://keys.example.com/jwks.json" }, "pools[0].jwksUri"],
  ])("refuses %o naming %s", (pool, setting) => {
    let error: unknown;
    try {
      resolveConfig({ env, pools: [pool] });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe(setting);
  });

  it("gives the app's verifier every pool, each with its own JWKS", async () => {
    const core = createCore(
      resolveConfig({
        userPoolId: a.userPoolId,
        clientId: a.clientId,
        issuer: a.issuer,
        jwksUri: a.jwksUri,
        pools: [{ userPoolId: b.userPoolId, clientIds: [b.clientId], issuer: b.issuer, jwksUri: b.jwksUri }],
        secret: SECRET,
        appUrl: "https://app.example.com",
        env: {},
      }),
    );
    await expect(core.verifier.verify(a.accessToken(), "access")).resolves.toBeDefined();
    await expect(core.verifier.verify(b.machineToken("orders/read"), "access")).resolves.toMatchObject({ scope: "orders/read" });
    expect(core.jwks.uri.href).toBe(a.jwksUri);
  });

  it("sizes the verified-token cache from tokenCacheSize, 10 000 by default", async () => {
    expect(resolveConfig({ env }).tokenCacheSize).toBe(10_000);
    const core = createCore(
      resolveConfig({
        userPoolId: a.userPoolId,
        clientId: a.clientId,
        issuer: a.issuer,
        jwksUri: a.jwksUri,
        secret: SECRET,
        appUrl: "https://app.example.com",
        env: {},
        tokenCacheSize: 2,
      }),
    );
    for (let i = 0; i < 4; i++) await core.verifier.verify(a.accessToken(), "access");
    expect(core.verifier.cachedTokens).toBe(2);
  });
});

describe("the embedded Cognito", () => {
  const password = "Passw0rd!";

  /** A new pool in the run's cognito-local, with one user; its tokens are signed with the same key as every other pool's. */
  async function otherPool(endpoint: string) {
    const { UserPool } = await cognito(endpoint, "CreateUserPool", { PoolName: "attacker-pool" });
    const { UserPoolClient } = await cognito(endpoint, "CreateUserPoolClient", {
      UserPoolId: UserPool.Id,
      ClientName: "attacker",
      ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    });
    await cognito(endpoint, "AdminCreateUser", { UserPoolId: UserPool.Id, Username: "mallory@example.com", MessageAction: "SUPPRESS" });
    await cognito(endpoint, "AdminSetUserPassword", { UserPoolId: UserPool.Id, Username: "mallory@example.com", Password: password, Permanent: true });
    return { userPoolId: UserPool.Id as string, clientId: UserPoolClient.ClientId as string };
  }

  async function signIn(endpoint: string, clientId: string, username: string) {
    const { AuthenticationResult } = await cognito(endpoint, "InitiateAuth", {
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: clientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    return { access: AuthenticationResult.AccessToken as string, id: AuthenticationResult.IdToken as string };
  }

  const coreFor = (
    info: ReturnType<typeof inject<"cognito">>,
    pools: Array<{ userPoolId: string; clientIds: string[]; issuer: string; jwksUri: string }> = [],
  ) =>
    createCore(
      resolveConfig({
        userPoolId: info.userPoolId,
        clientId: info.clientId,
        issuer: info.issuer,
        jwksUri: info.jwksUri,
        pools,
        secret: SECRET,
        appUrl: "https://app.example.com",
        env: {},
      }),
    );

  it("accepts its tokens for the configured pool and refuses another pool's, though one key signs both", async () => {
    const info = inject("cognito");
    const core = coreFor(info);
    const own = await signIn(info.endpoint, info.clientId, "alice@example.com");
    await expect(core.verifier.verify(own.access, "access")).resolves.toMatchObject({ client_id: info.clientId });
    await expect(core.verifier.verify(own.id, "id")).resolves.toMatchObject({ email: "alice@example.com" });

    const other = await otherPool(info.endpoint);
    const foreign = await signIn(info.endpoint, other.clientId, "mallory@example.com");
    expect(((await refusal(core.verifier.verify(foreign.access, "access"), foreign.access)) as InvalidClaimError).claim).toBe("iss");
    expect(((await refusal(core.verifier.verify(foreign.id, "id"), foreign.id)) as InvalidClaimError).claim).toBe("iss");

    // Configured as a second pool, the same tokens are accepted for their own client.
    const issuer = `${new URL(info.endpoint).origin}/${other.userPoolId}`;
    const both = coreFor(info, [{ userPoolId: other.userPoolId, clientIds: [other.clientId], issuer, jwksUri: `${issuer}/.well-known/jwks.json` }]);
    await expect(both.verifier.verify(foreign.access, "access")).resolves.toMatchObject({ client_id: other.clientId });
    const swapped = await signIn(info.endpoint, info.clientId, "alice@example.com");
    await expect(both.verifier.verify(swapped.access, "access")).resolves.toBeDefined();
  });
});
