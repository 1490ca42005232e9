export class StartError extends Error {}
export function ordinalOf(env: Record<string, string | undefined>): number;
export function buildArgv(args: string[], env: Record<string, string | undefined>): string[];
