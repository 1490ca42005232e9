// A tiny deterministic network of EntityCores (one entity per replica map) for transcript
// tests of the pure core: persistence is instant, messages are queued and delivered by hand.
import {
  EntityCore, type Effects, type EntryRecord, type EntityMsg, type ReplicaConfig, defaultReplicaConfig, copyRecord,
} from '../src/core/index.js';

export interface Delivery { from: number; to: number; msg: EntityMsg }

export class CoreNet {
  readonly replicas: Map<bigint, EntityCore>[] = [];
  /** plog[i] maps `${entity}:${entry}` to the last persisted record. */
  readonly plog: Map<string, EntryRecord>[] = [];
  readonly chosen: Map<string, { record: EntryRecord; mine: boolean }>[] = [];
  readonly reads: { replica: number; entityId: bigint; readId: number; upTo: bigint }[] = [];
  readonly getAlls: { replica: number; entityId: bigint }[] = [];
  queue: Delivery[] = [];
  now = 0;
  /** Return true to drop a message. */
  drop: (d: Delivery) => boolean = () => false;

  constructor(readonly n: number, readonly opts: Partial<ReplicaConfig> = {}) {
    for (let i = 0; i < n; i++) {
      this.replicas.push(new Map());
      this.plog.push(new Map());
      this.chosen.push(new Map());
    }
  }

  cfg(i: number): ReplicaConfig {
    return { ...defaultReplicaConfig, localAcceptFirst: true, acceptorId: i, acceptorNum: this.n, ...this.opts };
  }

  entity(i: number, entityId: bigint): EntityCore {
    let e = this.replicas[i]!.get(entityId);
    if (!e) {
      e = new EntityCore(this.cfg(i), entityId, 0n, undefined, 0);
      this.replicas[i]!.set(entityId, e);
    }
    return e;
  }

  apply(i: number, eff: Effects): void {
    for (const p of eff.persist) this.plog[i]!.set(`${p.entityId}:${p.entry}`, copyRecord(p.record));
    for (const o of [...eff.sendNow, ...eff.send]) this.queue.push({ from: i, to: o.to, msg: o.msg });
    for (const c of eff.chosen) {
      const key = `${c.entityId}:${c.entry}`;
      const prev = this.chosen[i]!.get(key);
      if (prev && prev.record.valueId !== c.record.valueId) throw new Error(`replica ${i} chose twice at ${key}`);
      this.chosen[i]!.set(key, { record: c.record, mine: c.mine });
    }
    for (const r of eff.readsReady) this.reads.push({ replica: i, ...r });
    for (const g of eff.getAll) this.getAlls.push({ replica: i, entityId: g.entityId });
    for (const id of eff.persistedCallback) this.apply(i, this.entity(i, id).persisted());
  }

  write(i: number, entityId: bigint, value: string, uuids: bigint[] = []): void {
    const e = this.entity(i, entityId);
    this.apply(i, e.write(e.maxChosen + 1n, { value: new TextEncoder().encode(value), uuids }, this.now, 0.5));
  }

  read(i: number, entityId: bigint, readId: number): void {
    this.apply(i, this.entity(i, entityId).read(readId, this.now, 0.5));
  }

  /** Deliver one queued message (index), serving catch-up requests from the plog. */
  deliver(idx = 0): boolean {
    const d = this.queue.splice(idx, 1)[0];
    if (!d) return false;
    if (this.drop(d)) return true;
    if (d.msg.kind === 'catchUpReq') {
      const req = d.msg;
      const e = this.entity(d.to, req.entityId);
      const entries = [];
      for (let k = req.fromEntry; k <= e.maxChosen && entries.length < req.maxNum; k++) {
        const rec = this.plog[d.to]!.get(`${req.entityId}:${k}`);
        if (!rec || !rec.chosen) break;
        entries.push({ entry: k, record: rec });
      }
      this.queue.push({
        from: d.to, to: d.from,
        msg: { kind: 'catchUpRsp', srcAcceptorId: d.to, entityId: req.entityId, entries, maxChosenEntry: e.maxChosen, expired: entries.length === 0 && e.maxChosen >= req.fromEntry },
      });
      return true;
    }
    const entityId = d.msg.kind === 'paxos' ? d.msg.cmd.header.entityId : d.msg.entityId;
    this.apply(d.to, this.entity(d.to, entityId).onMessage(d.msg, this.now, 0.5));
    return true;
  }

  /** Deliver until the queue is empty (bounded). Returns messages delivered. */
  run(max = 10_000): number {
    let n = 0;
    while (this.queue.length > 0 && n < max) {
      this.deliver(0);
      n++;
    }
    if (n >= max) throw new Error('network did not quiesce');
    return n;
  }

  tick(ms: number): void {
    this.now += ms;
    for (let i = 0; i < this.n; i++) for (const e of this.replicas[i]!.values()) this.apply(i, e.tick(this.now, 0.5));
  }

  chosenValue(i: number, entityId: bigint, entry: bigint): string | null | undefined {
    const c = this.chosen[i]!.get(`${entityId}:${entry}`);
    if (!c) return undefined;
    return c.record.value === null ? null : new TextDecoder().decode(c.record.value);
  }
}
