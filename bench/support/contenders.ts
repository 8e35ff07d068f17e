// The session read each library's users write in middleware.ts, as its docs show it,
// set up in-process against the same stand-in pool and the same tokens: a NextRequest
// with the library's own cookies in, a response out (pass on, or redirect to sign-in).
import { createPublicKey, verify as cryptoVerify, type JsonWebKeyInput } from "node:crypto";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { NextRequest, NextResponse } from "next/server";
import { type CognitoSession, type CognitoSessionOptions, createCognitoSession } from "../../src/index.ts";
import { parseCookieHeader } from "../../src/persistence/jar.ts";
import { CLIENT_ID, ISSUER, type TestPool, type TokenSet, USER_POOL_ID } from "./tokens.ts";
import { coreOf } from "../../src/internal.ts";

const require = createRequire(import.meta.url);
export const APP_URL = "http://localhost:3000";
export const PROTECTED = `${APP_URL}/dashboard`;
// The peers' middleware.js files (bench/peers/) carry the same secret as a literal.
const SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

export interface Contender {
  /** Row label, with the version measured. */
  name: string;
  /** What the function does, for the report. */
  what: string;
  /** The `Cookie` header this library's session for `tokens` is sent as (made outside any timing). */
  cookie(tokens: TokenSet): Promise<string>;
  middleware(request: NextRequest): Promise<Response>;
}

export const versionOf = (pkg: string): string => {
  const dir = require.resolve(pkg).replace(/(.*node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+).*/, "$1");
  return (require(join(dir, "package.json")) as { version: string }).version;
};

const cookieHeader = (pairs: Array<{ name: string; value: string }>) => pairs.map((c) => `${c.name}=${c.value}`).join("; ");
const signIn = () => NextResponse.redirect(new URL("/auth/sign-in", APP_URL));

/** Did `response` let a signed-in request through (rather than send it to sign in)? */
export const passedOn = (response: Response) => response.headers.get("x-middleware-next") === "1";

/** The app object, configured against the stand-in pool. */
export const ourApp = (pool: TestPool, options: CognitoSessionOptions = {}) =>
  createCognitoSession({
    userPoolId: USER_POOL_ID,
    clientId: CLIENT_ID,
    issuer: ISSUER,
    jwksUri: pool.jwksUri,
    secret: SECRET,
    appUrl: APP_URL,
    protect: { "/dashboard/:path*": {} },
    env: {},
    ...options,
  });

/** next-cognito-session: `auth.middleware`, verifying access + ID token, caches on. */
export async function ours(pool: TestPool): Promise<Contender> {
  const auth = ourApp(pool);
  // Cookies are made by another instance: the one measured must not have seen them (its
  // unseal cache would otherwise hold every cookie it wrote, and "cold" would not be cold).
  const writer = ourApp(pool);
  return {
    name: "next-cognito-session",
    what: "`auth.middleware`: access + ID token verified (verified-token and unseal caches), sealed refresh/ID cookie opened",
    cookie: async (tokens) => cookieHeader((await sessionCookies(writer, tokens)).set),
    middleware: auth.middleware,
  };
}

/** Our Set-Cookie changes for a token set, through the library's own cookie writer. */
export async function sessionCookies(auth: CognitoSession<any>, tokens: TokenSet) {
  const endsAt = Math.floor(Date.now() / 1000) + 30 * 24 * 3600;
  return coreOf(auth).storage.write(parseCookieHeader(""), { ...tokens, endsAt });
}

/**
 * A peer's documented middleware: bench/peers/<name>/middleware.js, the very file the bundle
 * benchmark builds into a Next app. Its placeholder pool, client and secret are ours.
 */
async function peerMiddleware(name: string): Promise<(request: NextRequest) => Promise<Response>> {
  const { middleware } = await import(`../peers/${name}/middleware.js`);
  // Like Next, treat "no response" as "go on".
  return async (request) => (await middleware(request, {})) ?? NextResponse.next();
}

/** The Amplify adapter's documented middleware: runWithAmplifyServerContext + fetchAuthSession. */
export async function amplify(pool: TestPool): Promise<Contender> {
  await pool.serveCognitoHostLocally();
  const { createTokenCookies } = await amplifyInternals();
  return {
    name: `@aws-amplify/adapter-nextjs ${versionOf("@aws-amplify/adapter-nextjs")}`,
    what: "`runWithAmplifyServerContext` + `fetchAuthSession`: access + ID token verified by aws-jwt-verify on every read",
    cookie: async (tokens) =>
      cookieHeader(
        createTokenCookies({
          tokensPayload: { access_token: tokens.accessToken, id_token: tokens.idToken, refresh_token: tokens.refreshToken },
          userPoolClientId: CLIENT_ID,
        }),
      ),
    middleware: await peerMiddleware("amplify"),
  };
}

/** The adapter's own cookie naming and attributes (not exported from its package entry). */
export async function amplifyInternals() {
  const dir = require.resolve("@aws-amplify/adapter-nextjs").replace(/dist[\\/]cjs[\\/].*$/, "");
  const url = (file: string) => pathToFileURL(join(dir, "dist/esm", file)).href;
  const cookies = await import(url("auth/utils/tokenCookies.mjs"));
  const { serializeCookie } = await import(url("utils/cookie/serializeCookie.mjs"));
  return {
    createTokenCookies: cookies.createTokenCookies as (input: {
      tokensPayload: { access_token: string; id_token: string; refresh_token: string };
      userPoolClientId: string;
    }) => Array<{ name: string; value: string }>,
    createTokenCookiesSetOptions: cookies.createTokenCookiesSetOptions as (options: object, origin: string) => object,
    serializeCookie: serializeCookie as (name: string, value: string, options: object) => string,
  };
}

/** Auth.js v5 (`next-auth@5`): `auth(callback)` as middleware, JWT strategy (a JWE cookie). */
export async function authjs(): Promise<Contender> {
  const { encode } = await import("next-auth/jwt");
  const name = "authjs.session-token";
  return {
    name: `next-auth ${versionOf("next-auth")}`,
    what: "`auth(callback)` middleware: JWE session cookie decrypted, then re-encrypted and re-set (rolling expiry); tokens not verified",
    async cookie(tokens) {
      // Cognito's tokens kept in the session, as apps that call APIs or refresh must keep them.
      const token = {
        sub: tokens.sub,
        email: tokens.email,
        accessToken: tokens.accessToken,
        idToken: tokens.idToken,
        refreshToken: tokens.refreshToken,
        expiresAt: tokens.exp,
      };
      return `${name}=${await encode({ token, secret: SECRET, salt: name })}`;
    },
    middleware: await peerMiddleware("authjs"),
  };
}

/** Auth0 v4 (`@auth0/nextjs-auth0@4`): `auth0.middleware` then `auth0.getSession`, as its docs show. */
export async function auth0(): Promise<Contender> {
  const { generateSessionCookie } = await import("@auth0/nextjs-auth0/testing");
  return {
    name: `@auth0/nextjs-auth0 ${versionOf("@auth0/nextjs-auth0/server")}`,
    what: "`auth0.middleware` + `getSession`: JWE session cookie decrypted, rolling cookie re-encrypted and re-set; tokens not verified",
    async cookie(tokens) {
      const session = {
        user: { sub: tokens.sub, email: tokens.email },
        tokenSet: {
          accessToken: tokens.accessToken,
          idToken: tokens.idToken,
          refreshToken: tokens.refreshToken,
          expiresAt: tokens.exp,
        },
      };
      return `__session=${await generateSessionCookie(session, { secret: SECRET })}`;
    },
    middleware: await peerMiddleware("auth0"),
  };
}

/** iron-session: `getIronSession(request, response)`; the sealed token set, not verified. */
export async function ironSession(): Promise<Contender> {
  const { getIronSession, sealData } = await import("iron-session");
  const options = { password: SECRET, cookieName: "session" };
  type Data = { accessToken?: string };
  return {
    name: `iron-session ${versionOf("iron-session")}`,
    what: "`getIronSession`: one sealed cookie unsealed (HMAC + AES-CBC); tokens not verified",
    cookie: async (tokens) =>
      `session=${await sealData({ accessToken: tokens.accessToken, idToken: tokens.idToken, refreshToken: tokens.refreshToken }, { password: SECRET })}`,
    async middleware(request) {
      const response = NextResponse.next();
      const session = await getIronSession<Data>(request, response, options);
      return session.accessToken ? response : signIn();
    },
  };
}

/**
 * The floor: the two RS256 signature checks a verified session read needs, with the
 * fastest primitive Node has (node:crypto, synchronous, key imported once), nothing else.
 */
export async function floor(pool: TestPool): Promise<Contender> {
  const key = createPublicKey({ key: pool.jwks.keys[0] as JsonWebKeyInput["key"], format: "jwk" });
  const verify = (jwt: string | undefined) => {
    if (!jwt) return false;
    const dot = jwt.lastIndexOf(".");
    return cryptoVerify("sha256", Buffer.from(jwt.slice(0, dot), "latin1"), key, Buffer.from(jwt.slice(dot + 1), "base64url"));
  };
  return {
    name: "raw RS256 verify (floor)",
    what: "node:crypto RS256 verify of the access and ID token, no claim checks, no cache",
    cookie: async (tokens) => `at=${tokens.accessToken}; it=${tokens.idToken}`,
    async middleware(request) {
      const ok = verify(request.cookies.get("at")?.value) && verify(request.cookies.get("it")?.value);
      return ok ? NextResponse.next() : signIn();
    },
  };
}

/**
 * The envelope alone: a NextRequest in, NextResponse.next() out; every row pays this. With
 * `pool`, the request carries the very Cookie header our session is sent as (Next parses
 * and checks every byte of it while building the NextRequest, whatever the middleware does
 * next): the cost our warm read is measured against. Without, it carries the access token
 * alone, a smaller request than any row's.
 */
export async function envelope(pool?: TestPool): Promise<Contender> {
  const writer = pool && ourApp(pool);
  const name = writer ? coreOf(writer).cookieNames.access : "at";
  return {
    name: writer ? "no auth (envelope, our Cookie header)" : "no auth (envelope, access token cookie only)",
    what: writer
      ? "NextRequest built with the Cookie header our session is sent as, cookie present, NextResponse.next() returned"
      : "NextRequest built with a cookie of the access token alone, cookie present, NextResponse.next() returned",
    cookie: async (tokens) => (writer ? cookieHeader((await sessionCookies(writer, tokens)).set) : `at=${tokens.accessToken}`),
    middleware: async (request) => (request.cookies.has(name) ? NextResponse.next() : signIn()),
  };
}

// The forwarding headers Next's server adds to every request (Auth.js builds its URLs from them).
const FORWARDED = { host: "localhost:3000", "x-forwarded-host": "localhost:3000", "x-forwarded-proto": "http", "x-forwarded-port": "3000" };

/** A request for the protected page carrying `cookie`, as Next's server hands it to middleware. */
export const requestWith = (cookie: string) => new NextRequest(PROTECTED, { headers: { ...FORWARDED, cookie, accept: "text/html" } });
