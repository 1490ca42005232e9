export function grpcHealth(addr: string, service?: string, timeoutMs?: number): Promise<string>;
export function tcpOpen(addr: string, timeoutMs?: number): Promise<boolean>;
export function respPing(addr: string, password?: string, timeoutMs?: number): Promise<string>;
