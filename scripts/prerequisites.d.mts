export function chromiumPath(env?: Record<string, string | undefined>): string | undefined;
export function onPath(name: string, env?: Record<string, string | undefined>): boolean;
export function installCommand(packages: readonly string[], uid?: number): string;
export function missingPackages(options?: { env?: Record<string, string | undefined>; playwrightChromium?: string }): string[];
export function missingMessage(missing: readonly string[], uid?: number): string;
