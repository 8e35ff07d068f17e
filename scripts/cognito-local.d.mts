export const SEED_PASSWORD: string;
export const SEED_USERS: Array<{ email: string; groups: string[] }>;
export const SEED_TOTP_SECRET: string;
export const SEED_MFA_USERS: Array<{ email: string; mfa: "totp" | "sms"; phone?: string }>;
/** A seeded user's second factor: a TOTP secret (and the URI an authenticator scans) or the phone SMS codes go to. */
export type SeedMfaUser = { email: string; mfa: "totp"; secret: string; otpauthUri: string } | { email: string; mfa: "sms"; phone: string };
export function seedOtpauthUri(email: string, secret?: string): string;
export function seedLines(info: Pick<CognitoLocalInfo, "password" | "mfaUsers">): string[];
export interface CognitoLocalInfo {
  userPoolId: string;
  clientId: string;
  issuer: string;
  jwksUri: string;
  domain: string;
  endpoint: string;
  port: number;
  pid: number;
  accessTokenTtl: number;
  users: string[];
  password: string;
  /** The seeded users who sign in with a second factor, and that factor. */
  mfaUsers: SeedMfaUser[];
}
// biome-ignore lint/suspicious/noExplicitAny: Cognito's JSON answer, whose shape depends on the action
export function cognito(endpoint: string, action: string, body: object): Promise<any>;
/** A code the embedded Cognito delivered (it logs them instead of sending them). */
export interface DeliveredCode {
  /** The Cognito action that sent it, e.g. `SignUp`, `ForgotPassword`, `InitiateAuth`. */
  action: string;
  kind: "sign-up" | "forgot-password" | "mfa" | "attribute" | "invitation" | "other";
  /** As cognito-local logs it: the user's name or sub. */
  username: string;
  /** The email address or phone number it went to. */
  destination: string;
  code: string;
}
/** The codes the embedded Cognito delivers, read from its output. */
export class CodeFeed {
  write(chunk: string | Uint8Array): void;
  subscribe(listener: (entry: DeliveredCode) => void): () => void;
  /** The oldest code not yet taken for `username` (name, sub, email or phone), of `kind` if given; or the next to come. */
  nextCode(options: { username: string; kind?: DeliveredCode["kind"]; timeoutMs?: number }): Promise<string>;
}
/** One line for a delivered code, as `npm run dev` prints it. */
export function codeLine(entry: Pick<DeliveredCode, "kind" | "destination" | "code">): string;
export function startCognitoLocal(options?: {
  port?: number;
  appUrl?: string;
  accessTokenTtl?: number;
  log?: string;
}): Promise<{ info: CognitoLocalInfo; stop: () => Promise<void>; child: import("node:child_process").ChildProcess; dir: string; codes: CodeFeed }>;
export function envFor(info: CognitoLocalInfo, appUrl: string): Record<string, string>;
export function stopTogether(child: import("node:child_process").ChildProcess, stop: () => Promise<void>): void;
