import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClusterError } from '../errors.js';
import { FaultProxy } from '../proxy/faultProxy.js';
import { freePorts } from './freePorts.js';
import { NodeProcess, type NodeSpec } from './nodeProcess.js';
import { type WaitForOptions, waitFor } from './waitFor.js';

/**
 * `link(from, to)` is the port node `from` must dial to reach node `to`'s first port (a
 * per-link proxy with `proxies: true`, else the real port). Inside spec(i, ...) it is also
 * indexable: `link[j]` === `link(i, j)`.
 */
export type LinkFn = ((from: number, to: number) => number) & { readonly [to: number]: number };

export interface ClusterOptions {
  nodes: number;
  /** Ports per node (default 1). */
  ports?: number;
  spec(i: number, ports: number[][], link: LinkFn): NodeSpec;
  /** A log line (stdout or stderr) or a probe. */
  readyWhen: RegExp | ((i: number, ports: number[][]) => Promise<boolean>);
  readyTimeoutMs?: number;
  /** Default: a fresh temp dir (removed on stop unless QUORUMKIT_KEEP_DATA=1). */
  dataDir?: string;
  /** Per-node log `${logDir}/node<i>.log`; default dataDir. */
  logDir?: string;
  /** A FaultProxy on every ordered peer link (i -> j), and a client-facing one per node. */
  proxies?: boolean;
  /** Start nodes one after another instead of all at once. */
  sequentialStart?: boolean;
}

export interface Cluster {
  readonly size: number;
  readonly ports: number[][];
  /** Client-facing proxy of node i (partitions do not touch it); without proxies ports[i][0]. */
  readonly proxyPorts: number[];
  readonly dataDir: string;
  link: (from: number, to: number) => number;
  /** The proxy carrying node from's connections to node to (from = -1: the client-facing one). */
  proxy(from: number, to: number): FaultProxy | undefined;
  nodeDir(i: number): string;
  logFile(i: number): string;
  output(i: number): string;
  pid(i: number): number | undefined;
  isUp(i: number): boolean;
  isPaused(i: number): boolean;
  kill(i: number, signal?: 'SIGKILL' | 'SIGTERM' | 'SIGINT'): Promise<void>;
  pause(i: number): void;
  resume(i: number): void;
  start(i: number): Promise<void>;
  restart(i: number, signal?: 'SIGKILL' | 'SIGTERM' | 'SIGINT'): Promise<void>;
  wipe(i: number, paths?: string[]): Promise<void>;
  partition(groups: number[][]): void;
  cut(from: number, to: number): void;
  heal(): void;
  waitFor(cond: () => boolean | Promise<boolean>, opts?: WaitForOptions): Promise<void>;
  stop(): Promise<void>;
}

const registry = new Set<Cluster>();

/** Stops every cluster this process started (for afterAll). */
export async function stopAllClusters(): Promise<void> {
  await Promise.all([...registry].map((c) => c.stop()));
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const n = opts.nodes;
  if (!Number.isInteger(n) || n < 1) throw new ClusterError('BAD_OPTIONS', `nodes must be a positive integer, got ${n}`);
  const perNode = opts.ports ?? 1;
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'quorumkit-cluster-'));
  const logDir = opts.logDir ?? dataDir;
  fs.mkdirSync(logDir, { recursive: true });
  const flat = await freePorts(n * perNode);
  const ports = Array.from({ length: n }, (_, i) => flat.slice(i * perNode, (i + 1) * perNode));
  const nodeDir = (i: number) => path.join(dataDir, `node${i}`);
  const logFile = (i: number) => path.join(logDir, `node${i}.log`);
  const procs = Array.from({ length: n }, (_, i) => new NodeProcess(i, logFile(i)));
  for (let i = 0; i < n; i++) fs.mkdirSync(nodeDir(i), { recursive: true });

  // links[from][to]; from = n is the client-facing row.
  const links = new Map<string, FaultProxy>();
  const proxyPorts: number[] = ports.map((p) => p[0]!);
  let stopped = false;
  const cluster: Cluster = {} as Cluster;
  registry.add(cluster);

  const check = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new ClusterError('NO_SUCH_NODE', `no node ${i} (cluster of ${n})`);
  };
  const link = (from: number, to: number): number => {
    check(to);
    if (from === to) return ports[to]![0]!;
    return links.get(`${from}>${to}`)?.port ?? ports[to]![0]!;
  };
  const linkFor = (i: number): LinkFn => {
    const f = ((from: number, to: number) => link(from, to)) as LinkFn & Record<number, number>;
    for (let j = 0; j < n; j++) Object.defineProperty(f, j, { value: link(i, j), enumerable: true });
    return f;
  };

  async function waitReady(i: number): Promise<void> {
    const p = procs[i]!;
    const timeoutMs = opts.readyTimeoutMs ?? 30_000;
    const ready = opts.readyWhen;
    let exited = false;
    void p.whenExited().then(() => (exited = true));
    try {
      await waitFor(async () => exited || (ready instanceof RegExp ? ready.test(p.currentOutput()) : await ready(i, ports)), {
        timeoutMs,
        intervalMs: 50,
        what: `node ${i} to be ready`,
      });
      if (exited) throw new ClusterError('NODE_EXITED', `node ${i} exited before it was ready: ${JSON.stringify(p.lastExit)}`);
    } catch (err) {
      await p.kill('SIGKILL');
      const tail = p.currentOutput().split('\n').slice(-30).join('\n');
      throw new ClusterError('NOT_READY', `node ${i} did not become ready: ${(err as Error).message}\n--- last output of node ${i} ---\n${tail}`, { cause: err });
    }
  }

  async function start(i: number): Promise<void> {
    check(i);
    if (stopped) throw new ClusterError('STOPPED', 'cluster is stopped');
    fs.mkdirSync(nodeDir(i), { recursive: true });
    procs[i]!.spawn(opts.spec(i, ports, linkFor(i)));
    await waitReady(i);
  }

  function setLinkBlocked(from: number, to: number, dir: 'up' | 'down'): void {
    links.get(`${from}>${to}`)?.block(dir);
  }

  Object.assign(cluster, {
    size: n,
    ports,
    proxyPorts,
    dataDir,
    link,
    proxy: (from: number, to: number) => links.get(`${from < 0 ? 'client' : from}>${to}`),
    nodeDir,
    logFile,
    output: (i: number) => (check(i), procs[i]!.output()),
    pid: (i: number) => (check(i), procs[i]!.pid),
    isUp: (i: number) => (check(i), procs[i]!.running),
    isPaused: (i: number) => (check(i), procs[i]!.paused),
    kill: async (i: number, signal: NodeJS.Signals = 'SIGKILL') => {
      check(i);
      await procs[i]!.kill(signal);
    },
    pause: (i: number) => {
      check(i);
      procs[i]!.signal('SIGSTOP');
      procs[i]!.paused = true;
    },
    resume: (i: number) => {
      check(i);
      procs[i]!.signal('SIGCONT');
      procs[i]!.paused = false;
    },
    start,
    restart: async (i: number, signal: NodeJS.Signals = 'SIGKILL') => {
      check(i);
      await procs[i]!.kill(signal);
      await start(i);
    },
    wipe: async (i: number, paths?: string[]) => {
      check(i);
      if (procs[i]!.running) throw new ClusterError('NODE_RUNNING', `wipe(${i}): node ${i} must be down`);
      const targets = paths?.map((p) => path.resolve(nodeDir(i), p)) ?? [nodeDir(i)];
      for (const t of targets) await fs.promises.rm(t, { recursive: true, force: true });
      await fs.promises.mkdir(nodeDir(i), { recursive: true });
    },
    partition: (groups: number[][]) => {
      if (!opts.proxies) throw new ClusterError('NO_PROXIES', 'partition() needs startCluster({ proxies: true })');
      cluster.heal();
      const groupOf = new Map<number, number>();
      groups.forEach((g, gi) => g.forEach((i) => (check(i), groupOf.set(i, gi))));
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) {
          if (a === b) continue;
          const ga = groupOf.get(a) ?? -1 - a; // unlisted nodes are alone
          const gb = groupOf.get(b) ?? -1 - b;
          if (ga !== gb) links.get(`${a}>${b}`)?.block('both');
        }
    },
    cut: (from: number, to: number) => {
      if (!opts.proxies) throw new ClusterError('NO_PROXIES', 'cut() needs startCluster({ proxies: true })');
      check(from);
      check(to);
      setLinkBlocked(from, to, 'up'); // from's requests to to
      setLinkBlocked(to, from, 'down'); // from's replies on to's connections
    },
    heal: () => {
      for (const [k, p] of links) if (!k.startsWith('client>')) p.unblock();
    },
    waitFor: (cond: () => boolean | Promise<boolean>, o?: WaitForOptions) => waitFor(cond, o),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await Promise.all(procs.map((p) => p.kill('SIGKILL')));
      await Promise.all([...links.values()].map((p) => p.close()));
      registry.delete(cluster);
      if (ownDir && process.env.QUORUMKIT_KEEP_DATA !== '1') await fs.promises.rm(dataDir, { recursive: true, force: true });
    },
  } satisfies Cluster);

  try {
    if (opts.proxies) {
      for (let to = 0; to < n; to++) {
        const target = ports[to]![0]!;
        for (let from = 0; from < n; from++) {
          if (from !== to) links.set(`${from}>${to}`, await FaultProxy.start({ targetPort: target }));
        }
        const client = await FaultProxy.start({ targetPort: target });
        links.set(`client>${to}`, client);
        proxyPorts[to] = client.port;
      }
    }
    if (opts.sequentialStart) for (let i = 0; i < n; i++) await start(i);
    else await Promise.all(procs.map((_, i) => start(i)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
