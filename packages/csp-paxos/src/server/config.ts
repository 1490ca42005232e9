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
  port: number;
}

export interface FileConfig {
  id?: number;
  n?: number;
  f?: number;
  port?: number;
  committee?: Member[];
}

export function defaultCommittee(n: number, basePort = DEFAULT_BASE_PORT, host = '127.0.0.1'): Member[] {
  return Array.from({ length: n }, (_, i) => ({ id: i, host, port: basePort + PORT_STRIDE * i }));
}

export function committeeFromPorts(ports: number[], host = '127.0.0.1'): Member[] {
  return ports.map((port, id) => ({ id, host, port }));
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
  if (c.committee !== undefined) {
    if (!Array.isArray(c.committee)) throw new ConfigError('committee must be an array');
    for (const m of c.committee) {
      if (!Number.isInteger(m.id) || !Number.isInteger(m.port) || typeof (m.host ?? '127.0.0.1') !== 'string') throw new ConfigError(`bad committee member ${JSON.stringify(m)}`);
    }
    c.committee = c.committee.map((m) => ({ id: m.id, host: m.host ?? '127.0.0.1', port: m.port })).sort((a, b) => a.id - b.id);
  }
  return c;
}

/** "10" = 10 s, "1.5" = 1.5 s, "200ms" = 200 ms, "2s" = 2 s. */
export function parseDurationMs(s: string, unit: 's' | 'ms' = 's'): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(s.trim());
  if (!m) throw new ConfigError(`bad duration "${s}" (use e.g. 10, 1.5, 200ms, 2s)`);
  const v = Number(m[1]);
  const u = m[2] ?? unit;
  return Math.round(u === 'ms' ? v : v * 1000);
}
