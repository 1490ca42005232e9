// Recovery mode of the engine: whether this replica may vote (its voting record in the plog),
// the horizon requests it sends while recovering, the answers it gives others, and the fence
// against messages of a peer's earlier incarnation. The protocol logic is pure
// (core/recovery.ts, EntityCore learner mode); this is the I/O around it.
import type { Logger } from 'pino';
import { Recovery, type EntityCore, type HorizonReq, type HorizonRsp, type Effects, type PeerMsg } from '../core/index.js';
import type { Plog } from '../storage/plog.js';

export interface VotingRecord {
  status: 'voter' | 'recovering';
  /** This life of the replica: ms since epoch when it began (fences older lives). */
  incarnation: bigint;
  reason: string;
}

const VOTING = 'voting';
const FENCE = 'fence';

/**
 * Decide at start whether this replica votes. A plog that existed with a voter record is
 * intact; a recovering mark stays until recovery completes (even across restarts); anything
 * else is a replica that cannot prove what it promised: it recovers, unless this is the
 * explicit bootstrap of a fresh cluster (which a replica never decides on its own).
 */
export async function loadVoting(plog: Plog, o: { fresh: boolean; bootstrap: boolean; now: number }): Promise<VotingRecord> {
  const have = await plog.getSys<VotingRecord>(VOTING);
  if (have && (have.status === 'voter' || have.status === 'recovering')) return have;
  const rec: VotingRecord = o.bootstrap
    ? { status: 'voter', incarnation: BigInt(o.now), reason: o.fresh ? 'bootstrap' : 'bootstrap adopted an existing plog' }
    : { status: 'recovering', incarnation: BigInt(o.now), reason: o.fresh ? 'fresh state without bootstrap (lost or new disk)' : 'plog without a voting record' };
  await plog.putSys(VOTING, rec);
  return rec;
}

export interface RecoveryHost {
  plog(): Plog;
  log: Logger;
  acceptorId: number;
  acceptorNum: number;
  send(to: number, msg: PeerMsg): void;
  handle(e: Effects): void;
  entity(id: bigint): Promise<EntityCore>;
  loaded(): Map<bigint, EntityCore>;
}

export class RecoveryMode {
  voting!: VotingRecord;
  private recovery: Recovery | null = null;
  private readonly fence = new Map<number, bigint>();
  private persistedFence = new Map<number, bigint>();
  private finishing = false;
  /** Called once when recovery completes (health goes SERVING). */
  onRecovered?: () => void;

  constructor(private readonly h: RecoveryHost, private readonly opts: { pageNum: number; retryMs: number }) {}

  async start(o: { fresh: boolean; bootstrap: boolean; now: number }): Promise<void> {
    this.voting = await loadVoting(this.h.plog(), o);
    const f = (await this.h.plog().getSys<Record<string, bigint>>(FENCE)) ?? {};
    for (const [k, v] of Object.entries(f)) {
      this.fence.set(Number(k), v);
      this.persistedFence.set(Number(k), v);
    }
    if (this.voting.status === 'recovering') {
      this.recovery = new Recovery({ acceptorId: this.h.acceptorId, acceptorNum: this.h.acceptorNum, ...this.opts });
      this.h.log.warn({ reason: this.voting.reason }, 'recovering: not voting until every other replica gave its horizon and it is learnt');
    }
  }

  get recovering(): boolean {
    return this.voting.status === 'recovering';
  }

  get incarnation(): bigint {
    return this.voting.incarnation;
  }

  /** Peers this replica still waits for (status, logs). */
  waitingFor(): number[] {
    return this.recovery?.waitingFor() ?? [];
  }

  /** A core just loaded: while recovering it is a learner, with its horizon once known. */
  adopt(core: EntityCore, now: number): void {
    if (!this.recovering) return;
    core.becomeLearner();
    if (this.recovery?.established) this.h.handle(core.setHorizon(this.recovery.horizons.get(core.entityId) ?? 0n, now));
  }

  /** Fence: false for a message from an earlier incarnation of its sender. */
  admit(from: number, msg: PeerMsg): boolean {
    const inc = (msg as { inc?: unknown }).inc;
    const v = typeof inc === 'bigint' ? inc : 0n;
    const f = this.fence.get(from) ?? 0n;
    if (v < f) return false;
    if (v > f) this.fence.set(from, v);
    return true;
  }

  tick(now: number): void {
    if (!this.recovery) return;
    for (const o of this.recovery.poll(now)) this.h.send(o.to, o.msg);
  }

  async onHorizonReq(from: number, req: HorizonReq, now: number, random: () => number): Promise<void> {
    if (this.recovering) {
      this.h.send(from, { kind: 'horizonRsp', srcAcceptorId: this.h.acceptorId, recovering: true, horizons: [], next: null });
      return;
    }
    // Persist the fence before answering: the asker's earlier life is ignored from now on,
    // also after our own restart.
    const inc = this.fence.get(from) ?? 0n;
    if ((this.persistedFence.get(from) ?? 0n) < inc) {
      this.persistedFence.set(from, inc);
      await this.h.plog().putSys(FENCE, Object.fromEntries(this.persistedFence));
    }
    const ids = new Set<bigint>(await this.h.plog().entities());
    for (const id of this.h.loaded().keys()) ids.add(id);
    const sorted = [...ids].filter((id) => req.after === null || id > req.after).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const n = Math.max(1, Math.min(req.maxNum, this.opts.pageNum));
    const page = sorted.slice(0, n);
    const horizons: { entityId: bigint; horizon: bigint }[] = [];
    for (const id of page) {
      const core = await this.h.entity(id);
      const horizon = core.horizonHere();
      if (horizon > 0n) horizons.push({ entityId: id, horizon });
      // the asker waits for our active entry to be decided: decide it
      this.h.handle(core.finishActive(now, random()));
    }
    const rsp: HorizonRsp = { kind: 'horizonRsp', srcAcceptorId: this.h.acceptorId, recovering: false, horizons, next: sorted.length > n ? page[page.length - 1]! : null };
    this.h.send(from, rsp);
  }

  async onHorizonRsp(rsp: HorizonRsp, now: number): Promise<void> {
    const rec = this.recovery;
    if (!rec) return;
    const was = rec.established;
    for (const o of rec.onRsp(rsp, now)) this.h.send(o.to, o.msg);
    if (was || !rec.established) return;
    this.h.log.info({ entities: rec.horizons.size }, 'recovering: horizon established, learning up to it');
    for (const core of this.h.loaded().values()) this.h.handle(core.setHorizon(rec.horizons.get(core.entityId) ?? 0n, now));
    for (const id of rec.horizons.keys()) await this.h.entity(id);
  }

  /**
   * After a batch: with nothing left to write, every learnt entry is durable; once each entity
   * of the horizon is learnt up to it, the replica votes again (a durable voter record).
   */
  async maybeFinish(idle: boolean): Promise<void> {
    const rec = this.recovery;
    if (!idle || !rec?.established || this.finishing) return;
    const loaded = this.h.loaded();
    for (const [id, horizon] of rec.horizons) {
      const core = loaded.get(id);
      if (!core || core.learner || core.maxChosen < horizon) return;
    }
    for (const core of loaded.values()) if (core.learner) return;
    this.finishing = true;
    try {
      const v: VotingRecord = { status: 'voter', incarnation: this.voting.incarnation, reason: `recovered after: ${this.voting.reason}` };
      await this.h.plog().putSys(VOTING, v);
      this.voting = v;
      this.recovery = null;
      this.h.log.info('recovered: voting again');
      this.onRecovered?.();
    } finally {
      this.finishing = false;
    }
  }
}
