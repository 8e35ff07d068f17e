// Start the embedded Cognito (cognito-local) on loopback with its data in a temp folder,
// seed it through the Cognito JSON API (the MFA users' factors through its pool file), and
// stop it by PID. Used by `npm run idp`, `npm run dev`, the integration tests and the
// end-to-end tests.
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/**
 * The TOTP secret of the seeded TOTP user (base32, 20 bytes). Fixed, like the seed password,
 * so an authenticator app set up once keeps working across runs; it guards a throwaway local
 * pool only.
 */
export const SEED_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
/** The seeded users who sign in with a second factor: one by TOTP, one by SMS to `phone`. */
export const SEED_MFA_USERS = [
  { email: "carol@example.com", mfa: "totp" },
  { email: "dave@example.com", mfa: "sms", phone: "+15555550100" },
];

/** The otpauth URI an authenticator app scans for the seeded TOTP user. */
export function seedOtpauthUri(email, secret = SEED_TOTP_SECRET) {
  const label = encodeURIComponent(`next-cognito-session-dev:${email}`);
  return `otpauth://totp/${label}?secret=${secret}&issuer=next-cognito-session-dev&algorithm=SHA1&digits=6&period=30`;
}

/**
 * What a developer needs to know about the seeded users, one line each: who signs in with
 * only the password, and each MFA user's second factor (the TOTP secret and its otpauth URI,
 * or where SMS codes go).
 * @param {{ password: string, mfaUsers: Array<{ email: string, mfa: string, secret?: string, otpauthUri?: string, phone?: string }> }} info
 */
export function seedLines(info) {
  return info.mfaUsers.map((user) =>
    user.mfa === "totp"
      ? `TOTP MFA: ${user.email} (password ${info.password}), secret ${user.secret} (${user.otpauthUri})`
      : `SMS MFA: ${user.email} (password ${info.password}), codes sent by SMS to ${user.phone}`,
  );
}

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
  const spawnServer = () =>
    spawn(process.execPath, [bin], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, HOST, PORT: String(port) },
      stdio: ["ignore", out, out],
      detached: false,
    });
  let child = spawnServer();
  const stopChild = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(child.pid, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) {
        const killed = new Promise((r) => child.once("exit", r));
        process.kill(child.pid, "SIGKILL");
        await killed;
      }
    }
  };
  const stop = async () => {
    await stopChild();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const base = `http://${HOST}:${port}`;
    await waitForHealth(`${base}/health`, child, 30_000);
    const endpoint = `${base}/`;
    const { UserPool } = await cognito(endpoint, "CreateUserPool", {
      PoolName: "next-cognito-session-dev",
      // Sign-up and an email change send a code to the address, as a pool that verifies email does;
      // a changed address takes effect once its code is entered.
      AutoVerifiedAttributes: ["email"],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ["email"] },
    });
    const userPoolId = UserPool.Id;
    // MFA is optional: users without a second factor (alice, bob) sign in with the password alone.
    await cognito(endpoint, "SetUserPoolMfaConfig", {
      UserPoolId: userPoolId,
      MfaConfiguration: "OPTIONAL",
      SoftwareTokenMfaConfiguration: { Enabled: true },
      SmsMfaConfiguration: { SmsAuthenticationMessage: "Your sign-in code is {####}" },
    });
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
    for (const user of [...SEED_USERS, ...SEED_MFA_USERS]) {
      await cognito(endpoint, "AdminCreateUser", {
        UserPoolId: userPoolId,
        Username: user.email,
        MessageAction: "SUPPRESS",
        UserAttributes: [
          { Name: "email", Value: user.email },
          { Name: "email_verified", Value: "true" },
          ...(user.phone
            ? [
                { Name: "phone_number", Value: user.phone },
                { Name: "phone_number_verified", Value: "true" },
              ]
            : []),
        ],
      });
      await cognito(endpoint, "AdminSetUserPassword", {
        UserPoolId: userPoolId,
        Username: user.email,
        Password: SEED_PASSWORD,
        Permanent: true,
      });
      for (const group of user.groups ?? []) {
        await cognito(endpoint, "AdminAddUserToGroup", { UserPoolId: userPoolId, Username: user.email, GroupName: group });
      }
    }
    // The MFA users' factors go straight into the pool's stored users, read again on a
    // restart: cognito-local has no API that sets a user's SMS MFA option (AdminSetUserSettings),
    // and a TOTP secret set this way stays the same from run to run.
    await stopChild();
    addSeedFactors(join(dir, ".cognito", "db", `${userPoolId}.json`));
    child = spawnServer();
    await waitForHealth(`${base}/health`, child, 30_000);
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
      mfaUsers: SEED_MFA_USERS.map((u) =>
        u.mfa === "totp"
          ? { email: u.email, mfa: "totp", secret: SEED_TOTP_SECRET, otpauthUri: seedOtpauthUri(u.email) }
          : { email: u.email, mfa: "sms", phone: u.phone },
      ),
    };
    return { info, stop, child, dir };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Give the seeded MFA users their second factor in the pool file of a stopped cognito-local. */
function addSeedFactors(file) {
  const pool = JSON.parse(readFileSync(file, "utf8"));
  for (const seed of SEED_MFA_USERS) {
    const user = Object.values(pool.Users ?? {}).find((u) => u.Attributes?.some((a) => a.Name === "email" && a.Value === seed.email));
    if (!user) throw new Error(`seeded user ${seed.email} missing from ${file}`);
    if (seed.mfa === "totp") {
      user.SoftwareTokenMfaConfiguration = { Secret: SEED_TOTP_SECRET, Verified: true, FriendlyDeviceName: "dev" };
      user.UserMFASettingList = ["SOFTWARE_TOKEN_MFA"];
      user.PreferredMfaSetting = "SOFTWARE_TOKEN_MFA";
    } else {
      user.MFAOptions = [{ DeliveryMedium: "SMS", AttributeName: "phone_number" }];
      user.UserMFASettingList = ["SMS_MFA"];
      user.PreferredMfaSetting = "SMS_MFA";
    }
  }
  writeFileSync(file, JSON.stringify(pool, null, 2));
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
