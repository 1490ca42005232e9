// The engine: entity workers around the pure EntityCore and the wiring of its parts: the
// group-commit pipeline (commitPipeline.ts: one synced plog batch for whatever every entity
// produced meanwhile, persist before send), the in-order applier (applier.ts), catch-up
// serving (catchUpServer.ts), GetAll (getAll.ts), recovery mode (recoveryMode.ts), verified
// stores (openStores.ts) and the transport it is given (transport.ts), plus plog expiry.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import {
  EntityCore, type Effects, type PeerMsg, ballotOwner, isEntityMsg,
} from '../core/index.js';
import { LevelPlog, type Plog } from '../storage/plog.js';
import { LevelDb, type Db, type ApplyFn } from '../storage/db.js';
import { staticRoute, type Route, type Transport, type TransportFactory, type GetAllPageReq, type GetAllPageRsp } from './transport.js';
import { defaultTuning, type CertainTuning } from './options.js';
import { RateLimiter } from './rateLimiter.js';
import { GetAllSource, runGetAll } from './getAll.js';
import {
  BusyError, CmdTimeoutError, ValueTooLargeError, ConflictError, DupUuidError, PendingError, StoppedError, TurnError, BadConfigError,
  RecoveringError, LearnOnlyError, TooManyUuidsError,
} from '../errors.js';
import { RecoveryMode } from './recoveryMode.js';
import { openVerifiedStores } from './openStores.js';
import { CommitPipeline, type CommitPipelineHost } from './commitPipeline.js';
import { Applier } from './applier.js';
import { catchUpResponse } from './catchUpServer.js';
import { ChosenGossip } from './chosenGossip.js';
import { expireSweep } from './expirySweeper.js';

export interface CertainOptions {
  acceptorId: number;
  acceptorNum: number;
  /** Peer listener addresses indexed by acceptor id (used when no route is given). */
  peers?: string[];
  /** Directory holding logdb_<id> and datadb_<id> (when plog / db are not given). */
  path?: string;
  plog?: Plog;
  db?: Db;
  route?: Route;
  /**
   * How this replica reaches its peers: `grpcTransport` (src/server/transport.ts) in servers,
   * an in-process one in tests. createCertain() defaults to gRPC; the engine imports none.
   */
  transport: TransportFactory;
  /** Turns a chosen value into key writes of the entity (required unless db is given). */
  apply?: ApplyFn;
  options?: Partial<CertainTuning>;
  logger?: Logger;
  /**
   * Create a new cluster: a replica with no voting record votes at once. Only for the first
   * start of every replica of a new cluster; a replica that lost its state must never be
   * bootstrapped again (it recovers from the others instead, which is the default).
   */
  bootstrap?: boolean;
  /** Whether the plog was just created (default: logdb_<id> did not exist under path). */
  freshPlog?: boolean;
}

interface WriteWaiter { entry: bigint; resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
interface ReadWaiter { entityId: bigint; resolve: (upTo: bigint) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }

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

  private readonly writeWaiters = new Map<bigint, WriteWaiter>();
  private readonly readWaiters = new Map<number, ReadWaiter>();
  /** Callers waiting for an entity's in-flight proposal to be decided (see whenIdle). */
  private readonly idleWaiters = new Map<bigint, (() => void)[]>();
  private readonly getAllRunning = new Map<bigint, Promise<void>>();
  private nextReadId = 1;
  private readonly pipeline: CommitPipeline;
  private readonly pipelineHost: CommitPipelineHost = {
    write: async (ops) => {
      const t0 = performance.now();
      await this.plog.write(ops, Date.now());
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
    const { acceptorId: id, path } = this.opts;
    let fresh = this.opts.freshPlog ?? (path !== undefined && !existsSync(join(path, `logdb_${id}`, 'CURRENT')));
    let bootstrap = this.opts.bootstrap === true;
    if (!this.opts.plog && !this.opts.db) {
      const opened = await openVerifiedStores(path!, id, this.opts.apply!, this.log, Date.now, this.tuning.dataStoreSync);
      this.plog = opened.plog;
      this.db = opened.db;
      this.damagedStores = opened.damaged;
      if (opened.damaged.length > 0) {
        // what this replica promised is unknown: never a voter at once, whatever the flags say
        fresh = true;
        bootstrap = false;
      }
    } else {
      this.plog = this.opts.plog ?? (await LevelPlog.open(join(path!, `logdb_${id}`), { verify: true }));
      this.db = this.opts.db ?? (await LevelDb.open(join(path!, `datadb_${id}`), this.opts.apply!, { verify: true, applySync: this.tuning.dataStoreSync }));
    }
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
      this.startGetAll(e, this.otherPeers());
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
    for (const w of this.writeWaiters.values()) { clearTimeout(w.timer); w.reject(new StoppedError()); }
    for (const w of this.readWaiters.values()) { clearTimeout(w.timer); w.reject(new StoppedError()); }
    this.writeWaiters.clear();
    this.readWaiters.clear();
    for (const list of this.idleWaiters.values()) for (const f of list) f();
    this.idleWaiters.clear();
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
        const st = await this.plog.load(entityId);
        const mc = await this.db.maxCommitted(entityId);
        const maxChosen = mc > st.maxChosen ? mc : st.maxChosen;
        const winner = maxChosen === 0n ? 0 : st.last && maxChosen === st.maxChosen ? ballotOwner(st.last.valueId, this.opts.acceptorNum) : -1;
        const core = new EntityCore(
          { ...this.tuning, acceptorId: this.opts.acceptorId, acceptorNum: this.opts.acceptorNum },
          entityId, maxChosen, maxChosen === st.maxChosen ? st.active : undefined, winner,
        );
        if (st.last && maxChosen === st.maxChosen) core.lastChosen = { entry: maxChosen, record: st.last };
        this.applier.committed.set(entityId, mc);
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
    const since = Date.now() - this.tuning.uuidWindowMs;
    if (!opts.uuidsChecked) for (const u of uuids) if (await this.uuidSeen(entityId, u, since)) throw new DupUuidError(entityId, u);
    if (core.getAllInProgress) throw new PendingError(entityId);
    if (entry !== core.maxChosen + 1n) throw new TurnError(entityId, entry, core.maxChosen);
    if (core.busy || this.writeWaiters.has(entityId)) throw new BusyError(entityId);
    const t0 = performance.now();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.writeWaiters.delete(entityId);
        reject(new CmdTimeoutError(`write entity ${entityId} entry ${entry}`, this.tuning.cmdTimeoutMs));
      }, this.tuning.cmdTimeoutMs);
      const done = () => {
        this.hooks.commitMs?.(performance.now() - t0);
        resolve();
      };
      this.writeWaiters.set(entityId, { entry, resolve: done, reject, timer });
      this.handle(core.write(entry, { value, uuids }, Date.now(), Math.random()));
    });
  }

  /**
   * Resolves once the entity has no proposal in flight (one whose writer timed out goes on
   * until decided), or after at most `ms`: a caller that met BusyError waits for the decision
   * instead of polling.
   */
  async whenIdle(entityId: bigint, ms: number): Promise<void> {
    const core = await this.entity(entityId);
    if (this.stopped || (!core.busy && !this.writeWaiters.has(entityId))) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      let list = this.idleWaiters.get(entityId);
      if (!list) this.idleWaiters.set(entityId, (list = []));
      list.push(done);
    });
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
    const readId = this.nextReadId++;
    const upTo = await new Promise<bigint>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readWaiters.delete(readId);
        reject(new CmdTimeoutError(`read entity ${entityId}`, this.tuning.cmdTimeoutMs));
      }, this.tuning.cmdTimeoutMs);
      this.readWaiters.set(readId, { entityId, resolve, reject, timer });
      this.handle(core.read(readId, Date.now(), Math.random()));
    });
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

  /** Was this uuid chosen on the entity within the dedup window? (survives restarts) */
  exists(entityId: bigint, uuid: bigint): Promise<boolean> {
    return this.uuidSeen(entityId, uuid, Date.now() - this.tuning.uuidWindowMs);
  }

  /**
   * The at-most-once record of a client request: undefined if the uuid was not chosen on the
   * entity within the dedup window; applied: false when chosen but not yet applied here;
   * else the reply the application stored when it applied the value (if it gave one).
   */
  async uuidReply(entityId: bigint, uuid: bigint): Promise<{ applied: boolean; reply?: Uint8Array } | undefined> {
    const since = Date.now() - this.tuning.uuidWindowMs;
    if (this.db.uuidRow) {
      // one read of each index (uuidSeen would read the data store's row again)
      const row = await this.db.uuidRow(entityId, uuid, since);
      if (row) return { applied: true, reply: row.reply };
      if (this.pipeline.hasUnwrittenUuid(entityId, uuid)) return { applied: false };
      return (await this.plog.hasUuid(entityId, uuid, since)) ? { applied: false } : undefined;
    }
    return (await this.uuidSeen(entityId, uuid, since)) ? { applied: false } : undefined;
  }

  /** In the plog's index (chosen here) or the data store's (applied, or copied by GetAll). */
  private async uuidSeen(entityId: bigint, uuid: bigint, since: number): Promise<boolean> {
    // chosen here, its record not written yet (kept back or in the batch being written)
    if (this.pipeline.hasUnwrittenUuid(entityId, uuid)) return true;
    if (await this.plog.hasUuid(entityId, uuid, since)) return true;
    return (await this.db.hasUuid?.(entityId, uuid, since)) ?? false;
  }

  maxCommitted(entityId: bigint): bigint {
    return this.applier.committed.get(entityId) ?? 0n;
  }

  private applyUpTo(entityId: bigint, upTo: bigint): Promise<bigint> {
    return this.applier.applyUpTo(entityId, upTo);
  }

  private onPeerMessage(from: number, msg: PeerMsg): void {
    if (this.stopped) return;
    if (!this.recovery.admit(from, msg)) {
      this.metrics.fenced++;
      if (msg.kind === 'horizonReq') this.log.warn({ from }, 'horizon request from an earlier incarnation of this replica dropped (was its clock set back?)');
      return;
    }
    if (msg.kind === 'horizonReq') {
      this.recovery.onHorizonReq(from, msg, Date.now(), Math.random).catch((err: unknown) => this.log.error({ err, from }, 'horizon answer failed'));
      return;
    }
    if (msg.kind === 'horizonRsp') {
      this.recovery.onHorizonRsp(msg, Date.now()).catch((err: unknown) => this.log.error({ err, from }, 'horizon handling failed'));
      return;
    }
    if (msg.kind === 'chosenSummary') {
      this.onChosenSummary(from, msg.chosen);
      return;
    }
    if (!isEntityMsg(msg)) return;
    const entityId = msg.kind === 'paxos' ? msg.cmd.header.entityId : msg.entityId;
    if (msg.kind === 'catchUpReq') {
      this.serveCatchUp(from, msg.entityId, msg.fromEntry, msg.maxNum).catch((err: unknown) => this.log.warn({ err, from }, 'catch-up request not served'));
      return;
    }
    const core = this.entities.get(entityId);
    if (core) this.handle(core.onMessage(msg, Date.now(), Math.random()));
    else {
      this.entity(entityId).then(
        (c) => this.handle(c.onMessage(msg, Date.now(), Math.random())),
        (err: unknown) => this.log.warn({ err, from, entityId: String(entityId) }, 'peer message dropped: entity did not load'),
      );
    }
  }

  /** Send every peer the chosen summary of the entities that advanced lately (anti-entropy). */
  private sendChosenSummaries(): void {
    if (this.stopped) return;
    const msgs = this.gossip.round(Date.now(), (id) => this.entities.get(id)?.maxChosen);
    for (const m of msgs) for (const to of this.otherPeers()) this.send(to, m);
  }

  /** A peer's chosen summary: catch up on every entity it has further chosen than we know. */
  private onChosenSummary(from: number, chosen: { entityId: bigint; maxChosen: bigint }[]): void {
    const now = Date.now();
    for (const { entityId, maxChosen } of chosen) {
      const core = this.entities.get(entityId);
      if (core) {
        if (maxChosen > core.maxChosen) this.handle(core.peerChosen(from, maxChosen, now));
        continue;
      }
      this.entity(entityId).then(
        (c) => this.handle(c.peerChosen(from, maxChosen, Date.now())),
        (err: unknown) => this.log.warn({ err, from, entityId: String(entityId) }, 'chosen summary entry dropped: entity did not load'),
      );
    }
  }

  private async serveCatchUp(to: number, entityId: bigint, fromEntry: bigint, maxNum: number): Promise<void> {
    const core = await this.entity(entityId);
    this.send(to, await catchUpResponse({
      acceptorId: this.opts.acceptorId, plog: this.plog, maxCatchUpNum: this.tuning.maxCatchUpNum,
      catchUpBytesMax: this.tuning.catchUpBytesMax, flushed: () => this.flushed(),
    }, core, fromEntry, maxNum));
  }

  /**
   * Send a protocol message. A send the transport refuses (a message larger than a PeerLink
   * batch, a full queue, a closed link) is a lost message, which Paxos tolerates: it is
   * logged and dropped, never taken for a plog failure.
   */
  private send(to: number, msg: PeerMsg): void {
    try {
      // every message carries our incarnation: peers drop those of an earlier life (the fence)
      this.transport.send(to, { ...msg, inc: this.recovery.incarnation } as unknown as PeerMsg);
      this.metrics.peerMessagesSent++;
      const kind = msg.kind === 'paxos' ? (msg.cmd.srcRecord.chosen ? 'chosen' : msg.cmd.checkEmpty ? 'probe' : 'paxos') : msg.kind;
      this.metrics.peerMessagesByKind[kind] = (this.metrics.peerMessagesByKind[kind] ?? 0) + 1;
    } catch (err) {
      this.metrics.droppedSends++;
      const entityId = msg.kind === 'paxos' ? msg.cmd.header.entityId : isEntityMsg(msg) ? msg.entityId : undefined;
      this.log.warn({ err, to, kind: msg.kind, entityId: String(entityId) }, 'peer message dropped');
    }
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
    for (const g of e.getAll) this.startGetAll(g.entityId, g.peers);
    // Chosen is a fact once a majority accepted: answer the writer now; applying the entry
    // waits for the chosen record to be durable (release).
    for (const c of e.chosen) {
      this.metrics.chosen++;
      this.gossip.note(c.entityId, now);
      this.settleWrite(c.entityId, c.entry, c.mine);
      const idle = this.idleWaiters.get(c.entityId);
      if (idle) {
        this.idleWaiters.delete(c.entityId);
        for (const f of idle) f();
      }
    }
    if (e.persist.length || e.send.length || e.chosen.length || e.readsReady.length || e.persistedCallback.length) {
      this.pipeline.push(e);
    }
  }

  /** Everything in `e` is durable now: send, notify, and let the entity continue. */
  private release(e: Effects): void {
    for (const o of e.send) this.send(o.to, o.msg);
    for (const c of e.chosen) this.applier.schedule(c.entityId);
    for (const r of e.readsReady) {
      const w = this.readWaiters.get(r.readId);
      if (!w) continue;
      this.readWaiters.delete(r.readId);
      clearTimeout(w.timer);
      w.resolve(r.upTo);
    }
    for (const id of e.persistedCallback) {
      const core = this.entities.get(id);
      if (core) this.handle(core.persisted());
    }
  }

  private settleWrite(entityId: bigint, entry: bigint, mine: boolean): void {
    const w = this.writeWaiters.get(entityId);
    if (!w || w.entry !== entry) return;
    this.writeWaiters.delete(entityId);
    clearTimeout(w.timer);
    if (mine) w.resolve();
    else w.reject(new ConflictError(entityId, entry));
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
    if (core.busy || this.writeWaiters.has(entityId)) throw new BusyError(entityId);
    if (core.getAllInProgress) throw new PendingError(entityId);
    core.getAllInProgress = true;
    this.startGetAll(entityId, this.otherPeers());
    await this.getAllRunning.get(entityId);
    return this.applier.committed.get(entityId) ?? 0n;
  }

  private startGetAll(entityId: bigint, peers: number[]): void {
    if (this.getAllRunning.has(entityId)) return;
    this.metrics.getAlls++;
    this.log.info({ entityId: String(entityId), peers }, 'getall start');
    const core = this.entities.get(entityId);
    const run = runGetAll(entityId, peers, {
      db: this.db, plog: this.plog, transport: this.transport,
      pageBytes: this.tuning.getAllPageBytes, callDeadlineMs: this.tuning.getAllCallDeadlineMs,
      minMaxCommitted: () => core?.maxChosen ?? 0n,
      quiesce: async () => {
        await this.applier.quiesce(entityId);
      },
      stopped: () => this.stopped,
      log: (m, x) => this.log.info(x ?? {}, m),
    }).then((mc) => {
      this.getAllRunning.delete(entityId);
      if (mc === undefined || !core) return;
      this.applier.committed.set(entityId, mc);
      this.handle(core.getAllDone(mc, true, Date.now()));
    }).catch((err: unknown) => {
      // a local store failure mid-copy: the flag stays set, the copy resumes on restart
      this.getAllRunning.delete(entityId);
      this.log.error({ err, entityId: String(entityId) }, 'getall failed');
    });
    this.getAllRunning.set(entityId, run);
  }
}
