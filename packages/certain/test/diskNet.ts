// A deterministic network of EntityCores with real disk semantics, for transcript tests:
// what a replica persists stays pending until `flush(i)` (its fsync); messages that depend on
// a persist are held until then, `sendNow` messages leave at once; `crash(i)` loses pending
// persists and held messages and rebuilds the replica from what is durable (as the engine
// loads an entity), `wipe(i)` also deletes the durable state. Every "chosen" a replica
// declares is checked against all others: two values for one (entity, entry) throws.
//
// Recovery mode (`recovery: true`): a wiped replica comes back with a new incarnation and a
// durable "recovering" mark; it is a non-voting learner until the horizon from every other
// replica is established and learnt (src/core/recovery.ts). Every message carries its
// sender's incarnation; a receiver drops one older than the newest it has seen from that
// sender (the fence), and a replica persists the fence before it answers a horizon request.
import {
  EntityCore, Recovery, horizonPage, isEntityMsg, type Effects, type EntryRecord, type PeerMsg, type ReplicaConfig,
  defaultReplicaConfig, copyRecord, ballotOwner,
} from '../src/core/index.js';

export interface Delivery { from: number; to: number; msg: PeerMsg; inc: number }

export class TwoValuesError extends Error {
  constructor(key: string, a: string | null, b: string | null, replica: number) {
    super(`two values chosen for ${key}: ${String(a)} and ${String(b)} (replica ${replica})`);
  }
}

interface Durable {
  recs: Map<string, EntryRecord>;
  maxChosen: Map<bigint, bigint>;
  /** Not proven intact: vote on nothing until recovered. */
  recovering: boolean;
  /** Newest incarnation seen per sender, made durable when answering a horizon request. */
  fence: Map<number, number>;
}

const freshDisk = (recovering: boolean): Durable => ({ recs: new Map(), maxChosen: new Map(), recovering, fence: new Map() });

const dec = (r: EntryRecord): string | null => (r.value === null ? null : new TextDecoder().decode(r.value));

export class DiskNet {
  cores: Map<bigint, EntityCore>[] = [];
  durable: Durable[] = [];
  pending: Effects[][] = [];
  queue: Delivery[] = [];
  /** Every value any replica declared chosen, by `${entity}:${entry}`. */
  readonly chosen = new Map<string, string | null>();
  /** Writes acknowledged to a client (the engine resolves a write when its value is declared chosen). */
  readonly acked: { entityId: bigint; entry: bigint; value: string | null }[] = [];
  now = 0;
  /** Incarnation per replica (a new one after each wipe). */
  inc: number[] = [];
  recovery: (Recovery | null)[] = [];
  /** In-memory part of the fence (newest incarnation seen since the last restart). */
  seen: Map<number, number>[] = [];
  /** Messages dropped by the fence (stale incarnation). */
  fenced = 0;

  constructor(readonly n: number, readonly opts: Partial<ReplicaConfig> = {}, readonly netOpts: { recovery?: boolean } = {}) {
    for (let i = 0; i < n; i++) {
      this.cores.push(new Map());
      this.durable.push(freshDisk(false));
      this.pending.push([]);
      this.inc.push(1);
      this.recovery.push(null);
      this.seen.push(new Map());
    }
  }

  get recoveryOn(): boolean {
    return this.netOpts.recovery === true;
  }

  cfg(i: number): ReplicaConfig {
    return { ...defaultReplicaConfig, acceptorId: i, acceptorNum: this.n, ...this.opts };
  }

  /** The replica's worker for an entity, loaded from durable state on first use (as the engine does). */
  entity(i: number, entityId: bigint): EntityCore {
    let core = this.cores[i]!.get(entityId);
    if (core) return core;
    const d = this.durable[i]!;
    let maxChosen = d.maxChosen.get(entityId) ?? 0n;
    while (d.recs.get(`${entityId}:${maxChosen + 1n}`)?.chosen) maxChosen++;
    const last = d.recs.get(`${entityId}:${maxChosen}`);
    const winner = maxChosen === 0n ? 0 : last ? ballotOwner(last.valueId, this.n) : -1;
    const active = d.recs.get(`${entityId}:${maxChosen + 1n}`);
    core = new EntityCore(this.cfg(i), entityId, maxChosen, active ? copyRecord(active) : undefined, winner);
    if (last) core.lastChosen = { entry: maxChosen, record: copyRecord(last) };
    this.cores[i]!.set(entityId, core);
    if (d.recovering) {
      core.becomeLearner();
      const rec = this.recovery[i];
      if (rec?.established) this.apply(i, core.setHorizon(rec.horizons.get(entityId) ?? 0n, this.now));
    }
    return core;
  }

  private durableMaxChosen(i: number, entityId: bigint): bigint {
    const d = this.durable[i]!;
    let mc = d.maxChosen.get(entityId) ?? 0n;
    while (d.recs.get(`${entityId}:${mc + 1n}`)?.chosen) mc++;
    return mc;
  }

  private entityIds(i: number): bigint[] {
    const ids = new Set<bigint>(this.cores[i]!.keys());
    for (const k of this.durable[i]!.recs.keys()) ids.add(BigInt(k.split(':')[0]!));
    for (const k of this.durable[i]!.maxChosen.keys()) ids.add(k);
    return [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private push(from: number, to: number, msg: PeerMsg): void {
    this.queue.push({ from, to, msg, inc: this.inc[from]! });
  }

  apply(i: number, eff: Effects): void {
    for (const o of eff.sendNow) this.push(i, o.to, o.msg);
    for (const c of eff.chosen) {
      this.declare(i, c.entityId, c.entry, c.record);
      if (c.mine) this.acked.push({ entityId: c.entityId, entry: c.entry, value: dec(c.record) });
    }
    if (eff.persist.length || eff.send.length || eff.persistedCallback.length || eff.readsReady.length) this.pending[i]!.push(eff);
  }

  private declare(i: number, entityId: bigint, entry: bigint, rec: EntryRecord): void {
    const key = `${entityId}:${entry}`;
    const v = dec(rec);
    if (this.chosen.has(key) && this.chosen.get(key) !== v) throw new TwoValuesError(key, this.chosen.get(key)!, v, i);
    this.chosen.set(key, v);
  }

  /** Replica i's fsync completes: persists become durable, held messages leave, callbacks run. */
  flush(i: number): void {
    const batch = this.pending[i]!;
    this.pending[i] = [];
    const d = this.durable[i]!;
    for (const e of batch) {
      for (const p of e.persist) {
        d.recs.set(`${p.entityId}:${p.entry}`, copyRecord(p.record));
        const mc = d.maxChosen.get(p.entityId) ?? 0n;
        if (p.maxChosen > mc) d.maxChosen.set(p.entityId, p.maxChosen);
      }
    }
    // Recovered once every entity of the horizon is learnt durably up to it.
    const rec = this.recovery[i];
    if (d.recovering && rec?.established && [...rec.horizons].every(([id, h]) => this.durableMaxChosen(i, id) >= h)) d.recovering = false;
    for (const e of batch) {
      for (const o of e.send) this.push(i, o.to, o.msg);
      for (const id of e.persistedCallback) this.apply(i, this.entity(i, id).persisted());
    }
  }

  /** Flush every replica until nothing is pending (bounded). */
  flushAll(max = 100): void {
    for (let k = 0; k < max; k++) {
      let any = false;
      for (let i = 0; i < this.n; i++) {
        if (this.pending[i]!.length > 0) {
          this.flush(i);
          any = true;
        }
      }
      if (!any) return;
    }
    throw new Error('persists did not settle');
  }

  /** kill -9: unflushed persists and held messages are lost; memory is rebuilt from disk. */
  crash(i: number): void {
    this.pending[i] = [];
    this.cores[i] = new Map();
    this.recovery[i] = null;
    this.seen[i] = new Map();
  }

  /** The disk is lost too (datadb_N and logdb_N deleted); with recovery on, it comes back recovering. */
  wipe(i: number): void {
    this.crash(i);
    this.durable[i] = freshDisk(this.recoveryOn);
    if (this.recoveryOn) this.inc[i]!++;
  }

  isRecovering(i: number): boolean {
    return this.durable[i]!.recovering;
  }

  /** A recovering replica (re)starts asking for the horizon; answers arrive as messages. */
  private pollRecovery(i: number): void {
    if (!this.durable[i]!.recovering) return;
    let rec = this.recovery[i];
    if (!rec) {
      rec = new Recovery({ acceptorId: i, acceptorNum: this.n, pageNum: 2, retryMs: 100 });
      this.recovery[i] = rec;
    }
    for (const o of rec.poll(this.now)) this.push(i, o.to, o.msg);
  }

  private onHorizonReq(i: number, d: Delivery): void {
    if (d.msg.kind !== 'horizonReq') return;
    if (this.durable[i]!.recovering) {
      this.push(i, d.from, { kind: 'horizonRsp', srcAcceptorId: i, recovering: true, horizons: [], next: null });
      return;
    }
    // persist the fence before answering: from now on the sender's earlier incarnation is ignored
    const f = this.durable[i]!.fence;
    if ((f.get(d.from) ?? 0) < d.inc) f.set(d.from, d.inc);
    const all = this.entityIds(i).map((id) => {
      const core = this.entity(i, id);
      const horizon = core.horizonHere();
      this.apply(i, core.finishActive(this.now, 0.5));
      return { entityId: id, horizon };
    });
    this.push(i, d.from, horizonPage(i, all, d.msg.after, d.msg.maxNum));
  }

  private onHorizonRsp(i: number, d: Delivery): void {
    const rec = this.recovery[i];
    if (d.msg.kind !== 'horizonRsp' || !rec) return;
    const was = rec.established;
    for (const o of rec.onRsp(d.msg, this.now)) this.push(i, o.to, o.msg);
    if (!was && rec.established) {
      for (const [id, core] of this.cores[i]!) this.apply(i, core.setHorizon(rec.horizons.get(id) ?? 0n, this.now));
      for (const id of rec.horizons.keys()) this.entity(i, id);
    }
  }

  /** A client write; false when refused (the replica is recovering: a learner takes no writes). */
  write(i: number, entityId: bigint, value: string): boolean {
    const e = this.entity(i, entityId);
    if (e.learner) return false;
    this.apply(i, e.write(e.maxChosen + 1n, { value: new TextEncoder().encode(value), uuids: [] }, this.now, 0.5));
    return true;
  }

  /** Deliver the first queued message matching `pred` (default: the first one). */
  deliver(pred: (d: Delivery) => boolean = () => true): boolean {
    const idx = this.queue.findIndex(pred);
    if (idx < 0) return false;
    const d = this.queue.splice(idx, 1)[0]!;
    this.receive(d);
    return true;
  }

  /** Drop every queued message matching `pred`. */
  drop(pred: (d: Delivery) => boolean): number {
    const before = this.queue.length;
    this.queue = this.queue.filter((d) => !pred(d));
    return before - this.queue.length;
  }

  receive(d: Delivery): void {
    const fence = Math.max(this.durable[d.to]!.fence.get(d.from) ?? 0, this.seen[d.to]!.get(d.from) ?? 0);
    if (d.inc < fence) {
      this.fenced++;
      return;
    }
    this.seen[d.to]!.set(d.from, d.inc);
    if (d.msg.kind === 'horizonReq') return this.onHorizonReq(d.to, d);
    if (d.msg.kind === 'horizonRsp') return this.onHorizonRsp(d.to, d);
    if (d.msg.kind === 'catchUpReq') {
      const req = d.msg;
      const core = this.entity(d.to, req.entityId);
      const entries = [];
      for (let k = req.fromEntry; k <= core.maxChosen && entries.length < req.maxNum; k++) {
        const rec = this.durable[d.to]!.recs.get(`${req.entityId}:${k}`);
        if (!rec || !rec.chosen) break;
        entries.push({ entry: k, record: copyRecord(rec) });
      }
      this.push(d.to, d.from, { kind: 'catchUpRsp', srcAcceptorId: d.to, entityId: req.entityId, entries, maxChosenEntry: core.maxChosen, expired: false });
      return;
    }
    if (!isEntityMsg(d.msg)) return;
    const entityId = d.msg.kind === 'paxos' ? d.msg.cmd.header.entityId : d.msg.entityId;
    this.apply(d.to, this.entity(d.to, entityId).onMessage(d.msg, this.now, 0.5));
  }

  /** Deliver and flush until quiet, dropping what `lost` says (bounded). */
  settle(lost: (d: Delivery) => boolean = () => false, max = 5000): void {
    for (let k = 0; k < max; k++) {
      this.flushAll();
      const d = this.queue.shift();
      if (!d) return;
      if (!lost(d)) this.receive(d);
    }
    throw new Error('network did not quiesce');
  }

  tick(ms: number): void {
    this.now += ms;
    for (let i = 0; i < this.n; i++) {
      this.pollRecovery(i);
      for (const c of this.cores[i]!.values()) this.apply(i, c.tick(this.now, 0.5));
    }
  }
}

export const to = (j: number) => (d: Delivery) => d.to === j;
export const from = (j: number) => (d: Delivery) => d.from === j;
export const between = (a: number, b: number) => (d: Delivery) => d.from === a && d.to === b;
