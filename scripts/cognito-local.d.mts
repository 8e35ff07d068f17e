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
export function startCognitoLocal(options?: {
  port?: number;
  appUrl?: string;
  accessTokenTtl?: number;
  log?: string;
}): Promise<{ info: CognitoLocalInfo; stop: () => Promise<void>; child: import("node:child_process").ChildProcess; dir: string }>;
export function envFor(info: CognitoLocalInfo, appUrl: string): Record<string, string>;
export function stopTogether(child: import("node:child_process").ChildProcess, stop: () => Promise<void>): void;
