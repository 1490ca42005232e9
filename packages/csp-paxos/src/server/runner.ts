// `csp-paxos run`: starts N node processes, applies a fault schedule, stops them together.
// The run's window opens once every node answers (on a loaded machine the processes come up
// seconds apart: a failed run at load 16 saw 3.9 s between the first and the last start of a 5 s run) and
// lasts `seconds`; then every node gets SIGTERM at the same moment. Each node also carries a
// far --stop-at of its own, so an orphan (the runner killed) still stops.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TlsReloader } from '@quorumkit/shared-transport';
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
  /**
   * TLS for the nodes (docs/tls.md): `nodeArgs` are the node flags (--tls-cert/--tls-key/
   * --tls-ca[/--tls-client-auth]); `client` is what the runner's own status and control
   * connections present.
   */
  tls?: { nodeArgs: string[]; client: TlsReloader };
  /** Remove old logs and data in logDir first (default true). */
  fresh?: boolean;
  /** Node i is spawned this long after the others (a slow start on a loaded machine; tests). */
  startDelaysMs?: number[];
  log?(line: string): void;
}

/** Something that went wrong with a node process (not a fault the schedule caused). */
export interface NodeProblem {
  node: number;
  /** What happened, e.g. "exited with code 2 before it was ready". */
  what: string;
  /** The last lines of its node<i>.out. */
  outTail: string[];
}

export interface RunResult {
  applied: string[];
  /** Per node: exit codes of every incarnation (null: ended by a signal). */
  exits: Array<Array<number | null>>;
  /** When every node answered: the fault schedule and the run window count from here. */
  startedAtMs: number;
  /** Nodes that died at start, failed to answer, or exited on their own with an error. */
  problems: NodeProblem[];
}

const STOP_GRACE_MS = 15_000;
/** How long a node may take to answer its first status request. */
const READY_TIMEOUT_MS = 30_000;
/** A node's own --stop-at lies this far past the run's end (the runner stops it first). */
const BACKSTOP_MS = 60_000;
/** Lines of node<i>.out shown with a problem. */
export const OUT_TAIL_LINES = 8;

/** The last `n` non-empty lines of a text file ([] when it is missing). */
export function tailLines(path: string, n = OUT_TAIL_LINES): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (_e) {
    return [];
  }
  return text.split('\n').filter((l) => l.trim() !== '').slice(-n);
}

export function nodeOutPath(logDir: string, i: number): string {
  return join(logDir, `node${i}.out`);
}

export async function runCluster(o: RunOptions): Promise<RunResult> {
  const log = o.log ?? (() => {});
  mkdirSync(o.logDir, { recursive: true });
  if (o.fresh ?? true) {
    for (let i = 0; i < o.nodes; i++) {
      rmSync(join(o.logDir, `instancelog${i}.log`), { force: true });
      rmSync(join(o.logDir, `data${i}`), { recursive: true, force: true });
    }
  }
  const spawnedAtMs = Date.now();
  // Set once every node answered: the end of the run window (every node is stopped then).
  const win: { endAtMs?: number } = {};
  const procs: Array<ChildProcess | undefined> = new Array(o.nodes).fill(undefined);
  const exits: Array<Array<number | null>> = Array.from({ length: o.nodes }, () => []);
  const exited: Array<Promise<void>> = new Array(o.nodes).fill(Promise.resolve());
  /** Processes this runner killed or stopped on purpose (their exit is no problem). */
  const ours = new WeakSet<ChildProcess>();
  const problems: NodeProblem[] = [];
  let blocked: number[][] = Array.from({ length: o.nodes }, () => []);
  const applied: string[] = [];
  const at = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;
  const outPath = (i: number): string => nodeOutPath(o.logDir, i);
  const problem = (i: number, what: string): void => {
    // The tail is read once the node's output is flushed (its streams end with the process).
    problems.push({ node: i, what, outTail: [] });
    log(`node ${i} ${what}; see ${outPath(i)}`);
  };

  const starts: number[] = new Array(o.nodes).fill(0);
  const outs: Array<Promise<void>> = [];
  const secret = o.secret ?? randomBytes(24).toString('hex');
  // Partitions are applied through the nodes' control requests, which are off unless asked for.
  const needsControl = (o.faults ?? []).some((f) => f.kind === 'partition');
  const startNode = (i: number): void => {
    // Only the very first start of a fresh run creates the cluster; a restart never bootstraps
    // (a node whose disk was lost must re-learn, not start a cluster of its own).
    const bootstrap = starts[i] === 0 && (o.fresh ?? true);
    starts[i] = (starts[i] ?? 0) + 1;
    const backstop = (win.endAtMs ?? Date.now() + READY_TIMEOUT_MS + o.seconds * 1000) + BACKSTOP_MS;
    const args = [o.cliPath, 'node', '-i', String(i), '-n', String(o.nodes), '-o', o.timeoutArg, '-l', String(o.interval), '-t', String(o.seconds), '--stop-at', String(backstop), '--log-dir', o.logDir, '--ports', o.ports.join(','), ...(o.peerPorts ? ['--peer-ports', o.peerPorts.join(',')] : []), ...(bootstrap ? ['--bootstrap'] : []), ...(needsControl ? ['--allow-control'] : []), ...(o.tls?.nodeArgs ?? []), ...(o.extraNodeArgs ?? [])];
    const out = createWriteStream(outPath(i), { flags: 'a' });
    // The secret travels in the environment, not on the command line (ps shows argv).
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CSP_PAXOS_SECRET: secret } });
    // Both streams into one file; it is ended once both are drained ('close' of the child).
    p.stdout!.pipe(out, { end: false });
    p.stderr!.pipe(out, { end: false });
    p.once('close', () => out.end());
    out.on('error', (e) => log(`cannot write ${outPath(i)}: ${e.message}`));
    outs.push(new Promise((resolve) => out.once('close', () => resolve())));
    procs[i] = p;
    exited[i] = new Promise((resolve) => p.once('exit', (code, signal) => {
      exits[i]!.push(code);
      if (procs[i] === p) procs[i] = undefined;
      // A node that stops by itself before the end, or with an error, is a finding (a disk
      // that stalled, a port taken); one this runner killed or stopped is not.
      if (!ours.has(p) && win.endAtMs !== undefined) problem(i, signal ? `was ended by ${signal} during the run` : `exited with code ${code} during the run`);
      else if (ours.has(p) && code !== null && code !== 0) problem(i, `exited with code ${code} when stopped`);
      resolve();
    }));
  };
  const status = (i: number) => nodeStatus(o.ports[i]!, undefined, o.tls?.client);
  const control = async (i: number, peers: number[]): Promise<void> => {
    try {
      const c = await NodeConnection.open(o.ports[i]!, undefined, 1_000, o.tls?.client);
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
        rounds.push((await status(i)).round);
      } catch (_e) {
        // down
      }
    }
    return rounds.length === 0 ? 0 : Math.max(...rounds) % o.nodes;
  };
  /** Waits until node i answers; false when it died or stayed silent. */
  const waitReady = async (i: number): Promise<boolean> => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline && procs[i]) {
      try {
        await status(i);
        return true;
      } catch (_e) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return false;
  };

  const delays = o.startDelaysMs ?? [];
  await Promise.all(
    Array.from({ length: o.nodes }, async (_, i) => {
      if ((delays[i] ?? 0) > 0) await new Promise((r) => setTimeout(r, delays[i]));
      startNode(i);
      if (await waitReady(i)) return;
      // A node that died at start (a port taken, a bad directory) would otherwise show up only
      // as "node i never commits".
      if (!procs[i]) problem(i, `exited with code ${exits[i]![0]} before it was ready`);
      else problem(i, `did not answer a status request within ${READY_TIMEOUT_MS / 1000} s of its start`);
    }),
  );
  // Fault times and the run window count from the moment every node is up.
  const faultT0 = Date.now();
  const endAt = faultT0 + o.seconds * 1000;
  win.endAtMs = endAt;
  if (faultT0 - spawnedAtMs > 1000) log(`the nodes answered ${at(faultT0 - spawnedAtMs)} after the first spawn; the ${o.seconds} s window starts now`);
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
        ours.add(p);
        p.kill('SIGKILL');
        await exited[i];
        applied.push(`${at(Date.now() - faultT0)} kill ${i}`);
        log(applied[applied.length - 1]!);
        if (f.restartAtMs !== undefined) {
          schedule(f.restartAtMs - (Date.now() - faultT0), async () => {
            if (procs[i] || Date.now() >= endAt - 500) return;
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
  await new Promise((r) => setTimeout(r, Math.max(0, endAt - Date.now())));
  for (const t of timers) clearTimeout(t);
  // Every node stops at the same moment (a paused one is resumed first, so it can stop).
  for (const p of procs) {
    if (!p) continue;
    ours.add(p);
    p.kill('SIGCONT');
    p.kill('SIGTERM');
  }
  // Anything still running after a grace period is killed.
  const hard = setTimeout(() => {
    for (const p of procs) p?.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await Promise.all(procs.map((_, i) => exited[i]));
  clearTimeout(hard);
  await Promise.all(outs);
  for (const pr of problems) pr.outTail = tailLines(outPath(pr.node));
  return { applied, exits, startedAtMs: faultT0, problems };
}
