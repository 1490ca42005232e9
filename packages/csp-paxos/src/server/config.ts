// Node configuration: the seed's flags plus addresses. Config file (JSON):
// { "id": 0, "n": 5, "f": 2, "port": 10000, "committee": [{ "id": 0, "host": "127.0.0.1", "port": 10000 }, ...] }
import { readFileSync } from 'node:fs';
import { QuorumkitError } from '@quorumkit/shared-storage';

export class ConfigError extends QuorumkitError {
  constructor(message: string) {
    super('ECONFIG', message);
  }
}

export const DEFAULT_BASE_PORT = 10_000;
export const PORT_STRIDE = 10;

export interface Member {
  id: number;
  host: string;
  /** Client and control requests. */
  port: number;
  /** Peer connections (default `port + 1`). */
  peerPort?: number;
}

/** A member's peer port: separate from the client port, so clients never reach the peer protocol. */
export function peerPortOf(m: Member): number {
  return m.peerPort ?? m.port + 1;
}

export interface FileConfig {
  id?: number;
  n?: number;
  f?: number;
  port?: number;
  /** Members, or the seed's form: a list of ports (rank = position, host 127.0.0.1). */
  committee?: Member[];
  /** File holding the shared peer secret (HMAC key for the peer handshake). */
  secretFile?: string;
  /** Answer `block` (partition) control requests. Default false. */
  allowControl?: boolean;
}

export function defaultCommittee(n: number, basePort = DEFAULT_BASE_PORT, host = '127.0.0.1'): Member[] {
  return Array.from({ length: n }, (_, i) => ({ id: i, host, port: basePort + PORT_STRIDE * i }));
}

export function committeeFromPorts(ports: number[], host = '127.0.0.1', peerPorts?: number[]): Member[] {
  if (peerPorts && peerPorts.length !== ports.length) throw new ConfigError(`${peerPorts.length} peer ports for ${ports.length} nodes`);
  return ports.map((port, id) => (peerPorts ? { id, host, port, peerPort: peerPorts[id]! } : { id, host, port }));
}

/** The shared secret from a file (trailing whitespace ignored); refuses an empty or short one. */
export function readSecretFile(path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(`cannot read the secret file ${path}: ${(e as Error).message}`);
  }
  return parseSecret(text, `secret file ${path}`);
}

export function parseSecret(text: string, what = 'secret'): Buffer {
  if (text.length < 16) throw new ConfigError(`${what} must be at least 16 characters`);
  return Buffer.from(text, 'utf8');
}

export function parsePortList(s: string): number[] {
  const ports = s.split(',').map((p) => Number(p.trim()));
  for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65_535) throw new ConfigError(`bad port list "${s}"`);
  return ports;
}

export function readConfigFile(path: string): FileConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new ConfigError(`config ${path} is not a JSON object`);
  const c = raw as FileConfig;
  if (c.secretFile !== undefined && typeof c.secretFile !== 'string') throw new ConfigError('secretFile must be a path');
  if (c.allowControl !== undefined && typeof c.allowControl !== 'boolean') throw new ConfigError('allowControl must be true or false');
  if (c.committee !== undefined) {
    if (!Array.isArray(c.committee)) throw new ConfigError('committee must be an array');
    const list = c.committee as unknown[];
    if (list.length > 0 && list.every((x) => typeof x === 'number')) {
      for (const p of list as number[]) if (!Number.isInteger(p) || p < 1 || p > 65_535) throw new ConfigError(`bad committee port ${p}`);
      c.committee = (list as number[]).map((port, id) => ({ id, host: '127.0.0.1', port }));
    }
    for (const m of c.committee) {
      if (!Number.isInteger(m.id) || !Number.isInteger(m.port) || (m.peerPort !== undefined && !Number.isInteger(m.peerPort)) || typeof (m.host ?? '127.0.0.1') !== 'string') throw new ConfigError(`bad committee member ${JSON.stringify(m)}`);
    }
    c.committee = c.committee.map((m) => ({ id: m.id, host: m.host ?? '127.0.0.1', port: m.port, ...(m.peerPort !== undefined ? { peerPort: m.peerPort } : {}) })).sort((a, b) => a.id - b.id);
  }
  return c;
}

/** The rank to run: -i and the config's id must agree when both are given. */
export function resolveRank(flag: number | undefined, config: FileConfig | undefined): number {
  const fromConfig = config?.id;
  if (flag !== undefined && fromConfig !== undefined && flag !== fromConfig) throw new ConfigError(`-i ${flag} disagrees with the config's id ${fromConfig}`);
  const id = flag ?? fromConfig;
  if (id === undefined) throw new ConfigError('no rank: pass -i RANK or an id in --config');
  return id;
}

/** Longest fsync deadline accepted (one hour): a longer one means a node votes on a dead disk. */
export const SYNC_DEADLINE_MS_MAX = 3_600_000;

/**
 * `--sync-deadline`: how long a write + fdatasync of the acceptor log may run before the node
 * stops itself (EACCEPTORSTALL). A duration like -o (seconds, or 500ms / 30s), 1 ms to 1 hour.
 */
export function parseSyncDeadlineMs(s: string): number {
  const ms = parseDurationMs(s);
  if (ms < 1 || ms > SYNC_DEADLINE_MS_MAX) throw new ConfigError(`--sync-deadline must be between 1ms and ${SYNC_DEADLINE_MS_MAX / 1000}s, got "${s}"`);
  return ms;
}

/** "10" = 10 s, "1.5" = 1.5 s, "200ms" = 200 ms, "2s" = 2 s. */
export function parseDurationMs(s: string, unit: 's' | 'ms' = 's'): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(s.trim());
  if (!m) throw new ConfigError(`bad duration "${s}" (use e.g. 10, 1.5, 200ms, 2s)`);
  const v = Number(m[1]);
  const u = m[2] ?? unit;
  return Math.round(u === 'ms' ? v : v * 1000);
}
