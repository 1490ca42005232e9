// One server's protocol engine: its replica, the coordinator for requests it receives,
// and recovery when its state was lost. No I/O here: the shell (src/server or the
// simulator) supplies an EngineEnv that moves peer messages and persists snapshots, and
// calls tick() at nextWakeAt(). Results of ops that changed durable state are released
// only after env.persist() reports the snapshot holding them durable.

import { DEFAULT_COORDINATOR_CONFIG, DEFAULT_NAMES_MAX, DEFAULT_RECOVERY_CONFIG, type EngineConfig } from './config.js';
import { Coordinator, type AllocErrorCode } from './coordinator.js';
import { Bootstrap, type AdminRequest, type AdminResult } from './bootstrap.js';
import { Recovery, type RecoveryOutcome } from './recovery.js';
import { Replica, unreadyState, type ReplicaState, type StateDelta } from './replica.js';
import { errorResult, type PeerOp, type PeerResult } from './types.js';

export interface EngineEnv {
  now(): number;
  random(): number;
  /** A fresh random id for a new replica state (never reused). */
  newIncarnation(): string;
  sendPeer(to: number, ops: PeerOp[]): void;
  /** Durably store a snapshot() taken at or after this call, then call done. */
  persist(done: (ok: boolean) => void): void;
  completed(req: number, from: bigint, to: bigint, error?: AllocErrorCode): void;
  log?(level: 'info' | 'warn', msg: string): void;
}

export function engineConfig(nodes: number, self: number, over: Partial<EngineConfig> = {}): EngineConfig {
  return { ...DEFAULT_COORDINATOR_CONFIG, ...DEFAULT_RECOVERY_CONFIG, nodes, self, membership: '', namesMax: DEFAULT_NAMES_MAX, ...over };
}

export class Engine {
  readonly replica: Replica;
  readonly coordinator: Coordinator;
  private recovery: Recovery | undefined;
  private bootstrap: { run: Bootstrap; done: (r: AdminResult) => void } | undefined;
  private serving = false;
  private bootPersisting = false;
  private flushing = false;
  private localResults: PeerResult[] = [];
  /** The last ERROR reason logged per peer (one line per change, not one per op). */
  private readonly peerErrors = new Map<number, string>();

  constructor(
    private readonly cfg: EngineConfig,
    loaded: ReplicaState | undefined,
    private readonly env: EngineEnv,
    /** With no loaded state: true when the disk is fresh (never held a replica), false when it was lost. */
    fresh = false,
    /** With no loaded state: the cluster its identity record names ('' if none). */
    knownCluster = '',
  ) {
    this.replica = new Replica(loaded ?? unreadyState(env.newIncarnation(), fresh, knownCluster), cfg.membership, cfg.namesMax);
    this.coordinator = new Coordinator(cfg.nodes, cfg, () => env.random(), `c${env.newIncarnation()}`, cfg.membership);
  }

  /** True once this replica holds a valid state and answers peers. */
  get ready(): boolean {
    return this.serving && this.replica.ready;
  }

  get recovering(): boolean {
    return this.recovery !== undefined;
  }

  get recoveryStatus(): string {
    return this.recovery?.lastReason ?? '';
  }

  start(): void {
    // Every start is counted (persisted before anything is answered): tokens of a ready
    // state die with the process, and a recovering one never reuses its session names.
    this.replica.bumpBoot();
    if (!this.replica.ready) {
      this.recovery = new Recovery(this.cfg.nodes, this.cfg.self, this.cfg, () => this.env.random(), `r${this.env.newIncarnation()}`, this.cfg.membership, this.replica.knownCluster);
      this.env.log?.(
        'warn',
        this.replica.snapshot().blank
          ? 'blank server (never bootstrapped): waiting to be bootstrapped by an init, or to join a formed cluster from its peers'
          : 'no valid state on disk: recovering from peers before serving',
      );
    }
    this.persistBoot();
    this.tick();
  }

  snapshot(): ReplicaState {
    return this.replica.snapshot();
  }

  /** What changed since the previous call, for an incremental persist (see Replica.takeDelta). */
  takeDelta(): StateDelta {
    return this.replica.takeDelta();
  }

  /** Apply ops sent by node `from` (possibly this node) and reply, after persisting if needed. */
  handlePeerOps(from: number, ops: PeerOp[], reply: (results: PeerResult[]) => void): void {
    if (!this.serving) {
      reply(ops.map((op) => errorResult(op, 'ERROR')));
      return;
    }
    let dirty = false;
    const results = ops.map((op) => {
      const o = this.replica.apply(op);
      dirty ||= o.dirty;
      return o.result;
    });
    if (this.recovery && this.replica.ready) {
      // An INSTALL (init or force-recover) made this replica a member: recovery is moot.
      this.recovery = undefined;
      this.env.log?.('info', `installed as a member of cluster ${this.replica.cluster} by an operator's ${ops.find((o) => o.kind === 'INSTALL')?.mode ?? 'install'}; serving`);
    }
    if (!dirty) reply(results);
    else this.env.persist((ok) => reply(ok ? results : ops.map((op) => errorResult(op, 'ERROR'))));
  }

  onPeerResults(from: number, results: PeerResult[]): void {
    this.dispatch(from, results);
    this.flush();
  }

  nextId(req: number, name: string, size: bigint): void {
    this.coordinator.request(req, name, size, this.env.now());
    this.flush();
  }

  /**
   * Several requests that arrived together (one event-loop turn of the shell): queued
   * first, then started, so the requests of one name share one allocation round.
   */
  nextIds(reqs: ReadonlyArray<{ req: number; name: string; size: bigint }>): void {
    const now = this.env.now();
    const names = new Set<string>();
    for (const r of reqs) {
      this.coordinator.request(r.req, r.name, r.size, now, false);
      names.add(r.name);
    }
    this.coordinator.startQueued(names, now);
    this.flush();
  }

  /** This replica's value for name (1 if unknown), undefined while it has no valid state. */
  curId(name: string): bigint | undefined {
    return this.ready ? this.replica.value(name) : undefined;
  }

  /**
   * Run an operator's init (form a new cluster) or force-recover --floor N from this
   * server; done() says what happened. One at a time.
   */
  admin(req: AdminRequest, done: (r: AdminResult) => void): void {
    if (this.bootstrap) {
      done({ ok: false, message: 'another init or force-recover is running on this server' });
      return;
    }
    const run = new Bootstrap(this.cfg.nodes, req, this.cfg.recoveryRoundTimeoutMs, `b${this.env.newIncarnation()}`, this.cfg.membership, `k${this.env.newIncarnation()}`);
    this.bootstrap = { run, done };
    run.start(this.env.now());
    this.flush();
  }

  /** Raise this replica's value for name to at least v (never lowers it). */
  setId(name: string, v: bigint, done: (ok: boolean) => void): void {
    const op: PeerOp = { id: '', kind: 'RAISE', name, from: 0n, to: v, token: '', membership: this.cfg.membership, cluster: this.replica.cluster };
    // The original answers true only when the value was raised.
    const before = this.replica.value(name);
    this.handlePeerOps(this.cfg.self, [op], (r) => done(r[0]?.status === 'OK' && before !== undefined && v > before));
  }

  tick(): void {
    const now = this.env.now();
    if (!this.serving) this.persistBoot();
    this.recovery?.tick(now);
    this.bootstrap?.run.tick(now);
    this.coordinator.tick(now);
    this.flush();
  }

  nextWakeAt(): number | undefined {
    const times = [this.recovery?.nextWakeAt(), this.bootstrap?.run.nextWakeAt(), this.coordinator.nextWakeAt()].filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  private persistBoot(): void {
    if (this.serving || this.bootPersisting) return;
    this.bootPersisting = true;
    // Nothing is answered until the boot counter is durable: a token handed out by an
    // incarnation that then crashes must never become valid again.
    this.env.persist((ok) => {
      this.bootPersisting = false;
      if (ok) this.serving = true;
      else this.env.log?.('warn', 'could not persist state at start; retrying');
      this.flush();
    });
  }

  private dispatch(from: number, results: PeerResult[]): void {
    const now = this.env.now();
    // Each side ignores ids it did not issue (ids carry a per-instance session prefix).
    for (const r of results) {
      const why = r.status === 'ERROR' ? (r.error ?? '') : '';
      if ((this.peerErrors.get(from) ?? '') !== why) {
        this.peerErrors.set(from, why);
        if (why !== '') this.env.log?.('warn', `peer ${from} refused our ops: ${why}`);
      }
      this.recovery?.onResult(from, r, now);
      this.bootstrap?.run.onResult(from, r, now);
      this.coordinator.onResult(from, r, now);
    }
  }

  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (;;) {
        const sends: Array<{ to: number; op: PeerOp }> = [];
        if (this.recovery && this.serving) {
          const d = this.recovery.drain();
          sends.push(...d.sends);
          if (d.outcome) this.finishRecovery(d.outcome);
        }
        let adminDone: (() => void) | undefined;
        if (this.bootstrap && this.serving) {
          const b = this.bootstrap;
          const d = b.run.drain();
          sends.push(...d.sends);
          if (d.result) {
            const result = d.result;
            this.bootstrap = undefined;
            this.env.log?.(result.ok ? 'info' : 'warn', result.message);
            adminDone = () => b.done(result);
          }
        }
        // Ops leave stamped with this replica's cluster (a ready replica of another refuses them).
        this.coordinator.cluster = this.replica.cluster;
        const c = this.coordinator.drain();
        sends.push(...c.sends);
        const byNode = new Map<number, PeerOp[]>();
        for (const s of sends) {
          const list = byNode.get(s.to);
          if (list) list.push(s.op);
          else byNode.set(s.to, [s.op]);
        }
        for (const [to, ops] of byNode) {
          if (to === this.cfg.self) {
            this.handlePeerOps(to, ops, (res) => {
              this.localResults.push(...res);
              this.flush();
            });
          } else this.env.sendPeer(to, ops);
        }
        for (const x of c.completions) this.env.completed(x.req, x.from, x.to, x.error);
        adminDone?.();
        const local = this.localResults;
        this.localResults = [];
        if (local.length > 0) this.dispatch(this.cfg.self, local);
        if (sends.length === 0 && local.length === 0 && c.completions.length === 0 && !adminDone) break;
      }
    } finally {
      this.flushing = false;
    }
  }

  private finishRecovery(o: RecoveryOutcome): void {
    this.recovery = undefined;
    this.replica.completeRecovery(this.env.newIncarnation(), o.values, o.cluster, o.floor);
    this.env.log?.('info', `recovered ${o.values.size} sequence(s) of cluster ${o.cluster} from peers; serving`);
    this.env.persist((ok) => {
      if (!ok) this.env.log?.('warn', 'could not persist the recovered state; will retry with the next write');
    });
  }
}
