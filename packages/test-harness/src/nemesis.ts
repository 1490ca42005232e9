import type { Cluster } from './cluster/cluster.js';
import { ClusterError } from './errors.js';
import { Prng } from './sim/prng.js';

export type NemesisFault = 'kill' | 'pause' | 'partition' | 'restart-wipe';

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

  const candidates = () => [...Array(n).keys()].filter((i) => !protect.has(i) && cluster.isUp(i) && !cluster.isPaused(i));
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
    for (let i = 0; i < n; i++) if (!cluster.isUp(i)) await cluster.start(i);
  }
  return schedule;
}
