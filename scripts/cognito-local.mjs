// Start the embedded Cognito (cognito-local) on loopback with its data in a temp folder,
// seed it through the Cognito JSON API, and stop it by PID. Used by `npm run idp`,
// `npm run dev`, the integration tests and the end-to-end tests.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, openSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const HOST = "127.0.0.1";

export const SEED_PASSWORD = "Passw0rd!";
export const SEED_USERS = [
  { email: "alice@example.com", groups: ["admins"] },
  { email: "bob@example.com", groups: [] },
];

/** Call one Cognito JSON API action on the local server. */
export async function cognito(endpoint, action, body) {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AWSCognitoIdentityProviderService.${action}`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${action} failed: ${response.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

async function waitForHealth(url, child, deadlineMs) {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`cognito-local exited with ${child.exitCode}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("cognito-local did not start in time");
}

/**
 * Start and seed cognito-local.
 * @param {{ port?: number, appUrl?: string, accessTokenTtl?: number, log?: string }} options
 */
export async function startCognitoLocal(options = {}) {
  const port = options.port ?? Number(process.env.COGNITO_LOCAL_PORT ?? 9229);
  const appUrl = (options.appUrl ?? process.env.APP_URL ?? "http://localhost:3000").replace(/\/+$/, "");
  const ttl = options.accessTokenTtl ?? (process.env.DEV_ACCESS_TOKEN_TTL ? Number(process.env.DEV_ACCESS_TOKEN_TTL) : 3600);
  const dir = mkdtempSync(join(tmpdir(), "cognito-local-"));
  const out = openSync(options.log ?? join(dir, "cognito-local.log"), "a");
  const bin = require.resolve("cognito-local/lib/bin/start.js");
  const child = spawn(process.execPath, [bin], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, HOST, PORT: String(port) },
    stdio: ["ignore", out, out],
    detached: false,
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(child.pid, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, "SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const base = `http://${HOST}:${port}`;
    await waitForHealth(`${base}/health`, child, 30_000);
    const endpoint = `${base}/`;
    const { UserPool } = await cognito(endpoint, "CreateUserPool", { PoolName: "next-cognito-session-dev" });
    const userPoolId = UserPool.Id;
    const { UserPoolClient } = await cognito(endpoint, "CreateUserPoolClient", {
      UserPoolId: userPoolId,
      ClientName: "example-app",
      CallbackURLs: [`${appUrl}/auth/callback`],
      LogoutURLs: [`${appUrl}/`],
      AllowedOAuthFlows: ["code"],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ["openid", "email", "profile"],
      SupportedIdentityProviders: ["COGNITO"],
      ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
      AccessTokenValidity: ttl,
      IdTokenValidity: ttl,
      RefreshTokenValidity: 30,
      TokenValidityUnits: { AccessToken: "seconds", IdToken: "seconds", RefreshToken: "days" },
    });
    await cognito(endpoint, "CreateGroup", { UserPoolId: userPoolId, GroupName: "admins" });
    for (const user of SEED_USERS) {
      await cognito(endpoint, "AdminCreateUser", {
        UserPoolId: userPoolId,
        Username: user.email,
        MessageAction: "SUPPRESS",
        UserAttributes: [
          { Name: "email", Value: user.email },
          { Name: "email_verified", Value: "true" },
        ],
      });
      await cognito(endpoint, "AdminSetUserPassword", {
        UserPoolId: userPoolId,
        Username: user.email,
        Password: SEED_PASSWORD,
        Permanent: true,
      });
      for (const group of user.groups) {
        await cognito(endpoint, "AdminAddUserToGroup", { UserPoolId: userPoolId, Username: user.email, GroupName: group });
      }
    }
    const issuer = `${base}/${userPoolId}`;
    const info = {
      userPoolId,
      clientId: UserPoolClient.ClientId,
      issuer,
      jwksUri: `${issuer}/.well-known/jwks.json`,
      domain: base,
      endpoint,
      port,
      pid: child.pid,
      accessTokenTtl: ttl,
      users: SEED_USERS.map((u) => u.email),
      password: SEED_PASSWORD,
    };
    return { info, stop, child, dir };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The environment contract for an app pointed at this cognito-local. */
export function envFor(info, appUrl) {
  return {
    COGNITO_USER_POOL_ID: info.userPoolId,
    COGNITO_CLIENT_ID: info.clientId,
    COGNITO_ISSUER: info.issuer,
    COGNITO_JWKS_URI: info.jwksUri,
    COGNITO_DOMAIN: info.domain,
    COGNITO_ENDPOINT: info.endpoint,
    COGNITO_LOCAL: "1",
    APP_URL: appUrl,
  };
}

/**
 * Keep this process alive while `child` (the Next server) runs: Ctrl-C or SIGTERM stops the
 * child and then `stop` (the embedded Cognito); the child exiting on its own stops it too.
 */
export function stopTogether(child, stop) {
  const shutdown = async () => {
    child.kill("SIGTERM");
    await stop();
    process.exit(0);
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  child.on("exit", async (code) => {
    await stop();
    process.exit(code ?? 0);
  });
}
