// Active-active replication: full mesh, each node streams only its own ops to every peer
// over a link it dials (handshake CONSTDB.SYNC on the peer's client port), tagged with
// (origin, seq) and applied exactly once in seq order; a gap closes the link and the
// redial resyncs. A peer that is behind the byte-capped backlog gets a streamed full
// snapshot merged with the CRDT join. Acks carry the peer's applied-uuid vector, from
// which tombstones are collected once every replica has seen them (causal stability).
// The Replicator holds the replication state and ties its parts together: the outgoing
// stream per peer (replLink.ts), the inbound apply path (replInbound.ts), the handshake
// (replHandshake.ts), admission of announced nodes (candidateVerifier.ts), membership
// changes (membershipChanges.ts), the peer file (peerFile.ts), acks (replAck.ts), WAIT
// (ackWaiters.ts), tombstone stability (tombstoneGc.ts) and anti-entropy (antiEntropy.ts).
import type { Socket } from 'node:net';
import type { Connection } from './connection.js';
import type { ConstdbNode } from './node.js';
import { Backlog, F, frame } from './replFrames.js';
import { serveInbound } from './replInbound.js';
import type { KeyRec } from '../core/keyrec.js';
import { Reader, Writer, maxUuid } from '../core/codec.js';
import type { SnapshotMeta, PeerMeta } from '../storage/snapshot.js';
import { PeerLink } from './replLink.js';
import { Membership, membersFromJSON } from '../core/membership.js';
import { AntiEntropy } from './antiEntropy.js';
import { formatPeerList, newPeer, type Peer } from './replPeer.js';
import { PeerFile } from './peerFile.js';
import { AckWaiters } from './ackWaiters.js';
import { CandidateVerifier } from './candidateVerifier.js';
import { takeover } from './replHandshake.js';
import { encodeAck } from './replAck.js';
import { stabilityOf } from './tombstoneGc.js';
import { MembershipChanges } from './membershipChanges.js';

export class Replicator {
  readonly peers = new Map<number, Peer>();
  /** who is in the cluster: replicated, durable (constdb.peers), gossiped (see core/membership.ts) */
  readonly members = new Membership();
  readonly ae = new AntiEntropy(this);
  /** origin -> last seq applied */
  readonly applied = new Map<number, bigint>();
  /** origin -> max uuid applied from it */
  readonly appliedU = new Map<number, bigint>();
  /**
   * appliedU as of the last durable snapshot (own entry: our clock then). Acks carry this,
   * not appliedU: a tombstone may only be collected once every replica would still have
   * the removal after a crash, or a restarted replica could bring the removed add back.
   */
  durableU = new Map<number, bigint>();
  readonly backlog: Backlog;
  /** last generation handed out for owed full syncs */
  owedGen = 0;
  /** full syncs being received right now (tombstone GC waits for them: see Peer.ackCap) */
  inboundFullSyncs = 0;
  private gcTimer: NodeJS.Timeout | undefined;
  private hbTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new AckWaiters(this.peers);
  private readonly peerFile: PeerFile;
  private readonly verifier: CandidateVerifier;
  private readonly membership: MembershipChanges;
  stopped = false;
  stats = { fullSyncsSent: 0, partialSyncsSent: 0, fullSyncsReceived: 0, emptyFullSyncsMerged: 0, opsApplied: 0, duplicatesDropped: 0, gapsDetected: 0, lostOpsHeld: 0, candidatesVerified: 0, candidatesRefused: 0, rejoins: 0 };

  /** configured dial addresses by peer id (peer_addrs) */
  private readonly dialOverrides = new Map<number, { host: string; port: number }>();

  constructor(readonly node: ConstdbNode) {
    this.backlog = new Backlog(node.cfg.replBacklogLimitBytes);
    this.peerFile = new PeerFile(node.cfg.workDir, node.log);
    const probe = (host: string, port: number, timeoutMs: number) => PeerLink.probe(this, host, port, timeoutMs);
    this.verifier = new CandidateVerifier(this, probe, (id) => this.dialOverrides.get(id));
    this.membership = new MembershipChanges(this, (host, port) => PeerLink.probe(this, host, port));
    for (const item of node.cfg.peerAddrs.split(',').filter(Boolean)) {
      const m = /^(\d+)=(.+):(\d+)$/.exec(item);
      if (m) this.dialOverrides.set(Number(m[1]), { host: m[2]!, port: Number(m[3]) });
    }
  }

  /** Where to dial a peer: a configured override, else what it announced. */
  dialAddr(p: Peer): { host: string; port: number } {
    return this.dialOverrides.get(p.id) ?? { host: p.host, port: p.port };
  }

  get wantsOps(): boolean {
    return this.peers.size > 0;
  }

  get log() {
    return this.node.log;
  }

  /**
   * The peer list is written (atomically) whenever it changes, not only with snapshots: a
   * node restarted from its AOF alone must still know every replica, or it would judge
   * tombstones stable (collectable) without hearing from replicas it forgot about.
   */
  persistPeers(): Promise<void> {
    const owed = [...this.peers.values()].filter((p) => p.owed > 0).map((p): [number, number] => [p.id, p.owed]);
    // callers that must not go on before it is durable await the result (it rejects on error)
    return this.peerFile.write({ peers: this.peerMetas(), members: this.members.toJSON(), owed, owedGen: this.owedGen });
  }

  async loadPeers(): Promise<void> {
    const saved = await this.peerFile.read();
    if (!saved) return;
    for (const f of saved.forgotten ?? []) this.members.set(f, true, 0n);
    this.members.merge(membersFromJSON(saved.members ?? []));
    // the snapshot's peer list may predate a forget the peer file already knows
    for (const p of [...this.peers.values()]) if (this.selfOut || this.members.isOut(p.id)) this.peers.delete(p.id);
    for (const p of saved.peers) this.addPeer(p.id, p.host, p.port, '', false);
    this.owedGen = saved.owedGen ?? 0;
    for (const [id, gen] of saved.owed ?? []) {
      const p = this.peers.get(id);
      if (p) p.owed = gen;
    }
  }

  flushPeers(): Promise<void> {
    return this.peerFile.flush();
  }

  restore(meta: SnapshotMeta): void {
    for (const [o, s] of meta.applied) this.applied.set(o, s);
    for (const f of meta.forgotten) this.members.set(f, true, 0n);
    for (const p of meta.peers) this.addPeer(p.id, p.host, p.port, '', false);
  }

  peerMetas(): PeerMeta[] {
    return [...this.peers.values()].map((p) => ({ id: p.id, host: p.host, port: p.port }));
  }

  start(): void {
    if (this.backlog.firstSeq + BigInt(this.backlog.size) !== this.node.ownSeq + 1n) this.backlog.reset(this.node.ownSeq + 1n);
    const hbMs = Math.max(50, this.node.cfg.replicaHeartbeatFrequencySec * 1000);
    this.hbTimer = setInterval(() => this.heartbeat(), hbMs);
    this.hbTimer.unref();
    this.gcTimer = setInterval(() => this.gc(), this.node.cfg.gcIntervalMs);
    this.gcTimer.unref();
    this.ae.start(this.node.cfg.antiEntropyIntervalMs);
    for (const p of this.peers.values()) this.ensureLink(p);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.hbTimer);
    clearInterval(this.gcTimer);
    this.ae.stop();
    for (const p of this.peers.values()) {
      p.link?.close();
      p.inbound?.destroy();
    }
    this.waiters.resolveAll();
  }

  addPeer(id: number, host: string, port: number, alias: string, connectNow = true): Peer | undefined {
    if (id === this.node.cfg.nodeId || this.members.isOut(id) || this.selfOut) return undefined;
    let p = this.peers.get(id);
    if (!p) {
      p = newPeer(id, host, port, alias);
      this.peers.set(id, p);
      if (this.peers.size === 1 && this.backlog.firstSeq + BigInt(this.backlog.size) !== this.node.ownSeq + 1n) this.backlog.reset(this.node.ownSeq + 1n);
      this.log.info({ peer: id, addr: `${host}:${port}` }, 'replica added');
      if (connectNow) void this.persistPeers();
    } else if (p.host !== host || p.port !== port) {
      p.host = host;
      p.port = port;
      p.link?.close();
      p.link = undefined;
    }
    if (alias) p.alias = alias;
    if (connectNow && !this.stopped) this.ensureLink(p);
    return p;
  }

  private ensureLink(p: Peer): void {
    if (!p.link && !this.stopped) p.link = new PeerLink(this, p);
  }

  get selfOut(): boolean {
    return this.members.isOut(this.node.cfg.nodeId);
  }

  /** MEET host:port (see MembershipChanges.meet). */
  meet(host: string, port: number): Promise<void> {
    return this.membership.meet(host, port);
  }

  /** FORGET id (see MembershipChanges.forget). */
  forget(id: number): Promise<number> {
    return this.membership.forget(id);
  }

  /** A membership view received from a peer (see MembershipChanges.onMembers). */
  onMembers(wire: string, from?: number): void {
    this.membership.onMembers(wire, from);
  }

  rejoin(): Promise<void> {
    return this.membership.rejoin();
  }

  /** `fr` is the op already framed (F.OP); the backlog keeps frames ready to resend. */
  onOwnOp(seq: bigint, fr: Buffer): void {
    this.backlog.push(seq, fr);
    this.appliedU.set(this.node.cfg.nodeId, this.node.db.clock.current);
    for (const p of this.peers.values()) p.link?.sendOp(seq, fr);
  }

  /** First command of a connection: CONSTDB.SYNC makes it an inbound peer stream. */
  takeover(c: Connection, args: Buffer[]): boolean {
    return takeover(this, c, args);
  }

  get isRejoining(): boolean {
    return this.membership.isRejoining;
  }

  serveInbound(p: Peer, sock: Socket): void {
    serveInbound(this, p, sock);
  }

  /**
   * We hold ops an origin lost: every replica (the origin too) gets our durable state in a
   * full sync, and the obligation survives our own crashes until each has made it durable.
   */
  onLostOps(): Promise<void> {
    this.stats.lostOpsHeld++;
    const gen = ++this.owedGen;
    for (const q of this.peers.values()) q.owed = gen;
    return this.persistPeers().then(() => {
      for (const q of this.peers.values()) q.link?.restart();
    });
  }

  /** A peer reported a full sync durable: the obligation of that generation (or older) is met. */
  onFullSyncDurable(p: Peer, gen: number): void {
    p.ackCap = undefined;
    if (p.owed === 0) return;
    if (gen >= p.owed) {
      p.owed = 0;
      void this.persistPeers();
    } else {
      p.link?.restart(); // a newer obligation arrived while that sync ran
    }
  }

  applyRemote(origin: number, key: string, delta: KeyRec, seq: bigint): void {
    const u = maxUuid(delta);
    this.node.db.clock.observe(u);
    this.node.db.join(key, delta);
    this.applied.set(origin, seq);
    this.bumpU(origin, u);
    this.stats.opsApplied++;
    this.node.stats.changesSinceSnapshot++;
  }

  bumpU(origin: number, u: bigint): void {
    if (u > (this.appliedU.get(origin) ?? 0n)) this.appliedU.set(origin, u);
  }

  /** What the next snapshot will make durable (taken when its contents are captured). */
  captureDurable(): Map<number, bigint> {
    const d = new Map(this.appliedU);
    d.set(this.node.cfg.nodeId, this.node.db.clock.current);
    return d;
  }

  ackFrame(origin: number): Buffer {
    const cap = this.peers.get(origin)?.ackCap;
    return encodeAck(this.applied.get(origin) ?? 0n, this.durableU, cap, this.peersString(), this.node.seqs.lostUuids, this.members.format());
  }

  peersString(): string {
    return formatPeerList(this.peers.values());
  }

  /** Replicas named by a replica (handshake reply, acks): each is verified before it is added. */
  learnPeers(list: string): void {
    for (const item of list.split(',')) {
      const m = /^(\d+)@(.+):(\d+)$/.exec(item);
      if (!m) continue;
      const id = Number(m[1]);
      if (!this.peers.has(id)) this.verifyCandidate(id, m[2]!, Number(m[3]), '');
    }
  }

  /** See CandidateVerifier.verify: a node announced by a handshake or gossip is dialled first. */
  verifyCandidate(id: number, host: string, port: number, alias: string): void {
    this.verifier.verify(id, host, port, alias);
  }

  onAck(p: Peer, payload: Buffer): void {
    const r = new Reader(payload);
    const seq = r.u64();
    if (seq > p.ackedSeq) p.ackedSeq = seq;
    p.lastAckMs = Date.now();
    for (let i = r.varint(); i > 0; i--) p.appliedU.set(r.varint(), r.u64());
    const peers = r.latin1();
    const lost: Array<readonly [bigint, bigint]> = [];
    for (let i = r.varint(); i > 0; i--) lost.push([r.u64(), r.u64()]);
    p.lostUuids = lost;
    // membership first: a lifted forget makes a listed node learnable
    if (!r.done) this.onMembers(r.latin1());
    if (peers !== p.lastPeersList) {
      p.lastPeersList = peers;
      this.learnPeers(peers);
    }
    this.waiters.settle();
  }

  private heartbeat(): void {
    for (const p of this.peers.values()) p.link?.heartbeat();
  }

  /** Tombstone GC (see tombstoneGc.ts); waits while a full sync is being received (Peer.ackCap). */
  gc(): void {
    if (this.inboundFullSyncs > 0) return;
    const self = this.node.cfg.nodeId;
    this.node.db.gc(stabilityOf({ self, isOut: (id) => this.members.isOut(id), ownLost: this.node.seqs.lostUuids, durableU: this.durableU, peers: this.peers }));
  }

  countAcked(seq: bigint): number {
    return this.waiters.countAcked(seq);
  }

  wait(numReplicas: number, timeoutMs: number, _lastWrite: bigint): Promise<number> {
    // every write of this client has a seq <= the current one
    return this.waiters.wait(this.node.ownSeq, numReplicas, timeoutMs);
  }

  /** PUBLISH to the other nodes: one frame to each peer linked now (at most once, not stored). */
  publish(channel: string, msg: Buffer): void {
    if (this.peers.size === 0) return;
    const w = new Writer(channel.length + msg.length + 16);
    w.latin1(channel);
    w.bytes(msg);
    const fr = frame(F.PUBLISH, w.result());
    for (const p of this.peers.values()) p.link?.sendOp(0n, fr);
  }
}
