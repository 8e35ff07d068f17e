// Start the embedded Cognito (cognito-local) on loopback with its data in a temp folder,
// seed it through the Cognito JSON API, and stop it by PID. Used by `npm run idp`,
// `npm run dev`, the integration tests and the end-to-end tests.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, openSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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
  const child = spawn(process.execPath, [bin], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, HOST, PORT: String(port) },
    stdio: ["ignore", "pipe", out],
    detached: false,
  });
  // Its output still goes to the log; the codes in it go to the feed as well.
  const codes = new CodeFeed();
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk) => {
    writeSync(out, chunk);
    codes.write(chunk);
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
    // Auto-verified email: sign-up and a changed email get a code, as on a real pool. Optional
    // MFA: a user who sets up TOTP (or SMS) is asked for it at sign-in; cognito-local's default
    // is OFF, which never asks.
    const { UserPool } = await cognito(endpoint, "CreateUserPool", {
      PoolName: "next-cognito-session-dev",
      AutoVerifiedAttributes: ["email"],
      MfaConfiguration: "OPTIONAL",
    });
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
    return { info, stop, child, dir, codes };
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
