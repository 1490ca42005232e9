// A replica for the deterministic simulator: the pure EntityCore under a synchronous shell
// that keeps the plog and the data in SimStorage. Persistence is group-committed on a 1 ms
// timer; messages and chosen-notifications leave only after the sync (a crash in between
// loses both, as on a real disk). Data apply, plog expiry, catch-up serving and GetAll
// (single page here; the real shell pages) mirror src/engine.
import type { SimContext, SimNode } from '@quorumkit/test-harness';
import { needsNoSync } from '../src/engine/commitPipeline.js';
import {
  EntityCore, type Effects, type EntryRecord, type EntityMsg, type ReplicaConfig, defaultReplicaConfig, ballotOwner,
} from '../src/core/index.js';

export interface EntityData { maxCommitted: bigint; values: string[] }
export type SimMsg =
  | EntityMsg
  | { kind: 'getAllReq'; entityId: bigint }
  | { kind: 'getAllRsp'; entityId: bigint; data: EntityData; maxChosen: bigint };

export interface SimObserver {
  chosen(replica: number, entityId: bigint, entry: bigint, rec: EntryRecord): void;
  written?(replica: number, entityId: bigint, entry: bigint, ok: boolean): void;
  getAll?(replica: number, entityId: bigint, maxCommitted: bigint): void;
}

export interface SimReplicaOptions {
  cfg?: Partial<ReplicaConfig>;
  plogExpireMs: number;
  tickMs: number;
}

const recKey = (e: bigint, k: bigint) => `rec/${e}/${k}`;
const metaKey = (e: bigint) => `meta/${e}`;
const dataKey = (e: bigint) => `data/${e}`;
const flagKey = (e: bigint) => `getall/${e}`;

interface StoredRec { record: EntryRecord; at: number }

export class SimReplica implements SimNode<SimMsg> {
  readonly entities = new Map<bigint, EntityCore>();
  private batch: { effects: Effects[]; timer: (() => void) | null } = { effects: [], timer: null };
  private readonly getAllPeer = new Map<bigint, { peers: number[]; idx: number; cancel: () => void }>();
  private readonly cfg: ReplicaConfig;

  constructor(
    readonly ctx: SimContext<SimMsg>,
    readonly opts: SimReplicaOptions,
    readonly obs: SimObserver,
  ) {
    this.cfg = { ...defaultReplicaConfig, acceptorId: ctx.id, acceptorNum: ctx.nodes, ...opts.cfg };
  }

  onStart(): void {
    for (const k of this.ctx.storage.keys('getall/')) {
      const entityId = BigInt(k.slice('getall/'.length));
      const core = this.entity(entityId);
      core.getAllInProgress = true;
      this.startGetAll(entityId, this.otherPeers(this.ctx.id));
    }
    const tick = () => {
      this.ctx.setTimer(this.opts.tickMs, tick);
      for (const core of this.entities.values()) this.handle(core.tick(this.ctx.now(), this.ctx.random()));
      this.applyAll();
      this.expire();
    };
    this.ctx.setTimer(this.opts.tickMs, tick);
  }

  private otherPeers(first: number): number[] {
    const out: number[] = [];
    for (let j = 0; j < this.ctx.nodes; j++) if (j !== this.ctx.id && j !== first) out.push(j);
    return first === this.ctx.id ? out : [first, ...out];
  }

  entity(entityId: bigint): EntityCore {
    let core = this.entities.get(entityId);
    if (!core) {
      const st = this.ctx.storage;
      const meta = st.get<{ maxChosen: bigint }>(metaKey(entityId));
      const data = st.get<EntityData>(dataKey(entityId));
      let maxChosen = meta?.maxChosen ?? 0n;
      if (data && data.maxCommitted > maxChosen) maxChosen = data.maxCommitted;
      // A torn batch may hold a chosen record without its meta update: roll forward.
      while (st.get<StoredRec>(recKey(entityId, maxChosen + 1n))?.record.chosen) maxChosen++;
      const last = st.get<StoredRec>(recKey(entityId, maxChosen));
      const winner = maxChosen === 0n ? 0 : last ? ballotOwner(last.record.valueId, this.ctx.nodes) : -1;
      const active = st.get<StoredRec>(recKey(entityId, maxChosen + 1n))?.record;
      core = new EntityCore(this.cfg, entityId, maxChosen, active, winner);
      if (last) core.lastChosen = { entry: maxChosen, record: last.record };
      this.entities.set(entityId, core);
    }
    return core;
  }

  /** Client write on the next entry; false if the entity is busy / recovering. */
  write(entityId: bigint, value: string): boolean {
    const core = this.entity(entityId);
    if (core.busy || core.getAllInProgress || this.batch.timer !== null) return false;
    this.handle(core.write(core.maxChosen + 1n, { value: new TextEncoder().encode(value), uuids: [] }, this.ctx.now(), this.ctx.random()));
    return true;
  }

  onMessage(from: number, msg: SimMsg): void {
    if (msg.kind === 'getAllReq') {
      const data = this.ctx.storage.get<EntityData>(dataKey(msg.entityId)) ?? { maxCommitted: 0n, values: [] };
      this.ctx.send(from, { kind: 'getAllRsp', entityId: msg.entityId, data, maxChosen: this.entity(msg.entityId).maxChosen });
      return;
    }
    if (msg.kind === 'getAllRsp') return this.onGetAllRsp(msg.entityId, msg.data);
    if (msg.kind === 'catchUpReq') return this.serveCatchUp(from, msg.entityId, msg.fromEntry, msg.maxNum);
    const entityId = msg.kind === 'paxos' ? msg.cmd.header.entityId : msg.entityId;
    this.handle(this.entity(entityId).onMessage(msg, this.ctx.now(), this.ctx.random()));
  }

  private serveCatchUp(to: number, entityId: bigint, fromEntry: bigint, maxNum: number): void {
    const core = this.entity(entityId);
    const entries = [];
    for (let k = fromEntry; k <= core.maxChosen && entries.length < maxNum; k++) {
      const r = this.ctx.storage.get<StoredRec>(recKey(entityId, k));
      if (!r || !r.record.chosen) break;
      entries.push({ entry: k, record: r.record });
    }
    const expired = entries.length === 0 && core.maxChosen >= fromEntry;
    this.ctx.send(to, { kind: 'catchUpRsp', srcAcceptorId: this.ctx.id, entityId, entries, maxChosenEntry: core.maxChosen, expired });
  }

  /** Group commit: collect effects, sync once on a short timer, then release what depended on it. */
  private handle(e: Effects): void {
    for (const o of e.sendNow) this.ctx.send(o.to, o.msg);
    for (const g of e.getAll) this.startGetAll(g.entityId, g.peers);
    const st = this.ctx.storage;
    for (const p of e.persist) {
      st.put(recKey(p.entityId, p.entry), { record: p.record, at: this.ctx.now() });
      st.put(metaKey(p.entityId), { maxChosen: p.maxChosen });
    }
    if (e.persist.length === 0 && e.send.length === 0 && e.chosen.length === 0 && e.persistedCallback.length === 0) return;
    this.batch.effects.push(e);
    if (this.batch.timer === null) this.batch.timer = this.ctx.setTimer(1, () => this.flush());
  }

  private flush(): void {
    const effects = this.batch.effects;
    this.batch = { effects: [], timer: null };
    // as the engine's CommitPipeline: chosen marks with nothing to send ride with the next
    // sync instead of one of their own (a crash before it loses them: they are learnt again)
    if (!effects.every(needsNoSync)) this.ctx.storage.sync();
    for (const e of effects) {
      for (const o of e.send) this.ctx.send(o.to, o.msg);
      for (const c of e.chosen) {
        this.obs.chosen(this.ctx.id, c.entityId, c.entry, c.record);
        this.obs.written?.(this.ctx.id, c.entityId, c.entry, c.mine);
      }
    }
    this.applyAll();
    for (const e of effects) for (const id of e.persistedCallback) this.handle(this.entity(id).persisted());
  }

  /** Apply chosen entries in order; data and maxCommitted change in one put. */
  private applyAll(): void {
    const st = this.ctx.storage;
    for (const [entityId, core] of this.entities) {
      if (core.getAllInProgress) continue;
      const data = st.get<EntityData>(dataKey(entityId)) ?? { maxCommitted: 0n, values: [] };
      let changed = false;
      while (data.maxCommitted < core.maxChosen) {
        const r = st.get<StoredRec>(recKey(entityId, data.maxCommitted + 1n));
        if (!r || !r.record.chosen) break;
        if (r.record.value !== null) data.values.push(new TextDecoder().decode(r.record.value));
        data.maxCommitted++;
        changed = true;
      }
      if (changed) st.put(dataKey(entityId), data);
    }
    // no sync: as the engine's data store (written without fsync, the plog its WAL)
  }

  /** Delete chosen, applied plog records older than the expiry (keep the active entry). */
  private expire(): void {
    const st = this.ctx.storage;
    for (const [entityId, core] of this.entities) {
      const data = st.get<EntityData>(dataKey(entityId));
      if (!data) continue;
      for (const k of st.keys(`rec/${entityId}/`)) {
        const entry = BigInt(k.split('/')[2]!);
        const r = st.get<StoredRec>(k)!;
        if (entry <= data.maxCommitted && entry < core.maxChosen && this.ctx.now() - r.at > this.opts.plogExpireMs) st.del(k);
      }
    }
  }

  private startGetAll(entityId: bigint, peers: number[]): void {
    if (this.getAllPeer.has(entityId)) return;
    this.ctx.storage.put(flagKey(entityId), true);
    this.ctx.storage.sync();
    this.askGetAll(entityId, peers, 0);
  }

  private askGetAll(entityId: bigint, peers: number[], idx: number): void {
    const peer = peers[idx % peers.length]!;
    const cancel = this.ctx.setTimer(300, () => this.askGetAll(entityId, peers, idx + 1)); // fail over
    this.getAllPeer.set(entityId, { peers, idx, cancel });
    this.ctx.send(peer, { kind: 'getAllReq', entityId });
  }

  private onGetAllRsp(entityId: bigint, data: EntityData): void {
    const g = this.getAllPeer.get(entityId);
    if (!g) return;
    const st = this.ctx.storage;
    const core = this.entity(entityId);
    const mine = st.get<EntityData>(dataKey(entityId));
    if (mine && mine.maxCommitted >= data.maxCommitted) {
      // this peer is no further than us: try the next one
      g.cancel();
      this.getAllPeer.delete(entityId);
      if (data.maxCommitted === 0n && core.maxChosen === 0n) {
        st.del(flagKey(entityId));
        st.sync();
        core.getAllDone(0n, false, this.ctx.now());
        return;
      }
      return this.askGetAll(entityId, g.peers, g.idx + 1);
    }
    g.cancel();
    this.getAllPeer.delete(entityId);
    // flag is already durable: clear the entity's old records, install the snapshot, clear the flag
    for (const k of st.keys(`rec/${entityId}/`)) if (BigInt(k.split('/')[2]!) <= data.maxCommitted) st.del(k);
    st.put(dataKey(entityId), data);
    st.put(metaKey(entityId), { maxChosen: data.maxCommitted });
    st.del(flagKey(entityId));
    st.sync();
    this.handle(core.getAllDone(data.maxCommitted, true, this.ctx.now()));
    this.obs.getAll?.(this.ctx.id, entityId, data.maxCommitted);
  }
}
