export function meet(node: string, peers: string[], password?: string, timeoutMs?: number): Promise<string[]>;
