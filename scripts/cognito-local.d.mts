export const SEED_PASSWORD: string;
export const SEED_USERS: Array<{ email: string; groups: string[] }>;
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
export function startCognitoLocal(options?: {
  port?: number;
  appUrl?: string;
  accessTokenTtl?: number;
  log?: string;
}): Promise<{ info: CognitoLocalInfo; stop: () => Promise<void>; child: import("node:child_process").ChildProcess; dir: string; codes: CodeFeed }>;
export function envFor(info: CognitoLocalInfo, appUrl: string): Record<string, string>;
export function stopTogether(child: import("node:child_process").ChildProcess, stop: () => Promise<void>): void;
