import type { Cluster } from './cluster/cluster.js';
import { ClusterError } from './errors.js';
import { Prng } from './sim/prng.js';
import { corruptDir, describeChanges, wipeDir, type CorruptOptions, type DiskChange } from './faults/diskFaults.js';

/**
 * 'restart-wipe': kill and wipe the victims, start them at the next (undo) step, so they stay
 * down for one interval. 'wipe': kill one node, delete its data directory, restart it at once.
 * 'corrupt': kill one node, damage one seeded file (corruptMatch / corruptModes), restart it.
 */
export type NemesisFault = 'kill' | 'pause' | 'partition' | 'restart-wipe' | 'wipe' | 'corrupt';

/** Which files 'corrupt' may damage: one pattern for every node, or one per node. */
export type CorruptMatch = RegExp | ((node: number) => RegExp | undefined);

/**
 * A node restarted after 'wipe'/'corrupt' that exits before it is ready (it detected the
 * damage and refused to start): wipe it and start it fresh, leave it down (also at the
 * final heal), or fail the run with a NemesisError.
 */
export type OnRefusedStart = 'wipe-and-restart' | 'leave-down' | 'fail';

export class NemesisError extends ClusterError {}

export interface NemesisOptions {
  seed: number;
  durationMs: number;
  /** Wait between steps, uniform in [min, max] ms. Default [500, 2000]. */
  intervalMs?: [number, number];
  faults: NemesisFault[];
  /** Nodes never killed, paused or cut off alone. */
  protect?: number[];
  /** Most nodes affected at once. Default: a minority, floor((n - 1) / 2). */
  maxDown?: number;
  /** Stop after this many steps (inject or undo), even if durationMs is not over. */
  steps?: number;
  /** Most nodes whose disk is wiped/damaged per 'wipe'/'corrupt' step. Default 1. */
  diskFaultsMaxAtOnce?: number;
  /** Files 'corrupt' may damage (matched against the path inside the node dir). Default: any file. */
  corruptMatch?: CorruptMatch;
  /** Damage kinds 'corrupt' picks from (seeded). Default ['flip', 'truncate', 'delete']. */
  corruptModes?: CorruptOptions['mode'][];
  /** Default 'fail'. */
  onRefusedStart?: OnRefusedStart;
  /**
   * Called after a wiped/damaged node is up again and before the step ends, e.g. to wait
   * until it reports SERVING, so the next disk fault never hits while it is still recovering.
   */
  waitRecovered?: (node: number) => Promise<void>;
}

/**
 * Runs a seeded schedule of faults against a real cluster for a bounded time. Steps alternate:
 * inject a fault, then undo it (restart / resume / heal), so the cluster keeps a quorum when
 * maxDown is a minority. At the end everything is healed, resumed and restarted. Returns the
 * schedule that was applied, one line per action.
 */
export async function runNemesis(cluster: Cluster, opts: NemesisOptions, log?: (line: string) => void): Promise<string[]> {
  const rng = new Prng(opts.seed);
  const n = cluster.size;
  if (opts.faults.includes('partition') && n > 1 && cluster.proxy(0, 1) === undefined) {
    throw new ClusterError('NO_PROXIES', "runNemesis: the 'partition' fault needs startCluster({ proxies: true })");
  }
  const [lo, hi] = opts.intervalMs ?? [500, 2000];
  const maxDown = opts.maxDown ?? Math.floor((n - 1) / 2);
  const protect = new Set(opts.protect ?? []);
  const t0 = Date.now();
  const schedule: string[] = [];
  const note = (what: string) => {
    const line = `+${Date.now() - t0}ms ${what}`;
    schedule.push(line);
    log?.(line);
  };
  let undo: (() => Promise<void>) | undefined;
  const leftDown = new Set<number>();
  const diskMax = opts.diskFaultsMaxAtOnce ?? 1;
  const modes = opts.corruptModes ?? ['flip', 'truncate', 'delete'];

  /** Starts a node after a disk fault, handling a refusal to start as onRefusedStart says. */
  async function restartAfterDiskFault(i: number): Promise<void> {
    try {
      await cluster.start(i);
    } catch (err) {
      const why = (err as Error).message.split('\n')[0];
      const policy = opts.onRefusedStart ?? 'fail';
      note(`node ${i} refused to start (${why}); onRefusedStart=${policy}`);
      // Either way the node stays down: the final heal must not retry (and mask the outcome).
      leftDown.add(i);
      if (policy === 'fail') throw new NemesisError('REFUSED_START', `runNemesis: node ${i} refused to start after a disk fault: ${why}`, { cause: err });
      if (policy === 'leave-down') return;
      leftDown.delete(i);
      note(`wipe ${i}: ${describeChanges(wipeDir(cluster.nodeDir(i), { isUp: () => cluster.isUp(i) }), cluster.dataDir)}`);
      await cluster.start(i);
      note(`start ${i} (fresh)`);
    }
    if (cluster.isUp(i)) await opts.waitRecovered?.(i);
  }

  const candidates = () =>
    [...Array(n).keys()].filter((i) => !protect.has(i) && cluster.isUp(i) && !cluster.isPaused(i) && !leftDown.has(i));
  const pickSome = (): number[] => {
    const c = rng.shuffle(candidates());
    return c.slice(0, Math.min(c.length, rng.int(1, Math.max(1, maxDown))));
  };

  async function inject(): Promise<void> {
    if (maxDown < 1 || opts.faults.length === 0) return;
    const fault = rng.pick(opts.faults);
    const victims = pickSome();
    if (victims.length === 0) return;
    switch (fault) {
      case 'kill':
        note(`kill ${victims.join(',')}`);
        await Promise.all(victims.map((i) => cluster.kill(i, 'SIGKILL')));
        undo = async () => {
          note(`start ${victims.join(',')}`);
          await Promise.all(victims.map((i) => cluster.start(i)));
        };
        break;
      case 'restart-wipe':
        note(`kill+wipe ${victims.join(',')}`);
        for (const i of victims) {
          await cluster.kill(i, 'SIGKILL');
          await cluster.wipe(i);
        }
        undo = async () => {
          note(`start ${victims.join(',')}`);
          await Promise.all(victims.map((i) => cluster.start(i)));
        };
        break;
      case 'wipe':
      case 'corrupt':
        for (const i of victims.slice(0, Math.max(0, diskMax))) {
          await cluster.kill(i, 'SIGKILL');
          const g = { isUp: () => cluster.isUp(i) };
          const dir = cluster.nodeDir(i);
          let changes: DiskChange[];
          if (fault === 'wipe') changes = wipeDir(dir, g);
          else {
            const m = opts.corruptMatch;
            const match = typeof m === 'function' ? m(i) : m;
            const mode = rng.pick(modes);
            const seed = rng.int(0, 0x7fffffff);
            try {
              changes = corruptDir(dir, { seed, mode, ...(match ? { match } : {}) }, g);
            } catch (err) {
              // Nothing matching on this node yet (e.g. no WAL written): say so, restart it.
              changes = [];
              note(`corrupt ${i}: ${(err as Error).message}`);
            }
            note(`kill+corrupt ${i} (mode ${mode}, seed ${seed}): ${describeChanges(changes, cluster.dataDir)}`);
          }
          if (fault === 'wipe') note(`kill+wipe-now ${i}: ${describeChanges(changes, cluster.dataDir)}`);
          await restartAfterDiskFault(i);
          if (cluster.isUp(i)) note(`start ${i}`);
        }
        break;
      case 'pause':
        note(`pause ${victims.join(',')}`);
        for (const i of victims) cluster.pause(i);
        undo = async () => {
          note(`resume ${victims.join(',')}`);
          for (const i of victims) if (cluster.isUp(i)) cluster.resume(i);
        };
        break;
      case 'partition': {
        const minority = new Set(victims);
        const groups = [[...minority].sort((a, b) => a - b), [...Array(n).keys()].filter((i) => !minority.has(i))];
        note(`partition ${JSON.stringify(groups)}`);
        cluster.partition(groups);
        undo = async () => {
          note('heal');
          cluster.heal();
        };
        break;
      }
    }
  }

  let steps = 0;
  try {
    while (Date.now() - t0 < opts.durationMs && steps++ < (opts.steps ?? Infinity)) {
      const wait = Math.min(rng.int(lo, hi), Math.max(0, opts.durationMs - (Date.now() - t0)));
      await new Promise((r) => setTimeout(r, wait));
      if (Date.now() - t0 >= opts.durationMs) break;
      if (undo) {
        const u = undo;
        undo = undefined;
        await u();
      } else {
        await inject();
      }
    }
  } finally {
    if (undo) await undo();
    note('final heal: heal, resume and start every node');
    try {
      cluster.heal();
    } catch {
      // no proxies: nothing to heal
    }
    for (let i = 0; i < n; i++) if (cluster.isUp(i) && cluster.isPaused(i)) cluster.resume(i);
    for (let i = 0; i < n; i++) if (!cluster.isUp(i) && !leftDown.has(i)) await cluster.start(i);
    if (leftDown.size > 0) note(`left down (refused to start): ${[...leftDown].join(',')}`);
  }
  return schedule;
}
