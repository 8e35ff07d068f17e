export function listenHost(appUrl: string, host?: string): string;
export function signInLine(appUrl: string, info: { users: string[]; password: string } | undefined): string;
