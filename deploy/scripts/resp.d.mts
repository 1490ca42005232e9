export class RespError extends Error {}
export function splitAddr(addr: string): { host: string; port: number };
export function parseReply(buf: Buffer): { value: unknown; rest: Buffer } | undefined;
export function respCommands(addr: string, commands: string[][], timeoutMs?: number): Promise<unknown[]>;
