// Membership changes of this node's cluster: MEET, FORGET, membership views gossiped by
// peers, and the rejoin of a node that was forgotten. The view itself (who is in or out,
// replicated and durable) is core/membership.ts; this acts on its changes.
import type { Logger } from 'pino';
import type { Db } from '../core/db.js';
import { Writer } from '../core/codec.js';
import { parseMembers, type Membership } from '../core/membership.js';
import type { SeqCeiling } from '../storage/seqCeiling.js';
import { F, frame } from './replFrames.js';
import type { Peer } from './replPeer.js';

/** What membership changes need of the replicator (kept narrow: no import of it, no cycle). */
export interface MembershipHost {
  readonly node: {
    readonly cfg: { readonly nodeId: number };
    readonly db: Db;
    readonly seqs: SeqCeiling;
    readonly ownSeq: bigint;
    snapshotFresh(): Promise<void>;
  };
  readonly peers: Map<number, Peer>;
  readonly members: Membership;
  readonly selfOut: boolean;
  readonly stopped: boolean;
  readonly log: Logger;
  readonly backlog: { reset(nextSeq: bigint): void };
  readonly applied: Map<number, bigint>;
  readonly appliedU: Map<number, bigint>;
  durableU: Map<number, bigint>;
  readonly stats: { rejoins: number };
  persistPeers(): Promise<void>;
  addPeer(id: number, host: string, port: number, alias: string): Peer | undefined;
}

export type MeetProbe = (host: string, port: number) => Promise<{ id: number; alias: string; members: string }>;

export class MembershipChanges {
  /** set while this node drops its state to rejoin after having been forgotten */
  private rejoining: Promise<void> | undefined;

  constructor(
    private readonly h: MembershipHost,
    private readonly probe: MeetProbe,
  ) {}

  get isRejoining(): boolean {
    return this.rejoining !== undefined;
  }

  /**
   * MEET host:port: dial it, complete the handshake; snapshots flow both ways from there.
   * MEET writes "in" for the other node (lifting a forget of it everywhere the entry spreads)
   * and, on a node that was itself forgotten, "in" for this node: it rejoins (see rejoin).
   */
  async meet(host: string, port: number): Promise<void> {
    const info = await this.probe(host, port);
    if (info.id === this.h.node.cfg.nodeId) throw new Error('cannot meet myself');
    // their view first, so our version below is newer than any forget of either of us
    this.onMembers(info.members);
    if (this.rejoining) await this.rejoining;
    const u = this.h.node.db.uuid(Date.now());
    if (this.h.selfOut) {
      this.h.members.set(this.h.node.cfg.nodeId, false, u);
      await this.rejoin();
    }
    this.h.members.set(info.id, false, u);
    await this.h.persistPeers();
    const p = this.h.addPeer(info.id, host, port, info.alias);
    if (!p) throw new Error(`node ${info.id} cannot be added`);
    // poll the peer, not one link object: its link is replaced when the peer's handshake
    // announces a different address than the one MEET dialled (a proxy, a NAT)
    const deadline = Date.now() + 30_000;
    while (this.h.peers.get(info.id)?.link?.state !== 'online') {
      if (Date.now() > deadline) throw new Error(`replica not online: ${this.h.peers.get(info.id)?.link?.lastError || 'timeout'}`);
      if (this.h.stopped || !this.h.peers.has(info.id)) throw new Error('replica removed while meeting it');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** FORGET id: writes "out" for it; the entry reaches every member (also ones down now) by gossip. */
  async forget(id: number): Promise<number> {
    if (id === this.h.node.cfg.nodeId) throw new Error('cannot forget myself');
    const known = this.h.peers.has(id);
    const u = this.h.node.db.uuid(Date.now());
    const payload = new Writer(16);
    payload.varint(id);
    payload.u64(u);
    const fr = frame(F.FORGET, payload.result());
    // the forgotten node itself hears it on our link to it (closed shortly after)
    for (const q of this.h.peers.values()) q.link?.send(fr);
    this.h.members.set(id, true, u);
    this.applyMemberChange(id, this.h.selfOut);
    await this.h.persistPeers();
    return known ? 1 : 0;
  }

  /**
   * Joins a membership view received from a peer (wire form) and acts on what changed.
   * `from` names a sender that is not a replica: only its "in" entries for itself and for
   * us are taken (a MEET on either side), so a stranger's handshake cannot forget anyone.
   */
  onMembers(wire: string, from?: number): void {
    let entries;
    try {
      entries = parseMembers(wire);
    } catch (e) {
      this.h.log.warn({ err: (e as Error).message }, 'ignoring a malformed membership view');
      return;
    }
    if (from !== undefined) entries = entries.filter(([id, e]) => !e.out && (id === from || id === this.h.node.cfg.nodeId));
    for (const [, e] of entries) this.h.node.db.clock.observe(e.u);
    const wasOut = this.h.selfOut;
    const changed = this.h.members.merge(entries);
    for (const id of changed) this.applyMemberChange(id, wasOut);
    if (changed.length) void this.h.persistPeers();
  }

  private applyMemberChange(id: number, selfWasOut: boolean): void {
    const self = this.h.node.cfg.nodeId;
    if (id === self) {
      if (this.h.selfOut) {
        this.h.log.warn('this node was forgotten by the cluster: replication stopped (MEET brings it back)');
        for (const p of this.h.peers.values()) this.dropPeer(p, 0);
      } else if (selfWasOut) void this.rejoin();
      return;
    }
    if (!this.h.members.isOut(id)) return; // a lifted forget: the node is learnt when a member lists it
    const p = this.h.peers.get(id);
    // let a FORGET frame sent just now reach the forgotten node itself, then drop its links
    if (p) this.dropPeer(p, 200);
  }

  private dropPeer(p: Peer, delayMs: number): void {
    this.h.peers.delete(p.id);
    const close = () => {
      p.link?.close();
      p.inbound?.destroy();
    };
    if (delayMs > 0) setTimeout(close, delayMs).unref();
    else close();
  }

  /**
   * A forgotten node that is let back in drops its keyspace and re-learns it from the
   * members (full syncs): while it was out the members collected tombstones without waiting
   * for it, so its old records could bring deleted keys back. Its own writes made while it
   * was out are dropped with them. The empty state is made durable before any peer's data
   * is accepted (takeover refuses while this runs); counters continue under a new epoch.
   */
  rejoin(): Promise<void> {
    this.rejoining ??= (async () => {
      this.h.log.warn('this node rejoins the cluster: its data is dropped and re-learnt from the members');
      for (const p of this.h.peers.values()) this.dropPeer(p, 0);
      this.h.node.db.reset();
      this.h.applied.clear();
      this.h.appliedU.clear();
      this.h.durableU = new Map();
      this.h.node.seqs.setEpoch(this.h.node.ownSeq + 1n);
      this.h.node.db.epoch = this.h.node.seqs.epoch;
      this.h.backlog.reset(this.h.node.ownSeq + 1n);
      this.h.stats.rejoins++;
      await this.h.persistPeers();
      await this.h.node.snapshotFresh();
    })().finally(() => {
      this.rejoining = undefined;
    });
    return this.rejoining;
  }
}
