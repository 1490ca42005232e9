import { SimFailure } from '../errors.js';
import { EventQueue } from './eventQueue.js';
import { Prng } from './prng.js';
import { MemorySimStorage } from './simStorage.js';
import type { SimContext, SimNode, SimOptions, SimStats, SimWorld } from './types.js';
import { Trace, formatValue } from './trace.js';

// trace lines a failure carries (SIM_TRACE_LINES asks for more when replaying one seed)
const TRACE_TAIL = Math.max(200, Number(process.env.SIM_TRACE_LINES) || 0);

/**
 * Runs pure protocol cores in one thread over a simulated network and a virtual clock.
 * Everything random comes from the seed, events at the same virtual time run in the order
 * they were scheduled, so one seed always produces one run (and one trace).
 */
export function simulate<M>(opts: SimOptions<M>): SimWorld<M> {
  const n = opts.nodes;
  const faults = opts.faults ?? {};
  const tickMs = opts.tickMs ?? 10;
  const [delayLo, delayHi] = faults.delayMs ?? [1, 10];
  const [downLo, downHi] = faults.restartAfterMs ?? [50, 500];
  const crashable = faults.crashable ?? [...Array(n).keys()];
  const maxDown = faults.maxDown ?? Math.max(1, Math.floor((n - 1) / 2));
  const wipeOnCrash = new Set(faults.wipeOnCrash ?? []);
  const maxEvents = opts.maxEvents ?? 5_000_000;
  const clone = opts.cloneMessages ?? true;
  const fmt = opts.formatMessage ?? ((m: M) => formatValue(m, 160));

  const netRng = new Prng(opts.seed);
  const workloadRng = new Prng(opts.seed ^ 0x5bd1e995);
  const queue = new EventQueue();
  const trace = new Trace(opts.traceMax ?? 5_000);
  const stats: SimStats = {
    events: 0, sent: 0, delivered: 0, dropped: 0, duplicated: 0, timersFired: 0,
    crashes: 0, restarts: 0, partitions: 0, lostWrites: 0,
  };
  const storages = Array.from({ length: n }, () => new MemorySimStorage());
  const live: Array<SimNode<M> | undefined> = new Array(n).fill(undefined);
  // epoch changes on every start and crash (stale timers check it); starts counts incarnations.
  const epoch: number[] = new Array(n).fill(0);
  const starts: number[] = new Array(n).fill(0);
  // blocked[from][to]: messages from -> to are dropped.
  const blocked: boolean[][] = Array.from({ length: n }, () => new Array(n).fill(false));
  let partitioned = false;
  let now = 0;
  let faultsOn = true;

  const log = (line: string) => trace.push(`t=${now} ${line}`);
  const checkId = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`no node ${i} (nodes: ${n})`);
  };

  function deliver(from: number, to: number, msg: M): void {
    const node = live[to];
    if (node === undefined) {
      stats.dropped++;
      log(`drop ${from}->${to} (down) ${fmt(msg)}`);
      return;
    }
    if (from >= 0 && blocked[from]![to]) {
      stats.dropped++;
      log(`drop ${from}->${to} (partition) ${fmt(msg)}`);
      return;
    }
    stats.delivered++;
    log(`recv ${from}->${to} ${fmt(msg)}`);
    node.onMessage(from, msg);
  }

  function send(from: number, to: number, msg: M): void {
    if (to === -1) {
      stats.sent++;
      if (faultsOn && netRng.chance(faults.dropRate ?? 0)) {
        stats.dropped++;
        log(`drop ${from}->client (loss) ${fmt(msg)}`);
        return;
      }
      const m = clone ? structuredClone(msg) : msg;
      queue.push(now + netRng.int(delayLo, delayHi), () => {
        stats.delivered++;
        log(`recv ${from}->client ${fmt(m)}`);
        opts.onOutside?.(from, m, world);
      });
      return;
    }
    checkId(to);
    stats.sent++;
    if (blocked[from]![to]) {
      stats.dropped++;
      log(`drop ${from}->${to} (partition) ${fmt(msg)}`);
      return;
    }
    if (faultsOn && netRng.chance(faults.dropRate ?? 0)) {
      stats.dropped++;
      log(`drop ${from}->${to} (loss) ${fmt(msg)}`);
      return;
    }
    const copies = faultsOn && netRng.chance(faults.duplicateRate ?? 0) ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let c = 0; c < copies; c++) {
      const m = clone ? structuredClone(msg) : msg;
      queue.push(now + netRng.int(delayLo, delayHi), () => deliver(from, to, m));
    }
  }

  function makeContext(id: number): SimContext<M> {
    const inc = starts[id]! - 1;
    const myEpoch = epoch[id]!;
    const rng = new Prng((opts.seed * 2654435761 + id * 40503 + inc * 977) >>> 0);
    const alive = () => epoch[id] === myEpoch && live[id] !== undefined;
    return {
      id,
      nodes: n,
      incarnation: inc,
      now: () => now,
      random: () => rng.next(),
      send: (to, msg) => {
        if (alive()) send(id, to, msg);
      },
      setTimer: (delayMs, fn) => {
        const ev = queue.push(now + Math.max(0, delayMs), () => {
          if (!alive()) return;
          stats.timersFired++;
          fn();
        });
        return () => {
          ev.cancelled = true;
        };
      },
      storage: storages[id]!,
      log: (line) => log(`n${id}: ${line}`),
    };
  }

  function start(i: number): void {
    epoch[i]!++;
    starts[i]!++;
    // Mark up before create so sends from the constructor or onStart are not dropped.
    live[i] = {} as SimNode<M>;
    const node = opts.create(makeContext(i));
    live[i] = node;
    node.onStart?.();
  }

  function crash(i: number, wipe = false): void {
    checkId(i);
    if (live[i] === undefined) return;
    live[i] = undefined;
    epoch[i]!++; // kills every pending timer and send of the old incarnation
    const st = storages[i]!;
    let lost: number;
    if (wipe || wipeOnCrash.has(i)) {
      lost = st.unsynced;
      st.wipe();
    } else {
      lost = st.crash(faults.tornWrites ? netRng.int(0, st.unsynced) : 0);
    }
    stats.crashes++;
    stats.lostWrites += lost;
    log(`crash n${i}${wipe || wipeOnCrash.has(i) ? ' (wiped)' : ''} lost ${lost} unsynced writes`);
  }

  function restart(i: number): void {
    checkId(i);
    if (live[i] !== undefined) return;
    stats.restarts++;
    log(`restart n${i}`);
    start(i);
  }

  function setBlocked(from: number, to: number, v: boolean) {
    blocked[from]![to] = v;
  }

  function heal(): void {
    for (const row of blocked) row.fill(false);
    if (partitioned) log('heal');
    partitioned = false;
  }

  function partition(groups: number[][]): void {
    heal();
    const groupOf = new Map<number, number>();
    groups.forEach((g, gi) => g.forEach((i) => groupOf.set(i, gi)));
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++) {
        // Nodes in no group are alone.
        if (a !== b && (groupOf.get(a) ?? -1 - a) !== (groupOf.get(b) ?? -1 - b)) setBlocked(a, b, true);
      }
    partitioned = true;
    stats.partitions++;
    log(`partition ${JSON.stringify(groups)}`);
  }

  function randomFaults(): void {
    if (netRng.chance(faults.partitionRate ?? 0)) {
      if (partitioned) heal();
      else if (n > 1 && netRng.chance(0.25)) {
        const a = netRng.int(0, n - 1);
        let b = netRng.int(0, n - 2);
        if (b >= a) b++;
        world.cut(a, b);
      } else if (n > 1) {
        const order = netRng.shuffle([...Array(n).keys()]);
        const k = netRng.int(1, n - 1);
        const byId = (x: number, y: number) => x - y;
        partition([order.slice(0, k).sort(byId), order.slice(k).sort(byId)]);
      }
    }
    if (netRng.chance(faults.crashRate ?? 0)) {
      const down = live.filter((x) => x === undefined).length;
      const candidates = crashable.filter((i) => live[i] !== undefined);
      if (down < maxDown && candidates.length > 0) {
        const i = netRng.pick(candidates);
        crash(i);
        const back = netRng.int(downLo, downHi);
        queue.push(now + back, () => restart(i));
      }
    }
  }

  function tick(): void {
    if (faultsOn) randomFaults();
    opts.onTick?.(world);
    queue.push(now + tickMs, tick);
  }

  const world: SimWorld<M> = {
    seed: opts.seed,
    now: () => now,
    node: (i) => {
      checkId(i);
      return live[i];
    },
    isUp: (i) => {
      checkId(i);
      return live[i] !== undefined;
    },
    storage: (i) => {
      checkId(i);
      return storages[i]!;
    },
    random: () => workloadRng.next(),
    connected: (from, to) => live[to] !== undefined && (from < 0 || !blocked[from]![to]),
    at: (timeMs, fn) => {
      queue.push(Math.max(now, timeMs), fn);
    },
    crash: (i, o) => crash(i, o?.wipe ?? false),
    restart,
    partition,
    cut: (from, to) => {
      checkId(from);
      checkId(to);
      setBlocked(from, to, true);
      partitioned = true;
      stats.partitions++;
      log(`cut ${from}->${to}`);
    },
    heal,
    inject: (to, from, msg) => {
      checkId(to);
      queue.push(now, () => deliver(from, to, clone ? structuredClone(msg) : msg));
    },
    get trace() {
      return trace.lines();
    },
    traceHash: () => trace.hash(),
    stats,
  };

  const fail = (err: unknown): never => {
    if (err instanceof SimFailure) throw err;
    trace.push(`t=${now} FAILED: ${err instanceof Error ? err.message : String(err)}`);
    throw new SimFailure(opts.seed, now, trace.lines().slice(-TRACE_TAIL), err);
  };

  try {
    opts.setup?.(world);
    for (let i = 0; i < n; i++) start(i);
    opts.invariant?.(world);
    queue.push(tickMs, tick);
    if (opts.healAtMs !== undefined) {
      queue.push(opts.healAtMs, () => {
        faultsOn = false;
        heal();
        for (let i = 0; i < n; i++) restart(i);
        log('heal phase: no more faults');
      });
    }
    for (;;) {
      if (opts.stopWhen?.(world)) break;
      const ev = queue.pop();
      if (ev === undefined || ev.at > opts.maxTimeMs) break;
      if (ev.cancelled) continue;
      now = ev.at;
      if (++stats.events > maxEvents) throw new Error(`more than ${maxEvents} events (livelock?)`);
      ev.run();
      opts.invariant?.(world);
    }
  } catch (err) {
    fail(err);
  }
  return world;
}
