// CLIENT KILL and CONFIG SET in the server shell (the argument checks are in
// core/cmdClientConfig.ts). CONFIG SET changes only what a running node can take at once;
// everything else it names is refused with Redis's error shape and the reason.
import type { KillFilter } from '../core/context.js';
import { subCount } from '../core/pubsub.js';
import type { Connection } from './connection.js';
import type { ConstdbNode } from './node.js';

function typeOf(c: Connection): NonNullable<KillFilter['type']> {
  // an inbound replication stream carries a peer's ops to us: Redis's "master" link
  if (c.isDetached) return 'master';
  return subCount(c.sess.subscriber) > 0 ? 'pubsub' : 'normal';
}

/** Closes the connections matching every filter given; the caller's own after its reply. */
export function clientKill(node: ConstdbNode, f: KillFilter, selfId: number): number {
  let n = 0;
  for (const c of [...node.conns]) {
    if (f.id !== undefined && c.sess.id !== f.id) continue;
    if (f.addr !== undefined && c.addr !== f.addr) continue;
    if (f.laddr !== undefined && c.laddr !== f.laddr) continue;
    if (f.type !== undefined && typeOf(c) !== f.type) continue;
    if (c.sess.id === selfId) {
      if (f.skipMe) continue;
      c.sess.quit = true; // closed once this reply is written, as QUIT
    } else {
      c.socket.destroy();
    }
    n++;
  }
  return n;
}

const LOGLEVELS: Record<string, string> = { debug: 'debug', verbose: 'debug', notice: 'info', warning: 'warn' };
/** pino level -> the redis.conf name CONFIG GET shows */
export function redisLogLevel(level: string): string {
  return level === 'trace' || level === 'debug' ? 'debug' : level === 'info' ? 'notice' : 'warning';
}

interface Param {
  parse(v: string): number | string | undefined;
  /** the error text when parse fails */
  bad: string;
  apply(node: ConstdbNode, v: number | string): void;
}

function range(min: number, max = Number.MAX_SAFE_INTEGER): Pick<Param, 'parse' | 'bad'> {
  return {
    parse: (v) => {
      if (!/^-?\d+$/.test(v)) return undefined;
      const n = Number(v);
      return n >= min && n <= max ? n : undefined;
    },
    bad: `argument must be between ${min} and ${max === Number.MAX_SAFE_INTEGER ? '9223372036854775807' : max} inclusive`,
  };
}

const MUTABLE: Record<string, Param> = {
  maxclients: { ...range(1, 4294967295), apply: (n, v) => (n.cfg.maxclients = v as number) },
  'repl-timeout': { ...range(1, 2147483647), apply: (n, v) => (n.cfg.replTimeoutSec = v as number) },
  'proto-max-bulk-len': {
    ...range(1024 * 1024),
    apply: (n, v) => {
      n.cfg.protoMaxBulkLen = v as number;
      n.limits.bulkBytesMax = v as number;
    },
  },
  'client-query-buffer-limit': {
    ...range(1024 * 1024),
    apply: (n, v) => {
      n.cfg.clientQueryBufferLimitBytes = v as number;
      n.limits.queryBytesMax = v as number;
    },
  },
  loglevel: {
    parse: (v) => LOGLEVELS[v.toLowerCase()],
    bad: 'argument(s) must be one of the following: debug, verbose, notice, warning',
    apply: (n, v) => {
      n.cfg.logLevel = v as string;
      n.log.level = v as string;
    },
  },
};

/** Settings CONFIG GET shows that only a restart changes (constdb.toml or flags). */
const FIXED = new Set(['save', 'appendonly', 'appendfsync', 'port', 'bind', 'dir', 'requirepass', 'databases', 'hz', 'tcp-backlog',
  'repl-backlog-size', 'node-id', 'node-alias']);

const fail = (name: string, why: string) => `ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`;

/** Validates every pair first: all are applied, or none and the first error is returned. */
export function configSet(node: ConstdbNode, pairs: Array<[string, string]>): string | undefined {
  const seen = new Set<string>();
  const ready: Array<[Param, number | string]> = [];
  for (const [name, raw] of pairs) {
    const p = MUTABLE[name];
    if (!p) {
      if (FIXED.has(name)) return fail(name, "can't set at runtime in constdb (set it in constdb.toml or a flag and restart)");
      return `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`;
    }
    if (seen.has(name)) return fail(name, 'duplicate parameter');
    seen.add(name);
    const v = p.parse(raw);
    if (v === undefined) return fail(name, /^-?\d+$/.test(raw) || p === MUTABLE.loglevel ? p.bad : "argument couldn't be parsed into an integer");
    ready.push([p, v]);
  }
  for (const [p, v] of ready) p.apply(node, v);
  return undefined;
}
