// Start the embedded Cognito (cognito-local) on loopback with its data in a temp folder,
// seed it through the Cognito JSON API (the MFA users' factors through its pool file), and
// stop it by PID. Used by `npm run idp`, `npm run dev`, the integration tests and the
// end-to-end tests.
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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

/**
 * What kind of code each Cognito action delivers: `sign-up` (SignUp, ResendConfirmationCode),
 * `forgot-password`, `mfa` (an SMS or email code during sign-in), `attribute` (a new email or
 * phone number to verify), `invitation` (AdminCreateUser's temporary password).
 */
const CODE_KINDS = {
  SignUp: "sign-up",
  ResendConfirmationCode: "sign-up",
  ForgotPassword: "forgot-password",
  InitiateAuth: "mfa",
  RespondToAuthChallenge: "mfa",
  AdminInitiateAuth: "mfa",
  AdminRespondToAuthChallenge: "mfa",
  UpdateUserAttributes: "attribute",
  AdminUpdateUserAttributes: "attribute",
  GetUserAttributeVerificationCode: "attribute",
  AdminCreateUser: "invitation",
};

// cognito-local 5.3.0 "delivers" every code by logging a box through pino-pretty, whose
// first line names the request and the action:
//   [time] INFO: <reqId> <Action> ╭───╮
//   │   Confirmation Code Delivery   │
//   │   Username:    <username or sub>   │
//   │   Destination: <email or phone>    │
//   │   Code:        123456              │
//   ╰───╯
const ANSI = /\u001b\[[0-9;]*m/g;
const BOX = /INFO: \S+ (\w+) ╭[^\n]*\n([\s\S]*?)╰/;

/**
 * The codes the embedded Cognito delivers, read from its output as it writes them: each is
 * handed to every listener and queued for {@link CodeFeed.nextCode}.
 */
export class CodeFeed {
  /** @type {Array<{ action: string, kind: string, username: string, destination: string, code: string }>} */
  #queue = [];
  /** @type {Array<{ matches: (entry: object) => boolean, resolve: (code: string) => void }>} */
  #waiting = [];
  /** @type {Set<(entry: object) => void>} */
  #listeners = new Set();
  #text = "";

  /** Feed output of the embedded Cognito, in chunks cut anywhere; complete deliveries in it are taken out. */
  write(chunk) {
    // Colours are dropped from what has come so far: one cut in two by a chunk goes once whole.
    this.#text = (this.#text + String(chunk)).replace(ANSI, "");
    for (let match = BOX.exec(this.#text); match; match = BOX.exec(this.#text)) {
      this.#text = this.#text.slice(match.index + match[0].length);
      const field = (name) => new RegExp(`${name}:\\s+(\\S+)`).exec(match[2])?.[1] ?? "";
      const code = field("Code");
      if (!match[2].includes("Confirmation Code Delivery") || code === "") continue;
      this.#deliver({ action: match[1], kind: CODE_KINDS[match[1]] ?? "other", username: field("Username"), destination: field("Destination"), code });
    }
    // Keep only what may still become a delivery: an unfinished box from its line's start,
    // else the last, unfinished line.
    const open = this.#text.lastIndexOf("╭");
    const unfinished = open >= 0 && !this.#text.includes("╰", open);
    this.#text = this.#text.slice(this.#text.lastIndexOf("\n", unfinished ? open : this.#text.length) + 1);
  }

  /** Call `listener` with every code delivered from now on; returns a function that stops it. */
  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The oldest code not taken yet that went to `username` (the user's name, sub, email or
   * phone number, as Cognito logs one of them) and is of `kind` when given; when none has come
   * yet, the next one that does. Rejects after `timeoutMs` so a test that waits for a code
   * that never comes fails instead of hanging.
   * @param {{ username: string, kind?: string, timeoutMs?: number }} options
   * @returns {Promise<string>}
   */
  nextCode({ username, kind, timeoutMs = 15_000 }) {
    const matches = (entry) => (entry.username === username || entry.destination === username) && (kind === undefined || entry.kind === kind);
    const index = this.#queue.findIndex(matches);
    if (index >= 0) return Promise.resolve(this.#queue.splice(index, 1)[0].code);
    return new Promise((resolve, reject) => {
      const waiter = { matches, resolve };
      const timer = setTimeout(() => {
        this.#waiting = this.#waiting.filter((w) => w !== waiter);
        reject(new Error(`no ${kind ?? ""} code for ${username} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiter.resolve = (code) => {
        clearTimeout(timer);
        resolve(code);
      };
      this.#waiting.push(waiter);
    });
  }

  #deliver(entry) {
    for (const listener of this.#listeners) listener(entry);
    const waiter = this.#waiting.find((w) => w.matches(entry));
    if (waiter) {
      this.#waiting = this.#waiting.filter((w) => w !== waiter);
      waiter.resolve(entry.code);
    } else {
      this.#queue.push(entry);
    }
  }
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
  // cognito-local's start script with a synchronous log: see cognito-local-server.cjs.
  const bin = fileURLToPath(new URL("./cognito-local-server.cjs", import.meta.url));
  const codes = new CodeFeed();
  const spawnServer = () => {
    const server = spawn(process.execPath, [bin], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, HOST, PORT: String(port) },
      stdio: ["ignore", "pipe", out],
      detached: false,
    });
    // Its output still goes to the log; the codes in it go to the feed as well.
    server.stdout.setEncoding("utf8");
    server.stdout.on("data", (chunk) => {
      writeSync(out, chunk);
      codes.write(chunk);
    });
    return server;
  };
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
    // Auto-verified email: sign-up and a changed email get a code, as on a real pool; a
    // changed address takes effect once its code is entered. Optional MFA: a user with TOTP
    // or SMS MFA is asked for it at sign-in, alice and bob are not (cognito-local's default
    // is OFF, which never asks).
    const { UserPool } = await cognito(endpoint, "CreateUserPool", {
      PoolName: "next-cognito-session-dev",
      AutoVerifiedAttributes: ["email"],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ["email"] },
      MfaConfiguration: "OPTIONAL",
    });
    const userPoolId = UserPool.Id;
    // TOTP and SMS as the pool's second factors.
    await cognito(endpoint, "SetUserPoolMfaConfig", {
      UserPoolId: userPoolId,
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
    return { info, stop, child, dir, codes };
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

const CODE_PURPOSES = {
  "sign-up": "sign-up code",
  "forgot-password": "password reset code",
  mfa: "sign-in code",
  attribute: "verification code",
  invitation: "temporary password",
  other: "code",
};

/**
 * One line for a code the embedded Cognito delivered, as `npm run dev` prints it:
 * `Embedded Cognito sent a sign-in code by SMS to +15555550100: 123456`.
 * @param {{ kind: string, destination: string, code: string }} entry
 */
export function codeLine(entry) {
  const purpose = CODE_PURPOSES[entry.kind] ?? CODE_PURPOSES.other;
  const medium = entry.destination.includes("@") ? "by email" : "by SMS";
  return `Embedded Cognito sent a ${purpose} ${medium} to ${entry.destination}: ${entry.code}`;
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
