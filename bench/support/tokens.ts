// A stand-in user pool for the benchmarks, on the project's test issuer: tokens shaped like
// the ones Cognito issues (same claims, header and sizes) under Cognito's own issuer URL,
// the JWKS on loopback over http (for us and the floor) and, for the Amplify adapter, whose
// verifier builds Cognito's JWKS URL itself and speaks only https, over TLS under
// Cognito's host name. cognito-local cannot serve here: its issuer is not Cognito's.
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestIssuer } from "../../src/testing/issuer.ts";

export const REGION = "us-east-1";
export const USER_POOL_ID = `${REGION}_BenchPool1`;
export const CLIENT_ID = "5bench0client0id0for0peers0";
export const COGNITO_HOST = `cognito-idp.${REGION}.amazonaws.com`;
export const ISSUER = `https://${COGNITO_HOST}/${USER_POOL_ID}`;

/** The tokens Cognito's token endpoint returns for one sign-in. */
export interface TokenSet {
  accessToken: string;
  idToken: string;
  refreshToken: string;
  /** The Cognito username (a UUID, as in pools that sign in by email). */
  username: string;
  sub: string;
  email: string;
  /** Access token expiry, seconds since the epoch. */
  exp: number;
}

export interface TestPool {
  jwks: { keys: JsonWebKey[] };
  /** JWKS over plain http on 127.0.0.1. */
  jwksUri: string;
  /**
   * Mint a token set. `idTokenBytes` pads the ID token with a custom claim to that length
   * (ID tokens with many custom attributes reach 6 KB).
   */
  mint(options?: { idTokenBytes?: number }): TokenSet;
  /** Route https requests for Cognito's host (Node's https agent) to a local copy of the JWKS; undone by close(). */
  serveCognitoHostLocally(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Cognito refresh tokens are opaque JWEs (RSA-OAEP, A256GCM) of about 1.8 KB, never decoded.
 * This one has the same five parts and lengths, filled with random bytes.
 */
export function refreshTokenLike(): string {
  const header = Buffer.from(JSON.stringify({ cty: "JWT", enc: "A256GCM", alg: "RSA-OAEP" })).toString("base64url");
  return [header, 256, 12, 1000, 16].map((part) => (typeof part === "string" ? part : randomBytes(part).toString("base64url"))).join(".");
}

export async function createTestPool(): Promise<TestPool> {
  const issuer = await startTestIssuer({ userPoolId: USER_POOL_ID, clientId: CLIENT_ID, issuer: ISSUER });
  const jwks = { keys: [issuer.key.publicJwk] };
  let restore: (() => Promise<void>) | undefined;

  return {
    jwks,
    jwksUri: issuer.jwksUri,
    mint({ idTokenBytes } = {}) {
      const sub = randomUUID();
      const email = `user-${sub.slice(0, 8)}@example.com`;
      const user = { sub, "cognito:groups": ["admins"] };
      const accessToken = issuer.accessToken({ ...user, version: 2, scope: "openid profile email" });
      const idClaims = { ...user, email };
      let idToken = issuer.idToken(idClaims);
      // Pad a custom attribute until the token reaches the wanted length (base64url: 4/3).
      for (let pad = 0; idTokenBytes !== undefined && idToken.length < idTokenBytes; ) {
        pad += Math.ceil(((idTokenBytes - idToken.length) * 3) / 4);
        idToken = issuer.idToken({ ...idClaims, "custom:permissions": "x".repeat(pad) });
      }
      const exp = Math.floor(Date.now() / 1000) + 3600;
      return { accessToken, idToken, refreshToken: refreshTokenLike(), username: sub, sub, email, exp };
    },
    async serveCognitoHostLocally() {
      if (restore) return;
      const dir = mkdtempSync(join(tmpdir(), "bench-tls-"));
      // A throwaway certificate for Cognito's host name, trusted only by the agent below.
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "1",
          "-subj",
          `/CN=${COGNITO_HOST}`,
          "-addext",
          `subjectAltName=DNS:${COGNITO_HOST}`,
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
        ],
        { stdio: "ignore" },
      );
      const cert = readFileSync(join(dir, "cert.pem"));
      const body = JSON.stringify(jwks);
      const tls = https.createServer({ key: readFileSync(join(dir, "key.pem")), cert }, (req, res) => {
        if (req.url === `/${USER_POOL_ID}/.well-known/jwks.json`) res.writeHead(200, { "content-type": "application/json" }).end(body);
        else res.writeHead(404).end();
      });
      rmSync(dir, { recursive: true, force: true });
      await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
      const port = (tls.address() as AddressInfo).port;
      const previous = https.globalAgent;
      // https.request reads https.globalAgent on every call: connections to Cognito's host go
      // to the local server (certificate checked), any other host is refused.
      class LoopbackAgent extends https.Agent {
        override createConnection(options: Record<string, unknown>, callback?: unknown) {
          if (options.host !== COGNITO_HOST) throw new Error(`benchmark: no network for ${String(options.host)}`);
          const local = { ...options, host: "127.0.0.1", port, servername: COGNITO_HOST };
          return (https.Agent.prototype as any).createConnection.call(this, local, callback);
        }
      }
      https.globalAgent = new LoopbackAgent({ ca: cert, keepAlive: true });
      restore = async () => {
        https.globalAgent.destroy();
        https.globalAgent = previous;
        tls.closeAllConnections();
        await new Promise((resolve) => tls.close(resolve));
      };
    },
    async close() {
      await restore?.();
      await issuer.close();
    },
  };
}
