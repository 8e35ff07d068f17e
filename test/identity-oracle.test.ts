// The AWS SDK's own Cognito Identity client (@aws-sdk/client-cognito-identity) as the oracle:
// the library's calls reach the identity endpoint in the same shape as the SDK's, and the
// library reads the answers the SDK reads. fast-check properties for what attackers or a
// broken proxy control: the answers the library parses, and the requests the test double parses.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand } from "@aws-sdk/client-cognito-identity";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callIdentity, getCredentialsForIdentity, parseCredentials, providerName } from "../src/cognito/identity.ts";
import { isCode } from "../src/lib/errors.ts";
import {
  handlerOf,
  mintUserTokens,
  parseIdentityRequest,
  startTestIdentityPool,
  startTestIssuer,
  type TestIdentityPool,
  type TestIssuer,
} from "next-cognito-session/testing";

let issuer: TestIssuer;
let pool: TestIdentityPool;
/** A server answering whatever `answer` holds: for feeding the same body to the SDK and to the library. */
let canned: Server;
let cannedUrl: string;
let answer = { status: 200, body: "{}" };

beforeAll(async () => {
  issuer = await startTestIssuer();
  pool = await startTestIdentityPool({ providers: [{ issuer: issuer.issuer, clientIds: [issuer.clientId] }], allowGuests: true });
  canned = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(answer.status, { "content-type": "application/x-amz-json-1.1" });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => canned.listen(0, "127.0.0.1", resolve));
  cannedUrl = `http://127.0.0.1:${(canned.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  await pool.close();
  await issuer.close();
  canned.closeAllConnections();
  await new Promise((resolve) => canned.close(resolve));
});

const sdk = (endpoint: string) => new CognitoIdentityClient({ region: "us-east-1", endpoint, maxAttempts: 1 });
const api = (endpoint: string) => ({ endpoint: new URL(endpoint), identityPoolId: pool.identityPoolId, timeoutMs: 2000 });

describe("the SDK as oracle", () => {
  it("the library's GetId and GetCredentialsForIdentity reach the endpoint as the SDK's do (target, content type, body)", async () => {
    const { idToken } = mintUserTokens(issuer, { sub: "oracle" });
    const logins = { [providerName(issuer.issuer)]: idToken };
    pool.reset();
    const viaSdk = await sdk(pool.endpoint).send(new GetIdCommand({ IdentityPoolId: pool.identityPoolId, Logins: logins }));
    await sdk(pool.endpoint).send(new GetCredentialsForIdentityCommand({ IdentityId: viaSdk.IdentityId, Logins: logins }));
    const sdkRequests = pool.requests.slice();
    pool.reset();
    const { getId } = await import("../src/cognito/identity.ts");
    const viaLibrary = await getId(api(pool.endpoint), logins);
    await getCredentialsForIdentity(api(pool.endpoint), viaLibrary, logins);
    expect(viaLibrary).toBe(viaSdk.IdentityId);
    expect(pool.requests).toEqual(sdkRequests);
    // Guests: no Logins at all, both ways.
    pool.reset();
    const guest = await sdk(pool.endpoint).send(new GetIdCommand({ IdentityPoolId: pool.identityPoolId }));
    await sdk(pool.endpoint).send(new GetCredentialsForIdentityCommand({ IdentityId: guest.IdentityId }));
    const sdkGuest = pool.requests.map(({ target, body }) => ({ target, keys: Object.keys(body as object) }));
    pool.reset();
    await getCredentialsForIdentity(api(pool.endpoint), await getId(api(pool.endpoint)));
    expect(pool.requests.map(({ target, body }) => ({ target, keys: Object.keys(body as object) }))).toEqual(sdkGuest);
  });

  it("the credentials the library reads are the ones the SDK reads, from the double's answers", async () => {
    const { idToken } = mintUserTokens(issuer, { sub: "oracle-read" });
    const logins = { [providerName(issuer.issuer)]: idToken };
    const identityId = await (await import("../src/cognito/identity.ts")).getId(api(pool.endpoint), logins);
    // One answer of the double, replayed to both.
    const handle = handlerOf(pool);
    const { body } = await handle(
      "AWSCognitoIdentityService.GetCredentialsForIdentity",
      "application/x-amz-json-1.1",
      JSON.stringify({ IdentityId: identityId, Logins: logins }),
    );
    answer = { status: 200, body: JSON.stringify(body) };
    const bySdk = await sdk(cannedUrl).send(new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: logins }));
    const byLibrary = await getCredentialsForIdentity(api(cannedUrl), identityId, logins);
    expect(byLibrary).toEqual({
      identityId: bySdk.IdentityId,
      accessKeyId: bySdk.Credentials?.AccessKeyId,
      secretAccessKey: bySdk.Credentials?.SecretKey,
      sessionToken: bySdk.Credentials?.SessionToken,
      expiration: bySdk.Credentials?.Expiration,
    });
  });

  // Invariant: whatever a GetCredentialsForIdentity answer holds, when the library accepts it
  // the SDK reads the very same values from it; and every well-formed answer is accepted.
  it("property: the library accepts only what the SDK reads, and reads it the same", async () => {
    const printable = (min: number, max: number) =>
      fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789+/=-_"), minLength: min, maxLength: max });
    const identityId = "us-east-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    const wellFormed = fc.record({
      IdentityId: fc.constant(identityId),
      Credentials: fc.record({
        AccessKeyId: printable(16, 40),
        SecretKey: printable(16, 60),
        SessionToken: printable(16, 400),
        Expiration: fc.double({ min: Date.now() / 1000 + 60, max: Date.now() / 1000 + 86_400, noNaN: true }),
      }),
    });
    const mangled = fc.oneof(
      wellFormed.map((b) => ({ ...b, IdentityId: "us-east-1:00000000-0000-0000-0000-000000000000" })),
      wellFormed.chain((b) =>
        fc.constantFrom("AccessKeyId", "SecretKey", "SessionToken", "Expiration").map((k) => ({ ...b, Credentials: { ...b.Credentials, [k]: undefined } })),
      ),
      wellFormed.map((b) => ({ ...b, Credentials: { ...b.Credentials, Expiration: String(b.Credentials.Expiration) } })),
      wellFormed.map((b) => ({ ...b, Credentials: { ...b.Credentials, Expiration: Date.now() / 1000 - 10 } })),
      fc.jsonValue(),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          wellFormed.map((b) => ({ b, good: true })),
          mangled.map((b) => ({ b, good: false })),
        ),
        async ({ b, good }) => {
          answer = { status: 200, body: JSON.stringify(b) };
          const byLibrary = await getCredentialsForIdentity(api(cannedUrl), identityId).catch(() => undefined);
          if (good) expect(byLibrary).toBeDefined();
          if (byLibrary === undefined) return;
          const bySdk = await sdk(cannedUrl).send(new GetCredentialsForIdentityCommand({ IdentityId: identityId }));
          expect(byLibrary).toEqual({
            identityId: bySdk.IdentityId,
            accessKeyId: bySdk.Credentials?.AccessKeyId,
            secretAccessKey: bySdk.Credentials?.SecretKey,
            sessionToken: bySdk.Credentials?.SessionToken,
            expiration: bySdk.Credentials?.Expiration,
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("hostile answers and requests", () => {
  // Invariant: any status and body an endpoint (or a proxy before it) answers yields either
  // complete credentials from a 2xx, or one of the library's errors: never a crash, never a partial value.
  it("property: an answer is credentials, CognitoUnavailableError, CognitoRejectedError or ConfigError, nothing else", async () => {
    const identityId = "us-east-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    const fetchOf =
      (status: number, text: string): typeof fetch =>
      async () =>
        new Response(status === 204 ? null : text, { status });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(200, 204, 400, 403, 404, 429, 500, 502, 503),
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.record({ __type: fc.string(), message: fc.string() }).map((v) => JSON.stringify(v)),
          fc
            .constantFrom("ResourceNotFoundException", "NotAuthorizedException", "aws#TooManyRequestsException", "x:y")
            .map((t) => JSON.stringify({ __type: t })),
        ),
        async (status, text) => {
          const options = { ...api(cannedUrl), fetch: fetchOf(status, text) };
          const outcome = await getCredentialsForIdentity(options, identityId).then(
            (credentials) => ({ credentials }),
            (error: unknown) => ({ error }),
          );
          if ("credentials" in outcome) {
            expect(status).toBe(200);
            expect(parseCredentials(JSON.parse(text), identityId)).toEqual(outcome.credentials);
            return;
          }
          const { error } = outcome;
          expect(["ERR_COGNITO_UNAVAILABLE", "ERR_COGNITO_REJECTED", "ERR_CONFIG"].some((code) => isCode(error, code as never))).toBe(true);
          if (status >= 500) expect(isCode(error, "ERR_COGNITO_UNAVAILABLE")).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
    // Parsing alone, over any value at all: never throws, never a partial value.
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const parsed = parseCredentials(value, identityId);
        if (parsed) expect(Object.values(parsed).every((v) => v !== undefined && v !== "")).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("parseCredentials refuses an answer for another identity, with a field missing or empty, or already expired", () => {
    const identityId = "us-east-1:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    const good = {
      IdentityId: identityId,
      Credentials: { AccessKeyId: "ASIAABCDEFGHIJKLMNOP", SecretKey: "s".repeat(40), SessionToken: "t".repeat(400), Expiration: 4e9 },
    };
    expect(parseCredentials(good, identityId)).toMatchObject({ accessKeyId: "ASIAABCDEFGHIJKLMNOP", expiration: new Date(4e12) });
    const bad = [
      { ...good, IdentityId: "us-east-1:00000000-0000-0000-0000-000000000000" },
      { ...good, Credentials: { ...good.Credentials, SecretKey: "" } },
      { ...good, Credentials: { ...good.Credentials, SessionToken: undefined } },
      { ...good, Credentials: { ...good.Credentials, Expiration: Date.now() / 1000 - 1 } },
      { ...good, Credentials: { ...good.Credentials, Expiration: "4000000000" } },
    ];
    for (const body of bad) expect(parseCredentials(body, identityId)).toBeUndefined();
  });

  it("a timeout and a refused connection are CognitoUnavailableError", async () => {
    const hang: typeof fetch = (_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
    const refused: typeof fetch = async () => Promise.reject(new TypeError("fetch failed"));
    for (const broken of [hang, refused]) {
      const error = await callIdentity({ ...api(cannedUrl), timeoutMs: 50, fetch: broken }, "GetId", {}).catch((e: unknown) => e);
      expect(isCode(error, "ERR_COGNITO_UNAVAILABLE")).toBe(true);
    }
  });

  // Invariant: the double parses any request without throwing, and no request it can be sent
  // without a token signed by a trusted pool's key yields an identity or credentials.
  it("property: hostile requests to the double never crash it and never yield an identity or credentials", async () => {
    const strict = await startTestIdentityPool({ identityPoolId: pool.identityPoolId, providers: [{ issuer: issuer.issuer, clientIds: [issuer.clientId] }] });
    const handle = handlerOf(strict);
    const known = mintUserTokens(issuer, { sub: "victim" });
    const victim = await (await import("../src/cognito/identity.ts")).getId(
      { endpoint: new URL(strict.endpoint), identityPoolId: pool.identityPoolId, timeoutMs: 2000 },
      { [providerName(issuer.issuer)]: known.idToken },
    );
    const forged = fc.oneof(
      fc.string(),
      fc.constant(known.accessToken),
      fc.constant(`${known.idToken.split(".").slice(0, 2).join(".")}.${"A".repeat(20)}`),
      fc.constant(issuer.idToken({ sub: "victim", exp: Math.floor(Date.now() / 1000) - 1 })),
      fc.constant(issuer.idToken({ sub: "victim", aud: "other" })),
    );
    const logins = fc.dictionary(fc.oneof(fc.string(), fc.constant(providerName(issuer.issuer))), forged, { maxKeys: 3 });
    const body = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record(
          { IdentityPoolId: fc.oneof(fc.constant(pool.identityPoolId), fc.string()), Logins: fc.option(logins, { nil: undefined }) },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
      fc
        .record({ IdentityId: fc.oneof(fc.constant(victim), fc.string()), Logins: fc.option(logins, { nil: undefined }) }, { requiredKeys: [] })
        .map((v) => JSON.stringify(v)),
    );
    const target = fc.oneof(fc.constantFrom("AWSCognitoIdentityService.GetId", "AWSCognitoIdentityService.GetCredentialsForIdentity"), fc.string());
    const type = fc.oneof(fc.constant("application/x-amz-json-1.1"), fc.string());
    try {
      await fc.assert(
        fc.asyncProperty(target, type, body, async (t, c, b) => {
          expect(() => parseIdentityRequest(t, c, b)).not.toThrow();
          const answer = await handle(t, c, b);
          expect(answer.status).toBeGreaterThanOrEqual(400);
          expect(answer.body.Credentials).toBeUndefined();
          expect(answer.body.IdentityId).toBeUndefined();
        }),
        { numRuns: 300 },
      );
    } finally {
      await strict.close();
    }
  });
});
