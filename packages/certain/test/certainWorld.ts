// The certain core as a harness messageWorld spec, for the exhaustive explorer: each node is
// a replica (EntityCores for a few entities, the recovery state, the fence), its disk the
// plog (records, maxChosen) plus the voting mark and the fence. Mirrors src/engine: a persist
// is durable only at the world's flush, messages after it; a crash loses what was not
// flushed; a restart from an empty disk (wipe) is a recovering learner with a new
// incarnation (with recovery on). `core` lets the test run the same world on the core as it
// was before the issue-16 fixes (test/fixtures/coreBeforeIssue16), which has no recovery.
import type { WorldSpec, Out } from '@quorumkit/test-harness';
import * as current from '../src/core/index.js';
import type { EntryRecord, PersistOp, PeerMsg, Effects, EntityCore, HorizonReq, HorizonRsp } from '../src/core/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface CDisk {
  recs: Record<string, EntryRecord>;
  maxChosen: Record<string, bigint>;
  recovering: boolean;
  inc: number;
  fence: Record<number, number>;
}

export type CPersist =
  | { kind: 'rec'; op: PersistOp }
  | { kind: 'mark'; recovering: boolean; inc: number }
  | { kind: 'fence'; from: number; inc: number };

export interface CMsg { inc: number; m: PeerMsg }
export interface COp { entity: bigint; value: string }
export type CObs = { kind: 'chosen' | 'acked'; instance: string; value: string };

interface QueueEntry { cbs: bigint[]; mc: [string, bigint][]; mark: boolean | null }

export interface CNode {
  id: number;
  inc: number;
  now: number;
  recovering: boolean;
  recovery: current.Recovery | null;
  cores: Map<bigint, EntityCore>;
  queue: QueueEntry[];
  durableMc: Record<string, bigint>;
  seen: Record<number, number>;
  fence: Record<number, number>;
  writes: number;
  finishing: boolean;
  /** Booted from a disk with nothing on it (never written, or wiped), as the engine sees a missing plog. */
  emptyDisk: boolean;
  /** Chosen records this replica knows (what its plog serves to catch-up requests). */
  log: Record<string, EntryRecord>;
}

/** What a core module must offer (the current one, or the fixture from before the fixes). */
export interface CoreModule {
  EntityCore: new (...args: ConstructorParameters<typeof current.EntityCore>) => EntityCore;
  defaultReplicaConfig: typeof current.defaultReplicaConfig;
  ballotOwner: typeof current.ballotOwner;
  mergeEffects: typeof current.mergeEffects;
  emptyEffects: typeof current.emptyEffects;
}

export interface CertainWorldOptions {
  nodes: number;
  entities: bigint[];
  /** Replicas that take client writes. */
  proposers: number[];
  writesPerNode: number;
  recovery: boolean;
  core?: CoreModule;
}

const valueOf = (r: EntryRecord): string => (r.value === null ? 'noop' : dec.decode(r.value));

export function certainWorld(o: CertainWorldOptions): WorldSpec<CNode, CDisk, CPersist, CMsg, COp, CObs> {
  const core = o.core ?? (current as unknown as CoreModule);
  const n = o.nodes;
  const cfg = (id: number) => ({
    ...core.defaultReplicaConfig, acceptorId: id, acceptorNum: n, localAcceptFirst: false, enablePreAuth: true,
    maxCatchUpNum: 10, catchUpTimeoutMs: 1, retryMsBase: 1,
  });

  const load = (id: number, disk: CDisk | undefined, entityId: bigint): EntityCore => {
    const recs = disk?.recs ?? {};
    let mc = disk?.maxChosen[String(entityId)] ?? 0n;
    while (recs[`${entityId}:${mc + 1n}`]?.chosen) mc++;
    const last = recs[`${entityId}:${mc}`];
    const winner = mc === 0n ? 0 : last ? core.ballotOwner(last.valueId, n) : -1;
    const active = recs[`${entityId}:${mc + 1n}`];
    const c = new core.EntityCore(cfg(id), entityId, mc, active ? current.copyRecord(active) : undefined, winner);
    if (last) c.lastChosen = { entry: mc, record: current.copyRecord(last) };
    return c;
  };

  const out = (node: CNode, e: Effects, extra: { persist?: CPersist[]; send?: CMsg[] } = {}): Out<CPersist, CMsg, CObs> => {
    const persist: CPersist[] = e.persist.map((op) => ({ kind: 'rec', op }));
    const observe: CObs[] = [];
    for (const c of e.chosen) {
      const instance = `${c.entityId}:${c.entry}`;
      node.log[instance] = current.copyRecord(c.record);
      observe.push({ kind: 'chosen', instance, value: valueOf(c.record) });
      if (c.mine) observe.push({ kind: 'acked', instance, value: valueOf(c.record) });
    }
    persist.push(...(extra.persist ?? []));
    if (persist.length > 0) {
      const mc = new Map<string, bigint>();
      for (const p of e.persist) {
        const k = String(p.entityId);
        if ((mc.get(k) ?? 0n) < p.maxChosen) mc.set(k, p.maxChosen);
      }
      const mark = extra.persist?.find((p) => p.kind === 'mark');
      node.queue.push({ cbs: [...e.persistedCallback], mc: [...mc], mark: mark?.kind === 'mark' ? mark.recovering : null });
    }
    // header.uuid is a per-replica message counter only echoed back: zero it so that equal
    // messages are equal states (nodeKey leaves the counter out for the same reason)
    const wrap = (to: number, m: PeerMsg) => ({ to, msg: { inc: node.inc, m: m.kind === 'paxos' ? { ...m, cmd: { ...m.cmd, header: { ...m.cmd.header, uuid: 0n } } } : m } });
    return {
      persist,
      sendNow: e.sendNow.map((x) => wrap(x.to, x.msg)),
      send: e.send.map((x) => wrap(x.to, x.msg)),
      observe,
    };
  };

  const entity = (node: CNode, id: bigint): EntityCore => node.cores.get(id)!;

  const establishHorizon = (node: CNode): Effects => {
    const e = core.emptyEffects();
    for (const [id, c] of node.cores) core.mergeEffects(e, c.setHorizon(node.recovery!.horizons.get(id) ?? 0n, node.now));
    return e;
  };

  const maybeFinish = (node: CNode): CPersist[] => {
    const rec = node.recovery;
    if (!node.recovering || node.finishing || !rec?.established || node.queue.length > 0) return [];
    for (const [id, h] of rec.horizons) if ((node.durableMc[String(id)] ?? 0n) < h) return [];
    for (const c of node.cores.values()) if (c.learner) return [];
    node.finishing = true;
    return [{ kind: 'mark', recovering: false, inc: node.inc }];
  };

  return {
    nodes: n,
    boot(id, disk) {
      const node: CNode = {
        id, inc: disk?.inc ?? 1, now: 0, recovering: disk?.recovering ?? false, recovery: null,
        cores: new Map(), queue: [], durableMc: { ...(disk?.maxChosen ?? {}) }, seen: {}, fence: { ...(disk?.fence ?? {}) },
        writes: 0, finishing: false, log: {},
        emptyDisk: !disk || (Object.keys(disk.recs).length === 0 && Object.keys(disk.fence).length === 0 && !disk.recovering && disk.inc === 1),
      };
      for (const [k, r] of Object.entries(disk?.recs ?? {})) if (r.chosen) node.log[k] = current.copyRecord(r);
      for (const e of o.entities) node.cores.set(e, load(id, disk, e));
      if (node.recovering) node.recovery = new current.Recovery({ acceptorId: id, acceptorNum: n, pageNum: 1, retryMs: 1 });
      for (const c of node.cores.values()) if (node.recovering) c.becomeLearner();
      return node;
    },
    onRestart(node) {
      // A restart that found no state at all: without recovery mode (the original) it votes at
      // once; with it, it is a learner in a new incarnation and says so on disk first.
      // (a replica with only a promise on disk is not fresh: its plog exists)
      const fresh = node.emptyDisk;
      if (!o.recovery || !fresh) return {};
      node.recovering = true;
      node.inc = 2;
      node.recovery = new current.Recovery({ acceptorId: node.id, acceptorNum: n, pageNum: 1, retryMs: 1 });
      for (const c of node.cores.values()) c.becomeLearner();
      return out(node, core.emptyEffects(), { persist: [{ kind: 'mark', recovering: true, inc: 2 }] });
    },
    onMessage(node, _id, from, msg) {
      const fence = Math.max(node.seen[from] ?? 0, node.fence[from] ?? 0);
      if (msg.inc < fence) return {};
      node.seen[from] = msg.inc;
      const m = msg.m;
      if (m.kind === 'horizonReq') return onHorizonReq(node, from, m, msg.inc);
      if (m.kind === 'horizonRsp') return onHorizonRsp(node, m);
      if (m.kind === 'catchUpReq') {
        const c = entity(node, m.entityId);
        const entries = [];
        for (let k = m.fromEntry; k <= c.maxChosen && entries.length < m.maxNum; k++) {
          const r = node.log[`${m.entityId}:${k}`];
          if (!r) break;
          entries.push({ entry: k, record: current.copyRecord(r) });
        }
        const e = core.emptyEffects();
        e.sendNow.push({ to: from, msg: { kind: 'catchUpRsp', srcAcceptorId: node.id, entityId: m.entityId, entries, maxChosenEntry: c.maxChosen, expired: false } });
        return out(node, e);
      }
      if (m.kind === 'paxos' || m.kind === 'catchUpRsp' || m.kind === 'commit') {
        const id = m.kind === 'paxos' ? m.cmd.header.entityId : m.entityId;
        const c = node.cores.get(id);
        if (!c) return {};
        return out(node, c.onMessage(m, node.now, 0.5));
      }
      return {};
    },
    onPersisted(node) {
      const q = node.queue.shift();
      const e = core.emptyEffects();
      if (!q) return {};
      for (const [k, mc] of q.mc) if ((node.durableMc[k] ?? 0n) < mc) node.durableMc[k] = mc;
      if (q.mark === false) {
        node.recovering = false;
        node.recovery = null;
        node.finishing = false;
      }
      for (const id of q.cbs) core.mergeEffects(e, entity(node, id).persisted());
      return out(node, e, { persist: maybeFinish(node) });
    },
    onTick(node) {
      node.now += 10;
      const e = core.emptyEffects();
      for (const c of node.cores.values()) core.mergeEffects(e, c.tick(node.now, 0.5));
      if (node.recovery) for (const r of node.recovery.poll(node.now)) e.sendNow.push({ to: r.to, msg: r.msg as never });
      return out(node, e, { persist: maybeFinish(node) });
    },
    clientOps(node, id, w) {
      if (!o.proposers.includes(id) || node.writes >= o.writesPerNode || node.recovering) return [];
      const ops: COp[] = [];
      // values are unique in the world (a restarted replica's next write is a new value)
      const value = `n${id}w${w.used.clientOps}`;
      for (const [eid, c] of node.cores) if (!c.busy && !c.learner && !c.getAllInProgress) ops.push({ entity: eid, value });
      return ops;
    },
    onClient(node, _id, op) {
      node.writes++;
      const c = entity(node, op.entity);
      return out(node, c.write(c.maxChosen + 1n, { value: enc.encode(op.value), uuids: [] }, node.now, 0.5));
    },
    applyPersist(disk, p) {
      const d: CDisk = disk ?? { recs: {}, maxChosen: {}, recovering: false, inc: 1, fence: {} };
      if (p.kind === 'rec') {
        d.recs[`${p.op.entityId}:${p.op.entry}`] = current.copyRecord(p.op.record);
        const k = String(p.op.entityId);
        if ((d.maxChosen[k] ?? 0n) < p.op.maxChosen) d.maxChosen[k] = p.op.maxChosen;
      } else if (p.kind === 'mark') {
        d.recovering = p.recovering;
        d.inc = p.inc;
      } else if ((d.fence[p.from] ?? 0) < p.inc) d.fence[p.from] = p.inc;
      return d;
    },
    // full state (sound pruning), as JSON: much cheaper than the generic canonical text
    nodeKey: (node) => JSON.stringify(node, replacer),
    diskKey: (disk) => (disk === undefined ? '-' : JSON.stringify(disk, replacer)),
    describeMsg(msg) {
      const m = msg.m;
      if (m.kind === 'paxos') {
        const r = m.cmd.srcRecord;
        return `paxos e${m.cmd.header.entityId}:${m.cmd.header.entry} [prep ${r.preparedNum} prom ${r.promisedNum} acc ${r.acceptedNum}${r.acceptedNum > 0n ? `=${valueOf(r)}` : ''}${r.chosen ? ' CHOSEN' : ''}${(m.cmd as { srcDurable?: boolean }).srcDurable === false ? ' not-durable' : ''}] chosen<=${m.cmd.maxChosenEntry}${m.cmd.maxChosenValueId ? `=v${m.cmd.maxChosenValueId}` : ''} inc ${msg.inc}`;
      }
      if (m.kind === 'commit') return `commit e${m.entityId}:${m.entry}=v${m.valueId} inc ${msg.inc}`;
      return `${m.kind} inc ${msg.inc}`;
    },
    describeOp(op) {
      return `write ${op.value} to entity ${op.entity}`;
    },
  };

  function onHorizonReq(node: CNode, from: number, req: HorizonReq, inc: number): Out<CPersist, CMsg, CObs> {
    const e = core.emptyEffects();
    if (node.recovering) {
      const rsp: HorizonRsp = { kind: 'horizonRsp', srcAcceptorId: node.id, recovering: true, horizons: [], next: null };
      e.sendNow.push({ to: from, msg: rsp as never });
      return out(node, e);
    }
    const all = [...node.cores.keys()].sort((a, b) => (a < b ? -1 : 1)).map((id) => {
      const c = entity(node, id);
      const horizon = c.horizonHere();
      core.mergeEffects(e, c.finishActive(node.now, 0.5));
      return { entityId: id, horizon };
    });
    node.fence[from] = Math.max(node.fence[from] ?? 0, inc);
    const o2 = out(node, e, { persist: [{ kind: 'fence', from, inc }] });
    // the answer leaves once the fence is durable
    o2.send = [...(o2.send ?? []), { to: from, msg: { inc: node.inc, m: current.horizonPage(node.id, all, req.after, req.maxNum) } }];
    return o2;
  }

  function onHorizonRsp(node: CNode, rsp: HorizonRsp): Out<CPersist, CMsg, CObs> {
    const rec = node.recovery;
    if (!rec) return {};
    const was = rec.established;
    const e = core.emptyEffects();
    for (const r of rec.onRsp(rsp, node.now)) e.sendNow.push({ to: r.to, msg: r.msg as never });
    if (!was && rec.established) core.mergeEffects(e, establishHorizon(node));
    return out(node, e, { persist: maybeFinish(node) });
  }
}

/** JSON replacer for replica state: Map/Set as sorted entries, bigint and bytes tagged. */
function replacer(k: string, v: unknown): unknown {
  if (k === 'cmdSeq') return undefined;
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `b:${dec.decode(v)}`;
  if (v instanceof Map) return ['M', ...[...v].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1))];
  if (v instanceof Set) return ['S', ...[...v].map(String).sort()];
  return v;
}
