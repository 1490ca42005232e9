// A deterministic network of EntityCores with real disk semantics, for transcript tests:
// what a replica persists stays pending until `flush(i)` (its fsync); messages that depend on
// a persist are held until then, `sendNow` messages leave at once; `crash(i)` loses pending
// persists and held messages and rebuilds the replica from what is durable (as the engine
// loads an entity), `wipe(i)` also deletes the durable state. Every "chosen" a replica
// declares is checked against all others: two values for one (entity, entry) throws.
import {
  EntityCore, type Effects, type EntryRecord, type PeerMsg, type ReplicaConfig,
  defaultReplicaConfig, copyRecord, ballotOwner,
} from '../src/core/index.js';

export interface Delivery { from: number; to: number; msg: PeerMsg }

export class TwoValuesError extends Error {
  constructor(key: string, a: string | null, b: string | null, replica: number) {
    super(`two values chosen for ${key}: ${String(a)} and ${String(b)} (replica ${replica})`);
  }
}

interface Durable {
  recs: Map<string, EntryRecord>;
  maxChosen: Map<bigint, bigint>;
}

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

  constructor(readonly n: number, readonly opts: Partial<ReplicaConfig> = {}) {
    for (let i = 0; i < n; i++) {
      this.cores.push(new Map());
      this.durable.push({ recs: new Map(), maxChosen: new Map() });
      this.pending.push([]);
    }
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
    return core;
  }

  apply(i: number, eff: Effects): void {
    for (const o of eff.sendNow) this.queue.push({ from: i, to: o.to, msg: o.msg });
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
    for (const e of batch) {
      for (const o of e.send) this.queue.push({ from: i, to: o.to, msg: o.msg });
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
  }

  /** The disk is lost too (datadb_N and logdb_N deleted). */
  wipe(i: number): void {
    this.crash(i);
    this.durable[i] = { recs: new Map(), maxChosen: new Map() };
  }

  write(i: number, entityId: bigint, value: string): void {
    const e = this.entity(i, entityId);
    this.apply(i, e.write(e.maxChosen + 1n, { value: new TextEncoder().encode(value), uuids: [] }, this.now, 0.5));
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
    if (d.msg.kind === 'catchUpReq') {
      const req = d.msg;
      const core = this.entity(d.to, req.entityId);
      const entries = [];
      for (let k = req.fromEntry; k <= core.maxChosen && entries.length < req.maxNum; k++) {
        const rec = this.durable[d.to]!.recs.get(`${req.entityId}:${k}`);
        if (!rec || !rec.chosen) break;
        entries.push({ entry: k, record: copyRecord(rec) });
      }
      this.queue.push({
        from: d.to, to: d.from,
        msg: { kind: 'catchUpRsp', srcAcceptorId: d.to, entityId: req.entityId, entries, maxChosenEntry: core.maxChosen, expired: false },
      });
      return;
    }
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
    for (let i = 0; i < this.n; i++) for (const c of this.cores[i]!.values()) this.apply(i, c.tick(this.now, 0.5));
  }
}

export const to = (j: number) => (d: Delivery) => d.to === j;
export const from = (j: number) => (d: Delivery) => d.from === j;
export const between = (a: number, b: number) => (d: Delivery) => d.from === a && d.to === b;
