// Shared helpers for the constdb e2e suites (built CLI, redis-cli, raw RESP client).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { startCluster, type Cluster } from '@quorumkit/test-harness';

export const CONSTDB_CLI = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../packages/constdb/dist/cli/constdb-server.js');

export function requireBuilt(): void {
  if (!existsSync(CONSTDB_CLI)) throw new Error(`${CONSTDB_CLI} missing: run npx nx run constdb:build`);
}

export function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function client(port: number): Redis {
  const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 5000, retryStrategy: () => 200 });
  c.on('error', () => {}); // reconnects are expected while nodes are killed
  return c;
}

/** Seeded PRNG (mulberry32): rnd(n) in [0, n). */
export function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

export type NodeState = Record<string, string | string[] | Record<string, string>>;

/** Every key of a node with its value (sets sorted, hashes as objects). */
export async function dump(port: number): Promise<NodeState> {
  const c = client(port);
  await c.connect();
  try {
    const out: NodeState = {};
    for (const k of (await c.keys('*')).sort()) {
      const t = await c.type(k);
      if (t === 'string') out[k] = (await c.get(k))!;
      else if (t === 'set') out[k] = (await c.smembers(k)).sort();
      else if (t === 'hash') out[k] = await c.hgetall(k);
    }
    return out;
  } finally {
    c.disconnect();
  }
}

/**
 * A node of a proxied test cluster, peers dialled through the harness proxies. Default: AOF
 * with appendfsync always and a snapshot every second; `lossy` runs without an AOF and with
 * rare snapshots, so a SIGKILL loses own ops that peers already applied.
 */
export function constdbSpec(i: number, ports: number[][], link: (from: number, to: number) => number, dataDir: string, n: number, opts: { lossy?: boolean } = {}) {
  const durability = opts.lossy ? ['--appendonly', 'no', '--snapshot-interval', '3600'] : ['--appendonly', 'yes', '--appendfsync', 'always', '--snapshot-interval', '1'];
  const peers = [...Array(n).keys()].filter((j) => j !== i).map((j) => `${j + 1}=127.0.0.1:${link(i, j)}`).join(',');
  return {
    command: process.execPath,
    args: [CONSTDB_CLI, '--node-id', String(i + 1), '--port', String(ports[i]![0]), '--work-dir', join(dataDir, `node${i}`), '--log-level', 'info',
      ...durability, '--peer-addrs', peers, '--repl-timeout', '2', '--replica-heartbeat-frequency', '0.5', ...(process.env.NOGC ? ['--gc-interval-ms', '100000000'] : [])],
  };
}


/** One command on a fresh connection to `port` (reply, or the error thrown). */
export async function call(port: number, ...args: string[]): Promise<unknown> {
  const c = client(port);
  await c.connect();
  try {
    return await c.call(args[0]!, ...args.slice(1));
  } finally {
    c.disconnect();
  }
}

/** 3 proxied nodes, node 0 MEETs the others, resolved once every node knows both replicas. */
export async function startMeshedCluster(name: string, opts: { lossy?: boolean } = {}): Promise<Cluster> {
  requireBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), `${name}-`));
  const cluster = await startCluster({ nodes: 3, proxies: true, dataDir, spec: (i, ports, link) => constdbSpec(i, ports, link, dataDir, 3, opts), readyWhen: /ready on/ });
  const port = (i: number) => cluster.ports[i]![0]!;
  for (const to of [1, 2]) {
    const r = await call(port(0), 'MEET', `127.0.0.1:${cluster.link(0, to)}`);
    if (r !== 1) throw new Error(`MEET node ${to} answered ${JSON.stringify(r)}`);
  }
  await cluster.waitFor(async () => {
    for (const i of [0, 1, 2]) if (((await call(port(i), 'REPLICAS')) as unknown[]).length !== 2) return false;
    return true;
  }, { timeoutMs: 30_000, what: 'full mesh' });
  return cluster;
}
