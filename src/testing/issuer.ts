/**
 * A stand-in for a Cognito user pool's token signing, for tests: an RS256 key pair, tokens
 * shaped like Cognito's with any claim or header changed, and the pool's JWKS served from
 * an HTTP server on 127.0.0.1 that counts its requests and can be made to fail.
 * Node only (node:crypto, node:http); never imported by the library itself.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** JSON values a header or claim may hold. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** Claims or header parameters; a key set to `undefined` is left out of the token. */
export type Overrides = Record<string, Json | undefined>;

/** What the JWKS endpoint does when asked. */
export type JwksMode =
  /** Serve the current keys. */
  | "up"
  /** Answer 503. */
  | "down"
  /** Accept the connection and never answer (a timeout). */
  | "hang";

export interface TestIssuerOptions {
  /** Pool id in the issuer URL. Default `local_testpool`. */
  userPoolId?: string;
  /** App client id put in `client_id` / `aud`. Default `testclient`. */
  clientId?: string;
  /**
   * The `iss` of minted tokens. Default `http://127.0.0.1:<port>/<userPoolId>`, the URL
   * whose `/.well-known/jwks.json` this issuer serves.
   */
  issuer?: string;
  /** `kid` of the first key. Default a Cognito-like one with `+`, `/` and `=` in it. */
  kid?: string;
  /** Access and ID token lifetime in seconds. Default 3600. */
  ttl?: number;
}

/** A signing key of the issuer. */
export interface TestKey {
  kid: string;
  privateKey: KeyObject;
  /** The public half as a JWK (`kty`, `n`, `e`, `kid`, `alg`, `use`). */
  publicJwk: JsonWebKey & { kid: string };
}

/** A running test issuer; see {@link startTestIssuer}. */
export interface TestIssuer {
  readonly userPoolId: string;
  readonly clientId: string;
  readonly issuer: string;
  /** `http://127.0.0.1:<port>/<userPoolId>/.well-known/jwks.json`. */
  readonly jwksUri: string;
  /** The key tokens are signed with: the last one added. */
  readonly key: TestKey;
  /** Requests the JWKS endpoint has received, whatever it answered. */
  readonly jwksRequests: number;
  /** What the JWKS endpoint does; change it at any time. */
  jwksMode: JwksMode;
  /** A Cognito-shaped access token for a user; `claims` override or (with `undefined`) remove defaults. */
  accessToken(claims?: Overrides, header?: Overrides): string;
  /** A Cognito-shaped ID token; `claims` override or (with `undefined`) remove defaults. */
  idToken(claims?: Overrides, header?: Overrides): string;
  /** A machine-to-machine access token (client credentials): `client_id`, `scope`, no `username`. */
  machineToken(scope: string, claims?: Overrides): string;
  /** Sign exactly `payload` under `header` (merged over `{ alg: "RS256", kid }`) with the current key. */
  sign(payload: Overrides, header?: Overrides): string;
  /** Add a key to the JWKS and sign with it from now on; returns it. */
  rotate(kid?: string): TestKey;
  /** Drop a key from the JWKS (tokens it signed stop verifying once the JWKS is fetched again). */
  removeKey(kid: string): void;
  /** Stop the server. */
  close(): Promise<void>;
}

/** A Cognito-looking key id: 44 base64 characters, always with `+`, `/` and `=` in it as real ones often have. */
export function cognitoKid(): string {
  return `${randomBytes(30).toString("base64")}+/8=`;
}

/** Generate a 2048-bit RS256 key pair under `kid`. */
export function generateTestKey(kid: string = cognitoKid()): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const { n, e } = publicKey.export({ format: "jwk" });
  return { kid, privateKey, publicJwk: { kty: "RSA", n, e, kid, alg: "RS256", use: "sig" } };
}

/** base64url of a string or bytes. */
export function base64Url(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64url");
}

/**
 * A compact JWS over exactly `header` and `payload`, signed RS256 with `privateKey`
 * whatever `header.alg` claims (so tests can lie in the header). Keys set to `undefined`
 * are left out.
 */
export function signJwt(header: Overrides, payload: Overrides, privateKey: KeyObject | string): string {
  const input = `${base64Url(JSON.stringify(header))}.${base64Url(JSON.stringify(payload))}`;
  const key = typeof privateKey === "string" ? createPrivateKey(privateKey) : privateKey;
  return `${input}.${base64Url(sign("sha256", Buffer.from(input), key))}`;
}

/**
 * Start a test issuer: a key pair and a JWKS server on 127.0.0.1 (a free port). Stop it
 * with `close()`.
 *
 * @example
 * const pool = await startTestIssuer();
 * const auth = createCognitoSession({ userPoolId: pool.userPoolId, clientId: pool.clientId,
 *   issuer: pool.issuer, jwksUri: pool.jwksUri, ... });
 * fetch("/api/orders", { headers: { authorization: `Bearer ${pool.accessToken({ scope: "orders/read" })}` } });
 */
export async function startTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const userPoolId = options.userPoolId ?? "local_testpool";
  const clientId = options.clientId ?? "testclient";
  const ttl = options.ttl ?? 3600;
  const keys: TestKey[] = [generateTestKey(options.kid)];
  const jwksPath = `/${userPoolId}/.well-known/jwks.json`;
  let jwksRequests = 0;
  const hanging = new Set<import("node:http").ServerResponse>();

  const server: Server = createServer((request, response) => {
    if (request.url !== jwksPath) {
      response.writeHead(404).end();
      return;
    }
    jwksRequests++;
    if (state.jwksMode === "hang") {
      hanging.add(response);
      return;
    }
    if (state.jwksMode === "down") {
      response.writeHead(503).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = options.issuer ?? `${base}/${userPoolId}`;

  const current = () => keys[keys.length - 1]!;
  const now = () => Math.floor(Date.now() / 1000);
  const signPayload = (payload: Overrides, header: Overrides = {}) =>
    signJwt(drop({ kid: current().kid, alg: "RS256", ...header }), drop(payload), current().privateKey);
  const common = (sub: string) => ({
    sub,
    iss: issuer,
    origin_jti: randomUUID(),
    event_id: randomUUID(),
    auth_time: now(),
    iat: now(),
    exp: now() + ttl,
    jti: randomUUID(),
  });

  const state: TestIssuer = {
    userPoolId,
    clientId,
    issuer,
    jwksUri: `${base}${jwksPath}`,
    get key() {
      return current();
    },
    get jwksRequests() {
      return jwksRequests;
    },
    jwksMode: "up",
    accessToken(claims = {}, header = {}) {
      const sub = typeof claims.sub === "string" ? claims.sub : randomUUID();
      return signPayload({ ...common(sub), token_use: "access", client_id: clientId, scope: "openid email profile", username: sub, ...claims }, header);
    },
    idToken(claims = {}, header = {}) {
      const sub = typeof claims.sub === "string" ? claims.sub : randomUUID();
      return signPayload(
        {
          ...common(sub),
          token_use: "id",
          aud: clientId,
          "cognito:username": sub,
          email: `${sub}@example.com`,
          email_verified: true,
          ...claims,
        },
        header,
      );
    },
    machineToken(scope, claims = {}) {
      // Cognito's client-credentials shape: the client is the subject; no user, no origin_jti.
      const { sub, iss, auth_time, iat, exp, jti } = common(clientId);
      return signPayload({ sub, token_use: "access", scope, auth_time, iss, exp, iat, version: 2, jti, client_id: clientId, ...claims });
    },
    sign: signPayload,
    rotate(kid) {
      const key = generateTestKey(kid);
      keys.push(key);
      return key;
    },
    removeKey(kid) {
      const index = keys.findIndex((k) => k.kid === kid);
      if (index !== -1) keys.splice(index, 1);
    },
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}

/** `value` without the keys set to `undefined`. */
function drop(value: Overrides): Overrides {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
