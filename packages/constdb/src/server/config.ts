// constdb.toml: the seed's keys plus ours. Every limit has a default; a bad file or value
// becomes one ConfigError naming the key.
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { QuorumkitError } from '@quorumkit/shared-storage';
import { parseMetricsAddress } from '@quorumkit/shared-transport';
import type { AppendFsync } from '../storage/aof.js';

export class ConfigError extends QuorumkitError {
  constructor(message: string) {
    super('ECONFIG', message);
  }
}

export interface ConstdbConfig {
  nodeId: number;
  nodeAlias: string;
  ip: string;
  port: number;
  workDir: string;
  /** log file path, or "stdout"/"stderr" (default stderr) */
  log: string;
  logLevel: string;
  replBacklogLimitBytes: number;
  /** seconds between heartbeats to every replica */
  replicaHeartbeatFrequencySec: number;
  tcpBacklog: number;
  /** commands of one client run before yielding to others (per read batch) */
  maxExecPerRound: number;
  hz: number;
  requirepass: string | undefined;
  appendonly: boolean;
  appendfsync: AppendFsync;
  /** periodic snapshot interval (0 = only at shutdown) */
  snapshotIntervalSec: number;
  protoMaxBulkLen: number;
  multibulkArgsMax: number;
  clientOutputBufferLimitBytes: number;
  /** bytes of one client's unprocessed input (an incomplete command, commands held behind a blocked one) */
  clientQueryBufferLimitBytes: number;
  /** bytes of commands one MULTI may queue before the transaction is refused */
  multiBytesMax: number;
  maxclients: number;
  /** a peer link with no traffic for this long is dropped and redialled */
  replTimeoutSec: number;
  /** tombstone GC interval */
  gcIntervalMs: number;
  /** anti-entropy: compare digests with one replica (in turn) this often; 0 = never */
  antiEntropyIntervalMs: number;
  /**
   * The original's keys, accepted and validated: `threads` (this node runs one event loop:
   * its worker-thread count has no effect) and `replica_gossip_frequency` (peer lists travel
   * with every heartbeat and ack here, so it has no separate effect).
   */
  threads: number;
  replicaGossipFrequencySec: number;
  /** "id=host:port,..." addresses to dial for given peer ids instead of what they announce (NAT, proxies) */
  peerAddrs: string;
  /** TLS (docs/tls.md): PEM certificate and key to serve with and to present to peers */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** PEM CA bundle that signs the peers (and clients with tlsClientAuth) */
  tlsCa: string | undefined;
  /** mutual TLS: a client or peer without a certificate signed by tlsCa is refused */
  tlsClientAuth: boolean;
  /** serve Prometheus GET /metrics at host:port ('' = off; a bare port binds 127.0.0.1) */
  metricsAddr: string;
}

export const defaultConfig: ConstdbConfig = {
  nodeId: 1,
  nodeAlias: '',
  ip: '127.0.0.1',
  port: 9001,
  workDir: '.',
  log: 'stderr',
  logLevel: 'info',
  replBacklogLimitBytes: 100 * 1024 * 1024,
  replicaHeartbeatFrequencySec: 1,
  tcpBacklog: 511,
  maxExecPerRound: 1024,
  hz: 10,
  requirepass: undefined,
  appendonly: false,
  appendfsync: 'everysec',
  snapshotIntervalSec: 60,
  protoMaxBulkLen: 512 * 1024 * 1024,
  multibulkArgsMax: 1024 * 1024,
  clientOutputBufferLimitBytes: 256 * 1024 * 1024,
  clientQueryBufferLimitBytes: 1024 * 1024 * 1024,
  multiBytesMax: 64 * 1024 * 1024,
  maxclients: 10000,
  replTimeoutSec: 10,
  gcIntervalMs: 1000,
  antiEntropyIntervalMs: 5000,
  threads: 1,
  replicaGossipFrequencySec: 1,
  peerAddrs: '',
  tlsCert: undefined,
  tlsKey: undefined,
  tlsCa: undefined,
  tlsClientAuth: false,
  metricsAddr: '',
};

type Kind = 'int' | 'uint' | 'string' | 'bool' | 'fsync' | 'level' | 'number' | 'peers' | 'addr';

/** toml key -> [config field, kind] */
const KEYS: Record<string, [keyof ConstdbConfig, Kind]> = {
  node_id: ['nodeId', 'uint'],
  id: ['nodeId', 'uint'],
  node_alias: ['nodeAlias', 'string'],
  ip: ['ip', 'string'],
  bind: ['ip', 'string'],
  port: ['port', 'uint'],
  work_dir: ['workDir', 'string'],
  dir: ['workDir', 'string'],
  log: ['log', 'string'],
  log_level: ['logLevel', 'level'],
  repl_backlog_limit: ['replBacklogLimitBytes', 'uint'],
  replica_heartbeat_frequency: ['replicaHeartbeatFrequencySec', 'number'],
  tcp_backlog: ['tcpBacklog', 'uint'],
  max_exec_per_round: ['maxExecPerRound', 'uint'],
  hz: ['hz', 'uint'],
  requirepass: ['requirepass', 'string'],
  appendonly: ['appendonly', 'bool'],
  appendfsync: ['appendfsync', 'fsync'],
  snapshot_interval: ['snapshotIntervalSec', 'uint'],
  proto_max_bulk_len: ['protoMaxBulkLen', 'uint'],
  multibulk_args_max: ['multibulkArgsMax', 'uint'],
  client_output_buffer_limit: ['clientOutputBufferLimitBytes', 'uint'],
  client_query_buffer_limit: ['clientQueryBufferLimitBytes', 'uint'],
  multi_bytes_max: ['multiBytesMax', 'uint'],
  maxclients: ['maxclients', 'uint'],
  repl_timeout: ['replTimeoutSec', 'uint'],
  gc_interval_ms: ['gcIntervalMs', 'uint'],
  anti_entropy_interval_ms: ['antiEntropyIntervalMs', 'uint'],
  threads: ['threads', 'uint'],
  replica_gossip_frequency: ['replicaGossipFrequencySec', 'number'],
  peer_addrs: ['peerAddrs', 'peers'],
  tls_cert: ['tlsCert', 'string'],
  tls_key: ['tlsKey', 'string'],
  tls_ca: ['tlsCa', 'string'],
  tls_client_auth: ['tlsClientAuth', 'bool'],
  metrics_addr: ['metricsAddr', 'addr'],
};
/** accepted for compatibility with the seed's file, no effect */
const IGNORED = new Set(['daemon']);

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent', 'off'];

function convert(key: string, kind: Kind, v: unknown): unknown {
  const bad = (want: string) => new ConfigError(`invalid config: ${key} must be ${want}, got ${JSON.stringify(v)}`);
  switch (kind) {
    case 'uint': {
      const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw bad('a non-negative integer');
      if (key === 'port' && n > 65535) throw bad('a port number (0-65535)');
      return n;
    }
    case 'int':
    case 'number': {
      const n = typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) throw bad('a positive number');
      return n;
    }
    case 'string':
      if (typeof v !== 'string' && typeof v !== 'number') throw bad('a string');
      return String(v);
    case 'bool':
      if (v === true || v === 'yes' || v === 'true') return true;
      if (v === false || v === 'no' || v === 'false') return false;
      throw bad('true/false (or yes/no)');
    case 'fsync':
      if (v !== 'always' && v !== 'everysec' && v !== 'no') throw bad('one of always|everysec|no');
      return v;
    case 'peers': {
      if (typeof v !== 'string' || !/^(\d+=[^,=\s]+:\d+)?(,\d+=[^,=\s]+:\d+)*$/.test(v)) throw bad('a list like "2=127.0.0.1:9002,3=10.0.0.3:9001"');
      return v;
    }
    case 'addr': {
      // host:port, :port or port (127.0.0.1), or '' for off
      if (typeof v !== 'string' && typeof v !== 'number') throw bad('an address like "127.0.0.1:9121"');
      const a = String(v);
      if (a === '') return a;
      try {
        parseMetricsAddress(a);
      } catch {
        throw bad('an address like "127.0.0.1:9121" (host:port, or a port for 127.0.0.1)');
      }
      return a;
    }
    case 'level': {
      const l = typeof v === 'string' ? v.toLowerCase() : '';
      if (!LEVELS.includes(l)) throw bad(`one of ${LEVELS.join('|')}`);
      return l === 'off' ? 'silent' : l;
    }
  }
}

/** Applies key/value pairs (from TOML or flags) onto a config. */
export function applySettings(cfg: ConstdbConfig, settings: Record<string, unknown>): ConstdbConfig {
  const out = { ...cfg } as Record<string, unknown>;
  for (const [rawKey, v] of Object.entries(settings)) {
    if (v === undefined) continue;
    const key = rawKey.replace(/-/g, '_');
    if (IGNORED.has(key)) continue;
    const spec = KEYS[key];
    if (!spec) throw new ConfigError(`invalid config: unknown key ${rawKey}`);
    out[spec[0]] = convert(key, spec[1], v);
  }
  return out as unknown as ConstdbConfig;
}

export function parseConfigText(text: string, path = 'config'): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (e) {
    const first = String((e as Error).message).split('\n')[0];
    throw new ConfigError(`invalid config file ${path}: ${first}`);
  }
}

export function loadConfig(path: string | undefined, overrides: Record<string, unknown>): ConstdbConfig {
  let cfg = defaultConfig;
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    cfg = applySettings(cfg, parseConfigText(text, path));
  }
  return applySettings(cfg, overrides);
}
