// A hand-driven network of engines for unit tests: messages wait in a queue until the
// test delivers them, persistence is an in-memory copy.
import { Engine, emptyState, engineConfig, type EngineConfig, type PeerOp, type PeerResult, type ReplicaState } from '../../src/core/index.js';

type Msg =
  | { kind: 'ops'; from: number; to: number; ops: PeerOp[] }
  | { kind: 'results'; from: number; to: number; results: PeerResult[] };

export class LocalNet {
  readonly engines: Engine[] = [];
  readonly disk: Array<ReplicaState | undefined> = [];
  readonly queue: Msg[] = [];
  readonly done = new Map<number, { from: bigint; to: bigint; error?: string }>();
  now = 0;
  private seed = 1;
  private inc = 0;

  /** Persists (fsyncs in the real shell) per node. */
  readonly persists: number[] = [];
  /** Per node: its disk never held a replica (a blank server). */
  readonly fresh: boolean[] = [];

  /** bootstrapped (default): every node starts as a member of one formed, empty cluster. */
  constructor(
    readonly nodes: number,
    private readonly over: Partial<EngineConfig> = {},
    opts: { bootstrapped?: boolean } = {},
  ) {
    const formed = opts.bootstrapped ?? true;
    for (let i = 0; i < nodes; i++) {
      this.disk.push(formed ? emptyState(`n${i}i0`, true, 'k1') : undefined);
      this.fresh.push(!formed);
      this.persists.push(0);
    }
    for (let i = 0; i < nodes; i++) this.engines.push(this.make(i));
  }

  random = (): number => {
    this.seed = (this.seed * 48271) % 2147483647;
    return this.seed / 2147483647;
  };

  make(i: number): Engine {
    const self: { engine?: Engine } = {};
    const engine = new Engine(engineConfig(this.nodes, i, this.over), this.disk[i], {
      now: () => this.now,
      random: this.random,
      newIncarnation: () => `n${i}i${++this.inc}`,
      sendPeer: (to, ops) => this.queue.push({ kind: 'ops', from: i, to, ops }),
      persist: (done) => {
        this.disk[i] = self.engine!.snapshot();
        this.persists[i] = (this.persists[i] ?? 0) + 1;
        done(true);
      },
      completed: (req, from, to, error) => this.done.set(req, { from, to, ...(error ? { error } : {}) }),
    }, this.fresh[i]);
    self.engine = engine;
    return engine;
  }

  /** Restart node i from what its disk holds (optionally wiped first). */
  restart(i: number, wipe = false, keepInFlight = false): void {
    if (wipe) {
      this.disk[i] = undefined;
      this.fresh[i] = false;
    }
    if (!keepInFlight) this.queue.splice(0, this.queue.length, ...this.queue.filter((m) => m.to !== i && m.from !== i));
    this.engines[i] = this.make(i);
    this.engines[i]!.start();
  }

  /** Start every node as a formed cluster. */
  bootstrap(): void {
    this.startAll();
    this.settle();
  }

  startAll(): void {
    for (const e of this.engines) e.start();
  }

  deliver(m: Msg): void {
    const e = this.engines[m.to]!;
    if (m.kind === 'ops') e.handlePeerOps(m.from, m.ops, (results) => this.queue.push({ kind: 'results', from: m.to, to: m.from, results }));
    else e.onPeerResults(m.from, m.results);
  }

  /** Deliver everything (and tick) until the network is quiet. */
  settle(maxSteps = 10_000): void {
    for (let step = 0; step < maxSteps; step++) {
      const m = this.queue.shift();
      if (m) {
        this.deliver(m);
        continue;
      }
      const wake = this.engines.map((e) => e.nextWakeAt()).filter((t): t is number => t !== undefined);
      if (wake.length === 0) return;
      this.now = Math.max(this.now + 1, Math.min(...wake));
      for (const e of this.engines) e.tick();
      if (this.queue.length === 0 && this.engines.every((e) => e.ready) && !this.engines.some((e) => e.coordinator.pending() > 0)) return;
    }
  }
}
