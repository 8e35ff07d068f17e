// Identity pools: getAwsCredentials() and awsCredentials() against the testing kit's identity
// pool double (the way an app tests its own code without AWS), the credential service's
// refresh-and-retry, caching, single flight and sharing through a store, and the error
// each failure of Cognito Identity becomes.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type CognitoSession, type CognitoSessionOptions, createCognitoSession } from "../src/index.ts";
import { coreOf } from "../src/internal.ts";
import { type AwsCredentials, getCredentialsForIdentity, getId, providerName } from "../src/cognito/identity.ts";
import { isCode } from "../src/lib/errors.ts";
import { AwsCredentialsService, type TokenSource } from "../src/session/aws-credentials.ts";
import type { StoredTokens } from "../src/persistence/tokens.ts";
import type { Refresher } from "../src/session/refresher.ts";
import { MemoryStore } from "../src/store/memory.ts";
import {
  identityEnv,
  mintUserTokens,
  runAs,
  startTestIdentityPool,
  startTestIssuer,
  type TestIdentityPool,
  type TestIssuer,
  testEnv,
  testRequest,
} from "next-cognito-session/testing";

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
afterEach(() => {
  pool.mode = "up";
  pool.allowGuests = false;
  pool.failNext("none", 0);
  vi.useRealTimers();
});

function app(options: CognitoSessionOptions = {}, env: Record<string, string> = {}): CognitoSession<never> {
  return createCognitoSession({ ...options, env: { ...testEnv(issuer), ...identityEnv(pool), ...env } }) as CognitoSession<never>;
}

/** A store that says it is shared, as Redis is: instances built on it share what they keep. */
class SharedMemoryStore extends MemoryStore {
  override readonly shared = true as false;
}

const provider = () => providerName(issuer.issuer);
const error = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

describe("getAwsCredentials", () => {
  it("exchanges the session's ID token for the user's identity and its credentials, through GetId and GetCredentialsForIdentity", async () => {
    const auth = app();
    pool.reset();
    const credentials = await runAs(auth, issuer, { sub: "user-one" }, () => auth.getAwsCredentials());
    expect(credentials.identityId).toBe(pool.identityOf(provider(), "user-one"));
    expect(pool.issued.get(credentials.accessKeyId)).toMatchObject({ identityId: credentials.identityId, authenticated: true });
    expect(credentials.expiration.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(pool.calls).toEqual({ GetId: 1, GetCredentialsForIdentity: 1 });
    // The Logins key is the issuer without its scheme; the value the session's own ID token.
    const getIdBody = pool.requests[0]!.body as { Logins: Record<string, string> };
    expect(Object.keys(getIdBody.Logins)).toEqual([provider()]);
    expect(provider()).not.toMatch(/^https?:/);
  });

  it("answers again from the cache, with no call, and the same identity for the same user in another session", async () => {
    const auth = app();
    const first = await runAs(auth, issuer, { sub: "user-two" }, () => auth.getAwsCredentials());
    pool.reset();
    const again = await runAs(auth, issuer, { sub: "user-two" }, () => auth.getAwsCredentials());
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    expect(pool.calls).toEqual({ GetId: 0, GetCredentialsForIdentity: 0 });
    const other = await runAs(auth, issuer, { sub: "user-three" }, () => auth.getAwsCredentials());
    expect(other.identityId).not.toBe(first.identityId);
  });

  it("makes one GetId and one GetCredentialsForIdentity for 100 concurrent requests of one user", async () => {
    const auth = app();
    pool.reset();
    const requests = await Promise.all(Array.from({ length: 100 }, () => testRequest(auth, issuer, "/files", { sub: "crowd" })));
    const all = await Promise.all(requests.map((request) => auth.runWithSession(request, () => auth.getAwsCredentials())));
    expect(new Set(all.map((c) => c.accessKeyId)).size).toBe(1);
    expect(pool.calls).toEqual({ GetId: 1, GetCredentialsForIdentity: 1 });
  });

  it("fetches new credentials once the cached ones are within five minutes of lapsing, keeping the identity", async () => {
    const auth = app();
    const first = await runAs(auth, issuer, { sub: "ageing" }, () => auth.getAwsCredentials());
    pool.reset();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(first.expiration.getTime() - 5 * 60_000 - 1000);
    expect((await runAs(auth, issuer, { sub: "ageing" }, () => auth.getAwsCredentials())).accessKeyId).toBe(first.accessKeyId);
    vi.setSystemTime(first.expiration.getTime() - 5 * 60_000);
    const next = await runAs(auth, issuer, { sub: "ageing" }, () => auth.getAwsCredentials());
    expect(next.accessKeyId).not.toBe(first.accessKeyId);
    expect(next.identityId).toBe(first.identityId);
    expect(pool.calls).toEqual({ GetId: 0, GetCredentialsForIdentity: 1 });
  });

  it("inside withAuth, after it refreshed a lapsed cookie session: the refreshed tokens, not the lapsed ones the request sent", async () => {
    const auth = app({ clockTolerance: 0 });
    const core = coreOf(auth);
    const sub = "refreshed-in-withauth";
    const now = Math.floor(Date.now() / 1000);
    const lapsed = { exp: now - 5, iat: now - 3605 };
    const accessToken = issuer.accessToken({ sub, username: sub, scope: "openid", ...lapsed });
    const idToken = issuer.idToken({ sub, "cognito:username": sub, ...lapsed });
    let redeemed = 0;
    (core.refresher as unknown as { source: { redeem: () => Promise<unknown> } }).source = {
      redeem: async () => {
        redeemed++;
        return { ...mintUserTokens(issuer, { sub }), refreshToken: undefined };
      },
    };
    const sent = await core.storage.write(new Map(), { accessToken, idToken, refreshToken: "refresh-token", endsAt: now + 86_400 });
    const cookie = sent.set.map(({ name, value }) => `${name}=${value}`).join("; ");
    const handler = auth.withAuth({}, async () => Response.json({ identityId: (await auth.getAwsCredentials()).identityId }));
    const response = await handler(new Request("http://localhost:3000/api/files", { headers: { cookie } }), {});
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ identityId: expect.stringMatching(/:/) });
    expect(redeemed).toBe(1);
  });

  it("throws NotSignedInError without a session, and for a machine client's Bearer token", async () => {
    const auth = app();
    expect(isCode(await error(runAs(auth, issuer, null, () => auth.getAwsCredentials())), "ERR_NOT_SIGNED_IN")).toBe(true);
    const request = await testRequest(auth, issuer, "/api", { machine: ["orders/read"] });
    expect(isCode(await error(auth.runWithSession(request, () => auth.getAwsCredentials())), "ERR_NOT_SIGNED_IN")).toBe(true);
  });

  it("refuses a Bearer user token (it carries no ID token), even when the user's credentials are cached", async () => {
    const auth = app();
    await runAs(auth, issuer, { sub: "bearer-user" }, () => auth.getAwsCredentials());
    const { accessToken } = mintUserTokens(issuer, { sub: "bearer-user" });
    const request = new Request("http://localhost:3000/api", { headers: { authorization: `Bearer ${accessToken}` } });
    const thrown = await error(auth.runWithSession(request, () => auth.getAwsCredentials()));
    expect(isCode(thrown, "ERR_NOT_SIGNED_IN")).toBe(true);
    expect((thrown as Error).message).toMatch(/Bearer/);
  });

  it("gives guest credentials without a session only when asked, and only where the pool allows guests", async () => {
    const auth = app();
    const refused = await error(runAs(auth, issuer, null, () => auth.getAwsCredentials({ guest: true })));
    expect(isCode(refused, "ERR_CONFIG")).toBe(true);
    expect(String((refused as Error).message)).toMatch(/guest/);
    pool.allowGuests = true;
    const guest = await runAs(auth, issuer, null, () => auth.getAwsCredentials({ guest: true }));
    expect(pool.issued.get(guest.accessKeyId)).toMatchObject({ authenticated: false });
    // A signed-in user gets their own, guest or not.
    const own = await runAs(auth, issuer, { sub: "not-a-guest" }, () => auth.getAwsCredentials({ guest: true }));
    expect(own.identityId).toBe(pool.identityOf(provider(), "not-a-guest"));
  });

  it("awsCredentials() is a provider resolving the session of the request it is called in", async () => {
    const auth = app();
    const credentials = auth.awsCredentials();
    const [a, b] = await Promise.all([
      runAs(auth, issuer, { sub: "provider-a" }, () => credentials()),
      runAs(auth, issuer, { sub: "provider-b" }, () => credentials()),
    ]);
    expect(a).toMatchObject({ identityId: pool.identityOf(provider(), "provider-a") });
    expect(b).toMatchObject({ identityId: pool.identityOf(provider(), "provider-b") });
  });

  it("is a ConfigError naming COGNITO_IDENTITY_POOL_ID when no identity pool is configured", async () => {
    const auth = createCognitoSession({ env: testEnv(issuer) });
    const thrown = await error(runAs(auth, issuer, {}, () => auth.getAwsCredentials()));
    expect(thrown).toMatchObject({ code: "ERR_CONFIG", setting: "COGNITO_IDENTITY_POOL_ID" });
  });
});

describe("what Cognito Identity's failures become", () => {
  it("a pool that does not trust this user pool (or this app client): a ConfigError saying which provider to add", async () => {
    const untrusting = await startTestIdentityPool({ providers: [{ issuer: issuer.issuer, clientIds: ["anotherclient"] }] });
    try {
      const auth = app({}, identityEnv(untrusting));
      const thrown = await error(runAs(auth, issuer, {}, () => auth.getAwsCredentials()));
      expect(thrown).toMatchObject({ code: "ERR_CONFIG", setting: "COGNITO_IDENTITY_POOL_ID" });
      expect((thrown as Error).message).toContain(`${provider()} with app client ${issuer.clientId}`);
    } finally {
      await untrusting.close();
    }
  });

  it("an identity pool that does not exist: a ConfigError naming COGNITO_IDENTITY_POOL_ID", async () => {
    const auth = app({}, { COGNITO_IDENTITY_POOL_ID: "local:00000000-0000-0000-0000-000000000000" });
    const thrown = await error(runAs(auth, issuer, {}, () => auth.getAwsCredentials()));
    expect(thrown).toMatchObject({ code: "ERR_CONFIG", setting: "COGNITO_IDENTITY_POOL_ID" });
    expect((thrown as Error).message).toMatch(/ResourceNotFoundException/);
  });

  it.each(["down", "throttle", "hang"] as const)("an endpoint that is %s: CognitoUnavailableError, nothing cached", async (mode) => {
    const auth = app({ timeoutMs: 300 });
    pool.mode = mode;
    const thrown = await error(runAs(auth, issuer, { sub: `outage-${mode}` }, () => auth.getAwsCredentials()));
    expect(isCode(thrown, "ERR_COGNITO_UNAVAILABLE")).toBe(true);
    pool.mode = "up";
    const later = await runAs(auth, issuer, { sub: `outage-${mode}` }, () => auth.getAwsCredentials());
    expect(later.identityId).toBe(pool.identityOf(provider(), `outage-${mode}`));
  });

  it("an identity deleted from the pool is looked up again, once", async () => {
    const auth = app();
    const first = await runAs(auth, issuer, { sub: "deleted" }, () => auth.getAwsCredentials());
    pool.deleteIdentity(first.identityId);
    pool.reset();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(first.expiration.getTime() - 5 * 60_000);
    const second = await runAs(auth, issuer, { sub: "deleted" }, () => auth.getAwsCredentials());
    expect(second.identityId).not.toBe(first.identityId);
    expect(second.identityId).toBe(pool.identityOf(provider(), "deleted"));
    expect(pool.calls).toEqual({ GetId: 1, GetCredentialsForIdentity: 2 });
  });
});

describe("AwsCredentialsService: refresh first, refresh and retry once", () => {
  function service(refresh: (tokens: StoredTokens) => Promise<StoredTokens>, store = new MemoryStore()) {
    // Instances of one app share its secret: what one seals, the others open.
    const auth = app({}, { SESSION_SECRET: "shared-secret-0123456789-abcdefghijklmn" });
    const core = coreOf(auth);
    const refresher = { refresh: vi.fn(refresh) } as unknown as Refresher & { refresh: ReturnType<typeof vi.fn> };
    const api = { endpoint: new URL(pool.endpoint), identityPoolId: pool.identityPoolId, timeoutMs: 2000 };
    return { refresher, service: new AwsCredentialsService(api, issuer.clientId, store, core.sealer, refresher, core.verifier, 3600, 1000) };
  }
  const tokensOf = (sub: string, idExp?: number): StoredTokens => {
    const { accessToken, idToken } = mintUserTokens(issuer, { sub });
    return {
      accessToken,
      idToken: idExp === undefined ? idToken : issuer.idToken({ sub, exp: idExp }),
      refreshToken: "refresh-token",
      endsAt: Math.floor(Date.now() / 1000) + 86_400,
    };
  };
  const source = (tokens: StoredTokens): TokenSource & { kept: StoredTokens[] } => {
    const kept: StoredTokens[] = [];
    return { kept, tokens: async () => tokens, keep: async (t) => void kept.push(t) };
  };

  it("refreshes an ID token within 30 s of its exp before sending it (Cognito would refuse it on arrival)", async () => {
    const renewed = tokensOf("nearly-lapsed");
    const { service: s, refresher } = service(async () => renewed);
    await s.forUser({ issuer: issuer.issuer, sub: "nearly-lapsed" }, source(tokensOf("nearly-lapsed", Math.floor(Date.now() / 1000) + 20)));
    expect(refresher.refresh).toHaveBeenCalledTimes(1);
  });

  it("refreshes an ID token past its exp before sending it, and keeps the refreshed tokens", async () => {
    const renewed = tokensOf("lapsed-id");
    const { service: s, refresher } = service(async () => renewed);
    const from = source(tokensOf("lapsed-id", Math.floor(Date.now() / 1000) - 10));
    pool.reset();
    const credentials = await s.forUser({ issuer: issuer.issuer, sub: "lapsed-id" }, from);
    expect(refresher.refresh).toHaveBeenCalledTimes(1);
    expect(from.kept).toEqual([renewed]);
    expect((pool.requests[0]!.body as { Logins: Record<string, string> }).Logins[provider()]).toBe(renewed.idToken);
    expect(credentials.identityId).toBe(pool.identityOf(provider(), "lapsed-id"));
  });

  it("refreshes and tries again once when Cognito refuses a valid session's token; a second refusal is thrown", async () => {
    const { service: s, refresher } = service(async () => tokensOf("refused"));
    pool.failNext("NotAuthorizedException", 1, "Invalid login token.");
    const credentials = await s.forUser({ issuer: issuer.issuer, sub: "refused" }, source(tokensOf("refused")));
    expect(refresher.refresh).toHaveBeenCalledTimes(1);
    expect(credentials.identityId).toBe(pool.identityOf(provider(), "refused"));

    const { service: again, refresher: second } = service(async () => tokensOf("refused-twice"));
    pool.failNext("NotAuthorizedException", 2, "Invalid login token.");
    const thrown = await error(again.forUser({ issuer: issuer.issuer, sub: "refused-twice" }, source(tokensOf("refused-twice"))));
    expect(thrown).toMatchObject({ code: "ERR_COGNITO_REJECTED", type: "NotAuthorizedException" });
    expect(second.refresh).toHaveBeenCalledTimes(1);
  });

  it("a refresh token Cognito refuses ends it: NotSignedInError", async () => {
    const { CognitoRejectedError } = await import("../src/lib/errors.ts");
    const { service: s } = service(async () => {
      throw new CognitoRejectedError("invalid_grant", "refused");
    });
    const thrown = await error(s.forUser({ issuer: issuer.issuer, sub: "ended" }, source(tokensOf("ended", Math.floor(Date.now() / 1000) - 10))));
    expect(isCode(thrown, "ERR_NOT_SIGNED_IN")).toBe(true);
  });

  it("with a shared store, another instance takes the credentials from it, sealed there: one call for both", async () => {
    const store = new SharedMemoryStore();
    const one = service(async (t) => t, store).service;
    const two = service(async (t) => t, store).service;
    pool.reset();
    const owner = { issuer: issuer.issuer, sub: "shared" };
    const [a, b] = await Promise.all([one.forUser(owner, source(tokensOf("shared"))), two.forUser(owner, source(tokensOf("shared")))]);
    expect(b).toEqual(a);
    expect(pool.calls).toEqual({ GetId: 1, GetCredentialsForIdentity: 1 });
    // Nothing of the credentials or the identity is readable in the store.
    const seen: string[] = [];
    await store.watch("", (_key, value) => seen.push(value));
    expect(seen.length).toBeGreaterThan(0);
    for (const value of seen) {
      for (const secret of [a.secretAccessKey, a.sessionToken, a.accessKeyId, a.identityId]) expect(value).not.toContain(secret);
    }
    // A third instance, later, reads them from the store (and the identity), calling nothing.
    const three = service(async (t) => t, store).service;
    const set = vi.spyOn(store, "set");
    expect(await three.forUser(owner, source(tokensOf("shared")))).toEqual(a);
    expect(pool.calls).toEqual({ GetId: 1, GetCredentialsForIdentity: 1 });
    // Found before any lock is taken: no write at all.
    expect(set).not.toHaveBeenCalled();
  });
});

describe("the Cognito Identity client", () => {
  const api = () => ({ endpoint: new URL(pool.endpoint), identityPoolId: pool.identityPoolId, timeoutMs: 2000 });

  it("sends what the protocol asks: POST, x-amz-json-1.1, the AWSCognitoIdentityService target", async () => {
    pool.reset();
    const { idToken } = mintUserTokens(issuer, { sub: "wire" });
    const id = await getId(api(), { [provider()]: idToken });
    const credentials: AwsCredentials = await getCredentialsForIdentity(api(), id, { [provider()]: idToken });
    expect(pool.requests.map((r) => [r.target, r.contentType])).toEqual([
      ["AWSCognitoIdentityService.GetId", "application/x-amz-json-1.1"],
      ["AWSCognitoIdentityService.GetCredentialsForIdentity", "application/x-amz-json-1.1"],
    ]);
    expect(credentials.identityId).toBe(id);
  });

  it("an expired ID token or one of another pool is refused as Cognito refuses it: NotAuthorizedException", async () => {
    const other = await startTestIssuer({ issuer: issuer.issuer, clientId: issuer.clientId });
    try {
      const good = issuer.idToken({ sub: "x" });
      const [head, , signature] = good.split(".");
      const tokens = [
        issuer.idToken({ sub: "x", exp: Math.floor(Date.now() / 1000) - 1 }),
        other.idToken({ sub: "x" }),
        issuer.accessToken({ sub: "x" }),
        issuer.idToken({ sub: "x", token_use: "access" }),
        issuer.idToken({ sub: "x", aud: "anotherclient" }),
        // Signed by the pool's key, for another payload.
        `${head}.${Buffer.from(JSON.stringify({ sub: "y", iss: issuer.issuer, aud: issuer.clientId, token_use: "id", exp: 4e9 })).toString("base64url")}.${signature}`,
      ];
      for (const token of tokens) {
        const thrown = await error(getId(api(), { [provider()]: token }));
        expect(thrown).toMatchObject({ code: "ERR_COGNITO_REJECTED", type: "NotAuthorizedException" });
      }
      // A provider the pool does not list, with a token that verifies.
      const untrusted = await error(getId(api(), { "cognito-idp.us-east-1.amazonaws.com/us-east-1_Other": good }));
      expect(untrusted).toMatchObject({ type: "NotAuthorizedException", detail: expect.stringMatching(/not from a supported provider/) });
      // No Logins where guests are not allowed.
      expect(await error(getId(api()))).toMatchObject({ type: "NotAuthorizedException", detail: expect.stringMatching(/Unauthenticated/) });
    } finally {
      await other.close();
    }
  });

  it("an identity of the pool asked for with another user's login, or none, is refused", async () => {
    const a = mintUserTokens(issuer, { sub: "owner-a" }).idToken;
    const b = mintUserTokens(issuer, { sub: "owner-b" }).idToken;
    const idA = await getId(api(), { [provider()]: a });
    // Guests allowed, so that asking without Logins is refused for being this user's identity.
    pool.allowGuests = true;
    for (const logins of [{ [provider()]: b }, undefined]) {
      expect(await error(getCredentialsForIdentity(api(), idA, logins))).toMatchObject({ type: "NotAuthorizedException" });
    }
    const unknown = await error(getCredentialsForIdentity(api(), "local:00000000-0000-0000-0000-000000000001", { [provider()]: a }));
    expect(unknown).toMatchObject({ type: "ResourceNotFoundException" });
  });
});

describe("configuration", () => {
  const base = () => ({ ...testEnv(issuer) });
  const resolve = (env: Record<string, string>) => createCognitoSession({ env: { ...base(), ...env } }).config.identity;

  it("reads COGNITO_IDENTITY_POOL_ID and defaults the endpoint to the identity pool's region", () => {
    expect(resolve({})).toBeUndefined();
    const identity = resolve({ COGNITO_IDENTITY_POOL_ID: "eu-west-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" });
    expect(identity?.endpoint.href).toBe("https://cognito-identity.eu-west-1.amazonaws.com/");
  });

  it.each([
    [{ COGNITO_IDENTITY_POOL_ID: "eu-west-1_notanidentitypool" }, "COGNITO_IDENTITY_POOL_ID"],
    [{ COGNITO_IDENTITY_POOL_ID: "eu-west-1:0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0x" }, "COGNITO_IDENTITY_POOL_ID"],
    [{ COGNITO_IDENTITY_ENDPOINT: "https://cognito-identity.eu-west-1.amazonaws.com/" }, "COGNITO_IDENTITY_ENDPOINT"],
    [
      { COGNITO_IDENTITY_POOL_ID: "eu-west-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", COGNITO_IDENTITY_ENDPOINT: "http://identity.example.com/" },
      "COGNITO_IDENTITY_ENDPOINT",
    ],
    [
      { COGNITO_IDENTITY_POOL_ID: "eu-west-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", COGNITO_IDENTITY_ENDPOINT: "https://u:p@identity.example.com/" },
      "COGNITO_IDENTITY_ENDPOINT",
    ],
  ])("refuses %j with a ConfigError naming %s", (env, setting) => {
    expect(() => resolve(env)).toThrow(expect.objectContaining({ code: "ERR_CONFIG", setting }));
  });

  it("takes a loopback http endpoint (an emulator) and the options over the environment", () => {
    const auth = createCognitoSession({
      identityPoolId: "local:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
      identityEndpoint: "http://127.0.0.1:9/",
      env: { ...base(), COGNITO_IDENTITY_POOL_ID: "eu-west-1:00000000-0000-0000-0000-000000000000" },
    });
    expect(auth.config.identity).toEqual({ poolId: "local:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", endpoint: new URL("http://127.0.0.1:9/") });
  });
});
