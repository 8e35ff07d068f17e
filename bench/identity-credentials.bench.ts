// Identity-pool credentials on the server: what `getAwsCredentials()` costs once they are
// cached, and how many Cognito Identity calls a burst of requests makes, counted at the
// identity endpoint (the testing kit's double), beside the Amplify adapter's
// `fetchAuthSession` doing the same work (`runWithAmplifyServerContext`, identity pool
// configured) against the same endpoint, the same pool and the same tokens.
import { randomUUID } from "node:crypto";
import { createServerRunner } from "@aws-amplify/adapter-nextjs";
import { fetchAuthSession } from "aws-amplify/auth/server";
import { NextResponse } from "next/server";
import { startTestIdentityPool } from "../src/testing/identity-pool.ts";
import { APP_URL, amplifyInternals, ourApp, requestWith, sessionCookies, versionOf } from "./support/contenders.ts";
import { fmt, fmtRatio, fmtSpread, summarize, writeResult } from "./support/stats.ts";
import { CLIENT_ID, COGNITO_HOST, createTestPool, ISSUER, REGION, type TokenSet, USER_POOL_ID } from "./support/tokens.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CALLS = 20_000;
const BURST = 100;
const AMPLIFY_REQUESTS = 200;

const pool = await createTestPool();
await pool.serveCognitoHostLocally();
const identity = await startTestIdentityPool({
  identityPoolId: `${REGION}:${randomUUID()}`,
  providers: [{ issuer: ISSUER, jwksUri: pool.jwksUri, clientIds: [CLIENT_ID] }],
});
const identityOptions = { identityPoolId: identity.identityPoolId, identityEndpoint: identity.endpoint };
const cookieHeader = (pairs: Array<{ name: string; value: string }>) => pairs.map((c) => `${c.name}=${c.value}`).join("; ");

// --- ours: credentials from the cache --------------------------------------------------
const auth = ourApp(pool, identityOptions);
const user = pool.mint();
const request = new Request(`${APP_URL}/files`, { headers: { cookie: cookieHeader((await sessionCookies(auth, user)).set) } });
const first = await auth.runWithSession(request, () => auth.getAwsCredentials());
if (identity.calls.GetCredentialsForIdentity !== 1) throw new Error("the first call did not fetch credentials");

/** µs per getAwsCredentials() inside one request's scope (what each SDK call through awsCredentials() costs). */
async function inScope(): Promise<number> {
  return auth.runWithSession(request, async () => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) await auth.getAwsCredentials();
    return Number(process.hrtime.bigint() - start) / 1000 / CALLS;
  });
}
/** µs per request that reads its session (a session-cache hit) and asks for credentials once. */
async function perRequest(): Promise<number> {
  const n = CALLS / 4;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await auth.runWithSession(request, () => auth.getAwsCredentials());
  return Number(process.hrtime.bigint() - start) / 1000 / n;
}
await inScope();
await perRequest();
const scoped: number[] = [];
const requests: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  scoped.push(await inScope());
  requests.push(await perRequest());
}
if (identity.calls.GetCredentialsForIdentity !== 1) throw new Error("cached credentials were fetched again");
const again = await auth.runWithSession(request, () => auth.getAwsCredentials());
if (again.accessKeyId !== first.accessKeyId) throw new Error("not the cached credentials");

// --- ours: a burst of one user's requests with nothing cached ----------------------------
async function oursBurst(): Promise<{ getId: number; credentials: number; distinct: number }> {
  const fresh = ourApp(pool, identityOptions);
  const tokens = pool.mint();
  const cookie = cookieHeader((await sessionCookies(fresh, tokens)).set);
  identity.reset();
  const all = await Promise.all(
    Array.from({ length: BURST }, () => fresh.runWithSession(new Request(`${APP_URL}/files`, { headers: { cookie } }), () => fresh.getAwsCredentials())),
  );
  return { getId: identity.calls.GetId, credentials: identity.calls.GetCredentialsForIdentity, distinct: new Set(all.map((c) => c.accessKeyId)).size };
}
const burst = await oursBurst();

// --- the Amplify adapter: fetchAuthSession with the identity pool configured --------------
const { runWithAmplifyServerContext } = createServerRunner({
  config: {
    Auth: {
      Cognito: {
        userPoolId: USER_POOL_ID,
        userPoolClientId: CLIENT_ID,
        identityPoolId: identity.identityPoolId,
        identityPoolEndpoint: identity.endpoint,
      },
    },
  },
});
const { createTokenCookies } = await amplifyInternals();
const amplifyCookie = (tokens: TokenSet) =>
  cookieHeader(
    createTokenCookies({
      tokensPayload: { access_token: tokens.accessToken, id_token: tokens.idToken, refresh_token: tokens.refreshToken },
      userPoolClientId: CLIENT_ID,
    }),
  );
/** One request through the adapter's documented server context, asking for credentials. */
async function amplifyCredentials(cookie: string): Promise<string | undefined> {
  const nextRequest = requestWith(cookie);
  const response = NextResponse.next();
  return runWithAmplifyServerContext({
    nextServerContext: { request: nextRequest, response },
    operation: async (contextSpec) => (await fetchAuthSession(contextSpec)).credentials?.accessKeyId,
  });
}
let amplify: { perRequestMs: ReturnType<typeof summarize>; callsPerRequest: number; burst: { getId: number; credentials: number } } | { unmeasured: string };
// Amplify warns on every call that the identity pool endpoint is a custom one; keep stdout for the figures.
const warn = console.warn;
console.warn = () => {};
try {
  const tokens = pool.mint();
  const cookie = amplifyCookie(tokens);
  const probe = await amplifyCredentials(cookie);
  if (!probe) throw new Error("fetchAuthSession returned no credentials");
  identity.reset();
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < AMPLIFY_REQUESTS / ROUNDS; i++) await amplifyCredentials(cookie);
    times.push(Number(process.hrtime.bigint() - start) / 1e6 / Math.floor(AMPLIFY_REQUESTS / ROUNDS));
  }
  const sequential = Math.floor(AMPLIFY_REQUESTS / ROUNDS) * ROUNDS;
  const callsPerRequest = (identity.calls.GetId + identity.calls.GetCredentialsForIdentity) / sequential;
  const burstCookie = amplifyCookie(pool.mint());
  identity.reset();
  await Promise.all(Array.from({ length: BURST }, () => amplifyCredentials(burstCookie)));
  amplify = { perRequestMs: summarize(times), callsPerRequest, burst: { getId: identity.calls.GetId, credentials: identity.calls.GetCredentialsForIdentity } };
} catch (error) {
  amplify = { unmeasured: String((error as Error).message ?? error).slice(0, 200) };
} finally {
  console.warn = warn;
}

const scopedSpread = summarize(scoped);
const requestSpread = summarize(requests);
const amplifyName = `@aws-amplify/adapter-nextjs ${versionOf("@aws-amplify/adapter-nextjs")}`;
const rows: string[][] = [
  ["next-cognito-session: `getAwsCredentials()` in a request's scope, cached", `${fmtSpread(scopedSpread)} µs`, "0"],
  ["next-cognito-session: a request (session read from its cookies) + `getAwsCredentials()`, cached", `${fmtSpread(requestSpread)} µs`, "0"],
];
if ("perRequestMs" in amplify) {
  rows.push([
    `${amplifyName}: \`runWithAmplifyServerContext\` + \`fetchAuthSession\` per request`,
    `${fmtSpread(amplify.perRequestMs)} ms`,
    fmt(amplify.callsPerRequest),
  ]);
}
const burstRows: string[][] = [["next-cognito-session", String(burst.getId), String(burst.credentials)]];
if ("burst" in amplify) burstRows.push([amplifyName, String(amplify.burst.getId), String(amplify.burst.credentials)]);

writeResult({
  bench: "identity-credentials",
  title: "Identity-pool credentials on the server",
  tables: [
    { title: "Credentials once cached (median of runs, range)", columns: ["what", "time per call", "Cognito Identity calls per call"], rows },
    {
      title: `${BURST} concurrent requests of one user, nothing cached: calls counted at the identity endpoint`,
      columns: ["library", "GetId", "GetCredentialsForIdentity"],
      rows: burstRows,
    },
  ],
  goals: [
    { goal: "credentials from the cache ≤ 5 µs (median)", met: scopedSpread.median <= 5, figure: `${fmt(scopedSpread.median)} µs` },
    {
      goal: `${BURST} concurrent requests, nothing cached: exactly 1 GetId and 1 GetCredentialsForIdentity`,
      met: burst.getId === 1 && burst.credentials === 1 && burst.distinct === 1,
      figure: `${burst.getId} GetId, ${burst.credentials} GetCredentialsForIdentity`,
    },
  ],
  ...("perRequestMs" in amplify
    ? {
        headline: [
          {
            measure: "AWS credentials for a signed-in request, cached (µs per request)",
            ours: fmt(requestSpread.median),
            against: `${amplifyName} fetchAuthSession: ${fmt(amplify.perRequestMs.median * 1000)}`,
            ratio: fmtRatio((amplify.perRequestMs.median * 1000) / requestSpread.median),
          },
        ],
      }
    : {}),
  notes: [
    `The identity endpoint is the testing kit's double on 127.0.0.1 (${COGNITO_HOST}'s JWKS served locally); real Cognito Identity adds a network round trip per call, which is what the call counts cost.`,
    "Amplify's server context is made per request and keeps nothing between requests, so every request asks Cognito Identity again; ours keeps credentials per user until 5 minutes before they lapse.",
    ...("unmeasured" in amplify ? [`The Amplify adapter could not be measured: ${amplify.unmeasured}`] : []),
  ],
  figures: { scopedMicros: scoped, perRequestMicros: requests, burst, amplify },
});

await identity.close();
await pool.close();
