// The engine: entity workers around the pure EntityCore and the wiring of its parts: the
// group-commit pipeline (commitPipeline.ts: one synced plog batch for whatever every entity
// produced meanwhile, persist before send), the in-order applier (applier.ts), the callers
// waiting for an answer (waiters.ts), entity loading (entityLoader.ts), peer message routing
// (inbound.ts), catch-up serving (catchUpServer.ts), GetAll (getAll.ts, getAllRunner.ts),
// uuid lookups and the in-memory uuid window (uuidLookup.ts, uuidWindow.ts), recovery mode
// (recoveryMode.ts), the stores (openStores.ts), plog expiry (expirySweeper.ts), sending to
// peers (peerSender.ts) and the transport it is given (transport.ts).
import { pino, type Logger } from 'pino';
import type { EntityCore, Effects, PeerMsg } from '../core/index.js';
import type { Plog } from '../storage/plog.js';
import type { Db } from '../storage/db.js';
import { staticRoute, type Transport, type GetAllPageReq, type GetAllPageRsp } from './transport.js';
import { defaultTuning, type CertainTuning } from './options.js';
import type { CertainOptions } from './certainOptions.js';
import { RateLimiter } from './rateLimiter.js';
import { GetAllSource } from './getAll.js';
import {
  BusyError, ValueTooLargeError, DupUuidError, PendingError, StoppedError, TurnError, BadConfigError,
  RecoveringError, LearnOnlyError, TooManyUuidsError,
} from '../errors.js';
import { RecoveryMode } from './recoveryMode.js';
import { openEngineStores } from './openStores.js';
import { CommitPipeline, type CommitPipelineHost } from './commitPipeline.js';
import { Applier } from './applier.js';
import { catchUpResponse } from './catchUpServer.js';
import { ChosenGossip } from './chosenGossip.js';
import { expireSweep } from './expirySweeper.js';
import { Waiters } from './waiters.js';
import { UuidLookup } from './uuidLookup.js';
import { loadEntity } from './entityLoader.js';
import { GetAllRunner } from './getAllRunner.js';
import { routePeerMessage } from './inbound.js';
import { PeerSender } from './peerSender.js';

export type { CertainOptions } from './certainOptions.js';

export class Certain {
  readonly tuning: CertainTuning;
  readonly log: Logger;
  plog!: Plog;
  db!: Db;
  private transport!: Transport;
  private getAllSource!: GetAllSource;
  private readonly entities = new Map<bigint, EntityCore>();
  private readonly loading = new Map<bigint, Promise<EntityCore>>();
  private readonly applier: Applier;
  private readonly gossip: ChosenGossip;

  private readonly waiters: Waiters;
  private readonly sender: PeerSender;
  private readonly uuids: UuidLookup;
  private readonly getAlls: GetAllRunner;
  private readonly pipeline: CommitPipeline;
  private readonly pipelineHost: CommitPipelineHost = {
    write: async (ops) => {
      const t0 = performance.now();
      await this.plog.write(ops, Date.now());
      this.applier.noteWritten(ops);
      this.hooks.plogWriteMs?.(performance.now() - t0);
      this.metrics.fsyncBatches++;
    },
    release: (e) => this.release(e),
    stopped: () => this.stopped,
    drained: () => {
      if (this.recovery.recovering) this.recovery.maybeFinish(true).catch((err: unknown) => this.log.error({ err }, 'recovery completion failed'));
    },
    fatal: (err) => {
      this.log.fatal({ err }, 'plog write failed; stopping');
      this.fatalError = err;
      try {
        this.hooks.onFatal?.(err);
      } catch (hookErr) {
        this.log.error({ err: hookErr }, 'onFatal hook failed');
      }
      void this.stop();
    },
  };
  private timers: NodeJS.Timeout[] = [];
  private catchUpLimiter!: RateLimiter;
  private stopped = true;
  readonly metrics = { chosen: 0, catchUpsSent: 0, getAlls: 0, fsyncBatches: 0, expired: 0, droppedSends: 0, fenced: 0, peerMessagesSent: 0, peerMessagesByKind: {} as Record<string, number> };
  /** Latency hooks for metrics: a synced plog batch, and a write from call to chosen. */
  readonly hooks: {
    plogWriteMs?: (ms: number) => void;
    commitMs?: (ms: number) => void;
    /** The engine stopped itself (a plog write failed): whoever reports health must say NOT_SERVING. */
    onFatal?: (err: unknown) => void;
  } = {};
  /** Checksum problems found in this replica's stores at start (they were moved aside). */
  damagedStores: string[] = [];
  /** Why the engine stopped itself, if it did. */
  fatalError: unknown = undefined;
  /** Voting status, recovery from lost state, fence of peers' earlier incarnations. */
  readonly recovery: RecoveryMode;

  constructor(private readonly opts: CertainOptions) {
    this.tuning = { ...defaultTuning, ...opts.options };
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.pipeline = new CommitPipeline(this.pipelineHost, { deferMaxMs: this.tuning.chosenMarkDeferMs, deferOpsMax: 4096 });
    this.waiters = new Waiters(this.tuning.cmdTimeoutMs);
    this.sender = new PeerSender({ transport: () => this.transport, incarnation: () => this.recovery.incarnation, log: this.log, metrics: this.metrics });
    this.uuids = new UuidLookup({ plog: () => this.plog, db: () => this.db, pipeline: this.pipeline, windowMs: this.tuning.uuidWindowMs, entriesMax: this.tuning.uuidWindowEntriesMax });
    const n = opts.acceptorNum;
    if (!Number.isInteger(n) || n < 1 || n > 5) throw new BadConfigError(`acceptorNum must be 1..5, got ${n}`);
    if (!Number.isInteger(opts.acceptorId) || opts.acceptorId < 0 || opts.acceptorId >= n) {
      throw new BadConfigError(`acceptorId must be 0..${n - 1}, got ${opts.acceptorId}`);
    }
    if (typeof opts.transport !== 'function') throw new BadConfigError('a transport factory is required (grpcTransport, or createCertain() which defaults to it)');
    if (opts.peers && opts.peers.length !== n) throw new BadConfigError(`peers must list ${n} addresses`);
    if (!opts.db && !opts.apply) throw new BadConfigError('give either db or an apply function');
    if ((!opts.plog || !opts.db) && !opts.path) throw new BadConfigError('path is required for the default plog / db');
    this.applier = new Applier({
      plog: () => this.plog,
      db: () => this.db,
      flushed: () => this.flushed(),
      written: () => this.pipeline.written(),
      entity: (id) => this.entities.get(id),
      stopped: () => this.stopped,
      log: this.log,
      maxCommitNum: this.tuning.maxCommitNum,
      applyDelayMs: this.tuning.applyDelayMs,
      writtenRecordsMax: 65_536,
    });
    this.getAlls = new GetAllRunner({
      db: () => this.db, plog: () => this.plog, transport: () => this.transport,
      entity: (id) => this.entities.get(id),
      quiesce: (id) => this.applier.quiesce(id),
      committed: (id, mc) => this.applier.committed.set(id, mc),
      copied: (id) => this.uuids.noteCopied(id, Date.now()),
      handle: (e) => this.handle(e),
      stopped: () => this.stopped,
      log: this.log,
      pageBytes: this.tuning.getAllPageBytes, callDeadlineMs: this.tuning.getAllCallDeadlineMs,
      started: () => this.metrics.getAlls++,
    });
    this.gossip = new ChosenGossip({ windowMs: this.tuning.chosenGossipWindowMs, entitiesMax: this.tuning.chosenGossipEntitiesMax, acceptorId: opts.acceptorId });
    this.recovery = new RecoveryMode({
      plog: () => this.plog,
      log: this.log,
      acceptorId: opts.acceptorId,
      acceptorNum: n,
      send: (to, msg) => this.send(to, msg),
      handle: (e) => this.handle(e),
      entity: (id) => this.entity(id),
      loaded: () => this.entities,
    }, { pageNum: this.tuning.horizonPageNum, retryMs: this.tuning.catchUpTimeoutMs });
  }

  /** Not voting: recovering lost state, or learn-only. */
  get recovering(): boolean {
    return this.recovery.recovering;
  }

  get learnOnly(): boolean {
    return this.tuning.learnOnly;
  }

  get loadedEntities(): number {
    return this.entities.size;
  }

  /** Encoded protocol bytes sent to peers (0 when the transport does not count them). */
  get peerBytesSent(): number {
    return this.transport?.bytesSent ?? 0;
  }

  get acceptorId(): number {
    return this.opts.acceptorId;
  }

  async start(): Promise<void> {
    const id = this.opts.acceptorId;
    const stores = await openEngineStores(this.opts, { applySync: this.tuning.dataStoreSync, rowCacheBytesMax: this.tuning.hotRowsBytesMax }, this.log);
    this.plog = stores.plog;
    this.db = stores.db;
    this.damagedStores = stores.damaged;
    const { fresh, bootstrap } = stores;
    // before any message or command: a uuid chosen before this start must be in the window
    await this.uuids.rebuild(Date.now());
    await this.recovery.start({ fresh, bootstrap, now: Date.now() });
    this.catchUpLimiter = new RateLimiter(this.tuning.catchUpPerSecMax, Date.now());
    this.getAllSource = new GetAllSource(this.db, (e) => this.replay(e), this.tuning.getAllSessionIdleMs);
    const handlers = {
      onMessage: (from: number, msg: PeerMsg) => this.onPeerMessage(from, msg),
      onGetAllPage: (req: GetAllPageReq) => this.getAllPage(req),
    };
    const route = this.opts.route ?? staticRoute(this.opts.peers ?? []);
    this.transport = await this.opts.transport(handlers, { acceptorId: id, acceptorNum: this.opts.acceptorNum, route });
    this.stopped = false;
    for (const e of await this.plog.entities()) await this.entity(e);
    for (const e of await this.db.pendingGetAll()) {
      const core = await this.entity(e);
      core.getAllInProgress = true;
      this.getAlls.start(e, this.otherPeers());
    }
    this.timers.push(setInterval(() => this.tick(), this.tuning.tickMs));
    this.timers.push(setInterval(() => this.sendChosenSummaries(), this.tuning.chosenGossipMs));
    this.timers.push(setInterval(() => {
      this.expireSweep().catch((err: unknown) => this.log.error({ err }, 'plog expiry sweep failed'));
    }, this.tuning.expireCheckMs));
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    // Persist what is already decided (a chosen record, its uuids) before closing: a write
    // resolves once chosen, so a clean stop right after it must not drop the record. Bounded.
    const deadline = Date.now() + 2000;
    void this.pipeline.flushed(); // kept-back chosen marks go out now, not after their delay
    while (this.fatalError === undefined && !this.pipeline.idle && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.waiters.rejectAll(() => new StoppedError());
    await this.transport.close();
    while (this.pipeline.writing) await new Promise((r) => setTimeout(r, 5));
    this.pipeline.stop();
    await this.applier.settle();
    await this.getAllSource.close();
    // a clean stop leaves the data store durable (a crash leaves the plog to replay)
    await this.db.checkpoint?.().catch((err: unknown) => this.log.error({ err }, 'data store checkpoint at stop failed'));
    await this.plog.close();
    await this.db.close();
  }

  private otherPeers(): number[] {
    const out: number[] = [];
    for (let j = 0; j < this.opts.acceptorNum; j++) if (j !== this.opts.acceptorId) out.push(j);
    return out;
  }

  /** The entity's worker, loaded from the plog and data store on first use. */
  async entity(entityId: bigint): Promise<EntityCore> {
    const have = this.entities.get(entityId);
    if (have) return have;
    let p = this.loading.get(entityId);
    if (!p) {
      p = (async () => {
        const { core, maxCommitted } = await loadEntity(this.plog, this.db, this.tuning, this.opts, entityId);
        this.applier.committed.set(entityId, maxCommitted);
        this.applier.loaded(entityId, core.maxChosen);
        this.entities.set(entityId, core);
        this.loading.delete(entityId);
        if (this.tuning.learnOnly) core.becomeLearner();
        else this.recovery.adopt(core, Date.now());
        return core;
      })();
      this.loading.set(entityId, p);
    }
    return p;
  }

  /** Max chosen entry known here (loads the entity). */
  async maxChosen(entityId: bigint): Promise<bigint> {
    return (await this.entity(entityId)).maxChosen;
  }

  /**
   * Propose `value` as entry `entry` of the entity; resolves once it is chosen. A uuid already
   * chosen within the window is refused (DupUuidError) unless `uuidsChecked`: the caller looked
   * each one up itself for this attempt (the card service does, to answer a replay), so the
   * same storage reads are not paid twice.
   */
  async write(entityId: bigint, entry: bigint, value: Uint8Array, uuids: bigint[] = [], opts: { uuidsChecked?: boolean } = {}): Promise<void> {
    if (this.stopped) throw new StoppedError();
    if (value.byteLength > this.tuning.valueBytesMax) throw new ValueTooLargeError(entityId, value.byteLength, this.tuning.valueBytesMax);
    if (uuids.length > this.tuning.uuidsPerValueMax) throw new TooManyUuidsError(entityId, uuids.length, this.tuning.uuidsPerValueMax);
    const core = await this.entity(entityId);
    this.checkVoting(core);
    if (!opts.uuidsChecked) for (const u of uuids) if (await this.uuids.seen(entityId, u, Date.now())) throw new DupUuidError(entityId, u);
    if (core.getAllInProgress) throw new PendingError(entityId);
    if (entry !== core.maxChosen + 1n) throw new TurnError(entityId, entry, core.maxChosen);
    if (core.busy || this.waiters.hasWrite(entityId)) throw new BusyError(entityId);
    const t0 = performance.now();
    await this.waiters.write(entityId, entry, () => this.handle(core.write(entry, { value, uuids }, Date.now(), Math.random())));
    this.hooks.commitMs?.(performance.now() - t0);
  }

  /**
   * Resolves once the entity has no proposal in flight (one whose writer timed out goes on
   * until decided), or after at most `ms`: a caller that met BusyError waits for the decision
   * instead of polling.
   */
  async whenIdle(entityId: bigint, ms: number): Promise<void> {
    const core = await this.entity(entityId);
    if (this.stopped || (!core.busy && !this.waiters.hasWrite(entityId))) return;
    await this.waiters.whenDecided(entityId, ms);
  }

  /**
   * Linearizable read barrier: resolves with the entry up to which the data store now holds
   * everything chosen before the call (check-empty in one round trip, else write-for-read).
   */
  async read(entityId: bigint, entry?: bigint): Promise<bigint> {
    if (this.stopped) throw new StoppedError();
    const core = await this.entity(entityId);
    this.checkVoting(core);
    if (core.getAllInProgress) throw new PendingError(entityId);
    if (entry !== undefined && entry !== core.maxChosen + 1n) throw new TurnError(entityId, entry, core.maxChosen);
    const upTo = await this.waiters.read(entityId, (readId) => this.handle(core.read(readId, Date.now(), Math.random())));
    await this.applyUpTo(entityId, upTo);
    return upTo;
  }

  /** A learner serves no client command: its data may miss what was chosen. */
  private checkVoting(core: EntityCore): void {
    if (this.tuning.learnOnly) throw new LearnOnlyError();
    if (core.learner || this.recovery.recovering) {
      const w = this.recovery.waitingFor();
      throw new RecoveringError(w.length > 0 ? `waiting for the horizon of replicas ${w.join(', ')}` : core.learner ? `entity ${core.entityId} is learning up to ${core.horizon}` : 'learning the other entities up to their horizon');
    }
  }

  /** Apply every chosen entry to the data store, in order; returns maxCommittedEntry. */
  async replay(entityId: bigint): Promise<bigint> {
    const core = await this.entity(entityId);
    if (core.getAllInProgress) throw new PendingError(entityId);
    return this.applyUpTo(entityId, core.maxChosen);
  }

  /** How the in-memory uuid window answered (known fresh without a read / maybe / incomplete). */
  get uuidWindowStats(): Readonly<{ known: number; maybe: number; fallbacks: number; evicted: number }> {
    return this.uuids.window.stats;
  }

  /** Was this uuid chosen on the entity within the dedup window? (survives restarts) */
  exists(entityId: bigint, uuid: bigint): Promise<boolean> {
    return this.uuids.seen(entityId, uuid, Date.now());
  }

  /**
   * The at-most-once record of a client request: undefined if the uuid was not chosen on the
   * entity within the dedup window; applied: false when chosen but not yet applied here;
   * else the reply the application stored when it applied the value (if it gave one).
   */
  uuidReply(entityId: bigint, uuid: bigint): Promise<{ applied: boolean; reply?: Uint8Array } | undefined> {
    return this.uuids.reply(entityId, uuid, Date.now());
  }

  maxCommitted(entityId: bigint): bigint {
    return this.applier.committed.get(entityId) ?? 0n;
  }

  private applyUpTo(entityId: bigint, upTo: bigint): Promise<bigint> {
    return this.applier.applyUpTo(entityId, upTo);
  }

  private onPeerMessage(from: number, msg: PeerMsg): void {
    if (this.stopped) return;
    routePeerMessage({
      recovery: this.recovery, log: this.log, fenced: () => this.metrics.fenced++,
      loaded: (id) => this.entities.get(id), entity: (id) => this.entity(id), handle: (e) => this.handle(e),
      serveCatchUp: (to, id, fromEntry, maxNum) => this.serveCatchUp(to, id, fromEntry, maxNum),
    }, from, msg);
  }

  /** Send every peer the chosen summary of the entities that advanced lately (anti-entropy). */
  private sendChosenSummaries(): void {
    if (this.stopped) return;
    const msgs = this.gossip.round(Date.now(), (id) => this.entities.get(id)?.maxChosen);
    for (const m of msgs) for (const to of this.otherPeers()) this.send(to, m);
  }

  private async serveCatchUp(to: number, entityId: bigint, fromEntry: bigint, maxNum: number): Promise<void> {
    const core = await this.entity(entityId);
    this.send(to, await catchUpResponse({
      acceptorId: this.opts.acceptorId, plog: this.plog, maxCatchUpNum: this.tuning.maxCatchUpNum,
      catchUpBytesMax: this.tuning.catchUpBytesMax, flushed: () => this.flushed(),
    }, core, fromEntry, maxNum));
  }

  private send(to: number, msg: PeerMsg): void {
    this.sender.send(to, msg);
  }

  /** Route effects: immediate sends now; the rest waits for the next group-committed batch. */
  private handle(e: Effects): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const o of e.sendNow) {
      if (o.msg.kind === 'catchUpReq') {
        if (!this.catchUpLimiter.tryTake(now)) continue; // the core asks again after its timeout
        this.metrics.catchUpsSent++;
      }
      this.send(o.to, o.msg);
    }
    for (const g of e.getAll) this.getAlls.start(g.entityId, g.peers);
    // Chosen is a fact once a majority accepted: answer the writer now; applying the entry
    // waits for the chosen record to be durable (release).
    for (const c of e.chosen) {
      this.metrics.chosen++;
      this.gossip.note(c.entityId, now);
      this.waiters.settleWrite(c.entityId, c.entry, c.mine);
      this.waiters.decided(c.entityId);
    }
    if (e.persist.length || e.send.length || e.chosen.length || e.readsReady.length || e.persistedCallback.length) {
      this.uuids.noteChosen(e.persist, now);
      this.pipeline.push(e);
    }
  }

  /** Everything in `e` is durable now: send, notify, and let the entity continue. */
  private release(e: Effects): void {
    for (const o of e.send) this.send(o.to, o.msg);
    for (const c of e.chosen) this.applier.schedule(c.entityId);
    for (const r of e.readsReady) this.waiters.readReady(r.readId, r.upTo);
    for (const id of e.persistedCallback) {
      const core = this.entities.get(id);
      if (core) this.handle(core.persisted());
    }
  }

  /** Resolves once everything queued before the call is durable. */
  private flushed(): Promise<void> {
    return this.pipeline.flushed();
  }

  private tick(): void {
    const now = Date.now();
    for (const core of this.entities.values()) this.handle(core.tick(now, Math.random()));
    this.recovery.tick(now);
    if (this.recovery.recovering && this.pipeline.quiet) {
      this.recovery.maybeFinish(true).catch((err: unknown) => this.log.error({ err }, 'recovery completion failed'));
    }
    void this.getAllSource.sweep(now);
  }

  /** A plog expiry sweep (expirySweeper.ts), counted in metrics.expired. */
  private async expireSweep(): Promise<void> {
    this.metrics.expired += await expireSweep({
      plog: this.plog, db: this.db, entities: this.entities, committed: (id) => this.applier.committed.get(id) ?? 0n,
      stopped: () => this.stopped, plogExpireTimeMs: this.tuning.plogExpireTimeMs, uuidWindowMs: this.tuning.uuidWindowMs,
    }, Date.now());
  }

  /** Run a plog expiry sweep now (tests, operators). */
  expireNow(): Promise<void> {
    return this.expireSweep();
  }

  /** Serve one GetAll page from a pinned snapshot (the peer service and GetAllForCertain). */
  getAllPage(req: GetAllPageReq): Promise<GetAllPageRsp> {
    return this.getAllSource.page(req, Date.now());
  }

  /** Copy the entity again from a peer (GetAll) now; resolves when done. */
  async recover(entityId: bigint): Promise<bigint> {
    const core = await this.entity(entityId);
    // Never under a recovering replica (it has no voter to copy onto) nor under a write in
    // flight here; the copy only moves forward (a peer behind our maxChosen is refused), and
    // our records above the copied prefix (promises and accepts of unchosen entries) stay.
    this.checkVoting(core);
    if (core.busy || this.waiters.hasWrite(entityId)) throw new BusyError(entityId);
    if (core.getAllInProgress) throw new PendingError(entityId);
    core.getAllInProgress = true;
    this.getAlls.start(entityId, this.otherPeers());
    await this.getAlls.wait(entityId);
    return this.applier.committed.get(entityId) ?? 0n;
  }
}
