// `csp-paxos run`: starts N node processes, applies a fault schedule, waits for them to stop.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { nodeStatus, NodeConnection } from '../client/client.js';
import { type FaultEvent, type Target, blockedPeers } from './faults.js';

export interface RunOptions {
  nodes: number;
  ports: number[];
  /** Peer listen ports (default: each port + 1). */
  peerPorts?: number[];
  /** Shared peer secret handed to the nodes (default: a fresh random one per run). */
  secret?: string;
  logDir: string;
  timeoutArg: string;
  interval: number;
  seconds: number;
  faults?: FaultEvent[];
  /** Path of the built CLI (dist/cli/csp-paxos.js). */
  cliPath: string;
  extraNodeArgs?: string[];
  /** Remove old logs and data in logDir first (default true). */
  fresh?: boolean;
  log?(line: string): void;
}

export interface RunResult {
  applied: string[];
  /** Per node: exit codes of every incarnation. */
  exits: Array<Array<number | null>>;
  startedAtMs: number;
}

const STOP_GRACE_MS = 15_000;

export async function runCluster(o: RunOptions): Promise<RunResult> {
  const log = o.log ?? (() => {});
  mkdirSync(o.logDir, { recursive: true });
  if (o.fresh ?? true) {
    for (let i = 0; i < o.nodes; i++) {
      rmSync(join(o.logDir, `instancelog${i}.log`), { force: true });
      rmSync(join(o.logDir, `data${i}`), { recursive: true, force: true });
    }
  }
  const startedAtMs = Date.now();
  // Each node runs -t seconds from its own start, like the seed; a restarted node keeps the
  // deadline of its first incarnation. This is the latest any node may still run.
  let stopAtMs = startedAtMs + o.seconds * 1000;
  const nodeStopAtMs: Array<number | undefined> = new Array(o.nodes).fill(undefined);
  const procs: Array<ChildProcess | undefined> = new Array(o.nodes).fill(undefined);
  const exits: Array<Array<number | null>> = Array.from({ length: o.nodes }, () => []);
  const exited: Array<Promise<void>> = new Array(o.nodes).fill(Promise.resolve());
  let blocked: number[][] = Array.from({ length: o.nodes }, () => []);
  const applied: string[] = [];
  const at = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

  const starts: number[] = new Array(o.nodes).fill(0);
  const secret = o.secret ?? randomBytes(24).toString('hex');
  // Partitions are applied through the nodes' control requests, which are off unless asked for.
  const needsControl = (o.faults ?? []).some((f) => f.kind === 'partition');
  const startNode = (i: number): void => {
    const stopAt = nodeStopAtMs[i];
    // Only the very first start of a fresh run creates the cluster; a restart never bootstraps
    // (a node whose disk was lost must re-learn, not start a cluster of its own).
    const bootstrap = starts[i] === 0 && (o.fresh ?? true);
    starts[i] = (starts[i] ?? 0) + 1;
    const args = [o.cliPath, 'node', '-i', String(i), '-o', o.timeoutArg, '-l', String(o.interval), '-t', String(o.seconds), '--log-dir', o.logDir, '--ports', o.ports.join(','), ...(o.peerPorts ? ['--peer-ports', o.peerPorts.join(',')] : []), ...(bootstrap ? ['--bootstrap'] : []), ...(needsControl ? ['--allow-control'] : []), ...(stopAt !== undefined ? ['--stop-at', String(stopAt)] : []), ...(o.extraNodeArgs ?? [])];
    const out = createWriteStream(join(o.logDir, `node${i}.out`), { flags: 'a' });
    // The secret travels in the environment, not on the command line (ps shows argv).
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CSP_PAXOS_SECRET: secret } });
    p.stdout!.pipe(out);
    p.stderr!.pipe(out, { end: false });
    procs[i] = p;
    exited[i] = new Promise((resolve) => p.once('exit', (code) => {
      exits[i]!.push(code);
      if (procs[i] === p) procs[i] = undefined;
      resolve();
    }));
  };
  const control = async (i: number, peers: number[]): Promise<void> => {
    try {
      const c = await NodeConnection.open(o.ports[i]!, undefined, 1_000);
      try {
        await c.block(peers, 1_000);
      } finally {
        c.close();
      }
    } catch (_e) {
      // Node down or paused: it gets the partition when it comes back (see restart).
    }
  };
  const resolveTarget = async (t: Target): Promise<number> => {
    if (t !== 'leader') return t;
    const rounds: number[] = [];
    for (let i = 0; i < o.nodes; i++) {
      try {
        rounds.push((await nodeStatus(o.ports[i]!)).round);
      } catch (_e) {
        // down
      }
    }
    return rounds.length === 0 ? 0 : Math.max(...rounds) % o.nodes;
  };
  const waitReady = async (i: number): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && procs[i]) {
      try {
        await nodeStatus(o.ports[i]!);
        return;
      } catch (_e) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };

  for (let i = 0; i < o.nodes; i++) startNode(i);
  await Promise.all(
    Array.from({ length: o.nodes }, async (_, i) => {
      await waitReady(i);
      // A node that died at start (a port taken, a bad directory) would otherwise show up only
      // as "node i never commits"; name the cause's place.
      if (!procs[i]) log(`node ${i} exited with code ${exits[i]![0]} before it was ready; see ${join(o.logDir, `node${i}.out`)}`);
      nodeStopAtMs[i] = Date.now() + o.seconds * 1000;
      stopAtMs = Math.max(stopAtMs, nodeStopAtMs[i]!);
    }),
  );
  // Fault times count from the moment every node is up.
  const faultT0 = Date.now();
  const timers: NodeJS.Timeout[] = [];
  const schedule = (ms: number, fn: () => Promise<void> | void): void => {
    timers.push(setTimeout(() => void Promise.resolve(fn()).catch((e) => log(`fault failed: ${(e as Error).message}`)), Math.max(0, ms)));
  };
  for (const f of o.faults ?? []) {
    if (f.kind === 'kill') {
      schedule(f.atMs, async () => {
        const i = await resolveTarget(f.target);
        const p = procs[i];
        if (!p) return;
        p.kill('SIGKILL');
        await exited[i];
        applied.push(`${at(Date.now() - faultT0)} kill ${i}`);
        log(applied[applied.length - 1]!);
        if (f.restartAtMs !== undefined) {
          schedule(f.restartAtMs - (Date.now() - faultT0), async () => {
            if (procs[i] || Date.now() >= (nodeStopAtMs[i] ?? stopAtMs) - 500) return;
            startNode(i);
            applied.push(`${at(Date.now() - faultT0)} restart ${i}`);
            log(applied[applied.length - 1]!);
            await waitReady(i);
            if (blocked[i]!.length > 0) await control(i, blocked[i]!);
          });
        }
      });
    } else if (f.kind === 'pause') {
      schedule(f.atMs, async () => {
        const i = await resolveTarget(f.target);
        const p = procs[i];
        if (!p) return;
        p.kill('SIGSTOP');
        applied.push(`${at(Date.now() - faultT0)} pause ${i}`);
        log(applied[applied.length - 1]!);
        schedule((f.resumeAtMs ?? o.seconds * 1000) - (Date.now() - faultT0), () => {
          p.kill('SIGCONT');
          applied.push(`${at(Date.now() - faultT0)} resume ${i}`);
          log(applied[applied.length - 1]!);
        });
      });
    } else {
      schedule(f.atMs, async () => {
        blocked = blockedPeers(f.groups, o.nodes);
        await Promise.all(blocked.map((b, i) => control(i, b)));
        applied.push(`${at(Date.now() - faultT0)} partition ${f.groups.map((g) => g.join(',')).join('|')}`);
        log(applied[applied.length - 1]!);
        if (f.healAtMs !== undefined) {
          schedule(f.healAtMs - (Date.now() - faultT0), async () => {
            blocked = Array.from({ length: o.nodes }, () => []);
            await Promise.all(blocked.map((b, i) => control(i, b)));
            applied.push(`${at(Date.now() - faultT0)} heal`);
            log(applied[applied.length - 1]!);
          });
        }
      });
    }
  }
  // Nodes stop by themselves at stopAtMs; anything still running after a grace period is killed.
  const hard = setTimeout(() => {
    for (const p of procs) p?.kill('SIGKILL');
  }, stopAtMs - Date.now() + STOP_GRACE_MS);
  await new Promise((r) => setTimeout(r, Math.max(0, stopAtMs - Date.now())));
  for (const t of timers) clearTimeout(t);
  for (const p of procs) p?.kill('SIGCONT');
  await Promise.all(exited);
  await Promise.all(procs.map((_, i) => exited[i]));
  clearTimeout(hard);
  return { applied, exits, startedAtMs: faultT0 };
}
