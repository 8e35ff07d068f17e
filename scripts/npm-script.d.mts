export function scriptArgs(name: string): string[];
