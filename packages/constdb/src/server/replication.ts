// Active-active replication: full mesh, each node streams only its own ops to every peer
// over a link it dials (handshake CONSTDB.SYNC on the peer's client port), tagged with
// (origin, seq) and applied exactly once in seq order; a gap closes the link and the
// redial resyncs. A peer that is behind the byte-capped backlog gets a streamed full
// snapshot merged with the CRDT join. Acks carry the peer's applied-uuid vector, from
// which tombstones are collected once every replica has seen them (causal stability).
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { writeFileAtomic, readFileChecked } from '@quorumkit/shared-storage';
import type { Connection } from './connection.js';
import type { ConstdbNode } from './node.js';
import { Backlog, F, frame } from './replFrames.js';
import { serveInbound } from './replInbound.js';
import type { KeyRec } from '../core/keyrec.js';
import { Reader, Writer, maxUuid } from '../core/codec.js';
import type { SnapshotMeta, PeerMeta } from '../storage/snapshot.js';
import { PeerLink } from './replLink.js';
import { inLostRange, parseLostRanges } from '../storage/seqCeiling.js';
import { Membership, membersFromJSON, parseMembers } from '../core/membership.js';
import { AntiEntropy } from './antiEntropy.js';

export const PEERS_FILE = 'constdb.peers';

/** verification of a node that announced itself (handshake, gossip): limits */
const VERIFY_INFLIGHT_MAX = 16;
const VERIFY_TIMEOUT_MS = 5000;
const VERIFY_COOLDOWN_MS = 2000;

export interface Peer extends PeerMeta {
  alias: string;
  link?: PeerLink;
  /** inbound stream from this peer (its ops to us) */
  inbound?: Socket;
  /** highest seq of our ops the peer acknowledged */
  ackedSeq: bigint;
  lastAckMs: number;
  /** the peer's applied-uuid vector (origin -> max uuid applied) */
  appliedU: Map<number, bigint>;
  fullSyncs: number;
  partialSyncs: number;
  /**
   * Generation of the full sync this peer is owed (0: none). Set when we hold ops a
   * restarted origin lost, persisted with the peer list, cleared when the peer reports the
   * full sync of that generation (or a later one) durable.
   */
  owed: number;
  /**
   * While a full sync to this peer may still be merged there: the durable vector we had
   * claimed when its snapshot was taken. Our acks to the peer claim no more than this, so it
   * cannot collect a tombstone on the strength of a later claim and then merge our older
   * snapshot that still holds the removed add.
   */
  ackCap?: Map<number, bigint>;
  /** uuid ranges of ops this peer may have lost in crashes (from its acks): never stable */
  lostUuids: ReadonlyArray<readonly [bigint, bigint]>;
  /** the peer list of its last ack (learnt only when it changes) */
  lastPeersList?: string;
}

export class Replicator {
  readonly peers = new Map<number, Peer>();
  /** who is in the cluster: replicated, durable (constdb.peers), gossiped (see core/membership.ts) */
  readonly members = new Membership();
  readonly ae = new AntiEntropy(this);
  /** set while this node drops its state to rejoin after having been forgotten */
  private rejoining: Promise<void> | undefined;
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
  private waiters: Array<{ seq: bigint; n: number; resolve: (n: number) => void; timer?: NodeJS.Timeout }> = [];
  stopped = false;
  stats = { fullSyncsSent: 0, partialSyncsSent: 0, fullSyncsReceived: 0, emptyFullSyncsMerged: 0, opsApplied: 0, duplicatesDropped: 0, gapsDetected: 0, lostOpsHeld: 0, candidatesVerified: 0, candidatesRefused: 0, rejoins: 0 };

  /** configured dial addresses by peer id (peer_addrs) */
  private readonly dialOverrides = new Map<number, { host: string; port: number }>();

  constructor(readonly node: ConstdbNode) {
    this.backlog = new Backlog(node.cfg.replBacklogLimitBytes);
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

  private peersWrite: Promise<void> = Promise.resolve();

  /**
   * The peer list is written (atomically) whenever it changes, not only with snapshots: a
   * node restarted from its AOF alone must still know every replica, or it would judge
   * tombstones stable (collectable) without hearing from replicas it forgot about.
   */
  persistPeers(): Promise<void> {
    const owed = [...this.peers.values()].filter((p) => p.owed > 0).map((p) => [p.id, p.owed]);
    const body = JSON.stringify({ peers: this.peerMetas(), members: this.members.toJSON(), owed, owedGen: this.owedGen });
    const path = join(this.node.cfg.workDir, PEERS_FILE);
    // callers that must not go on before it is durable await the result (it rejects on error)
    const write = this.peersWrite.then(() => writeFileAtomic(path, Buffer.from(body)));
    this.peersWrite = write.catch((e: Error) => this.log.error({ err: e.message }, 'cannot write the peer list'));
    return write;
  }

  async loadPeers(): Promise<void> {
    const bytes = await readFileChecked(join(this.node.cfg.workDir, PEERS_FILE));
    if (!bytes) return;
    const saved = JSON.parse(Buffer.from(bytes).toString('utf8')) as { peers: PeerMeta[]; members?: Array<[number, boolean, string]>; forgotten?: number[]; owed?: Array<[number, number]>; owedGen?: number };
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
    return this.peersWrite;
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
    for (const w of this.waiters) w.resolve(this.countAcked(w.seq));
    this.waiters = [];
  }

  addPeer(id: number, host: string, port: number, alias: string, connectNow = true): Peer | undefined {
    if (id === this.node.cfg.nodeId || this.members.isOut(id) || this.selfOut) return undefined;
    let p = this.peers.get(id);
    if (!p) {
      p = { id, host, port, alias, ackedSeq: 0n, lastAckMs: 0, appliedU: new Map(), fullSyncs: 0, partialSyncs: 0, owed: 0, lostUuids: [] };
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

  /**
   * MEET host:port: dial it, complete the handshake; snapshots flow both ways from there.
   * MEET writes "in" for the other node (lifting a forget of it everywhere the entry spreads)
   * and, on a node that was itself forgotten, "in" for this node: it rejoins (see rejoin).
   */
  async meet(host: string, port: number): Promise<void> {
    const info = await PeerLink.probe(this, host, port);
    if (info.id === this.node.cfg.nodeId) throw new Error('cannot meet myself');
    // their view first, so our version below is newer than any forget of either of us
    this.onMembers(info.members);
    if (this.rejoining) await this.rejoining;
    const u = this.node.db.uuid(Date.now());
    if (this.selfOut) {
      this.members.set(this.node.cfg.nodeId, false, u);
      await this.rejoin();
    }
    this.members.set(info.id, false, u);
    await this.persistPeers();
    const p = this.addPeer(info.id, host, port, info.alias);
    if (!p) throw new Error(`node ${info.id} cannot be added`);
    // poll the peer, not one link object: its link is replaced when the peer's handshake
    // announces a different address than the one MEET dialled (a proxy, a NAT)
    const deadline = Date.now() + 30_000;
    while (this.peers.get(info.id)?.link?.state !== 'online') {
      if (Date.now() > deadline) throw new Error(`replica not online: ${this.peers.get(info.id)?.link?.lastError || 'timeout'}`);
      if (this.stopped || !this.peers.has(info.id)) throw new Error('replica removed while meeting it');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** FORGET id: writes "out" for it; the entry reaches every member (also ones down now) by gossip. */
  async forget(id: number): Promise<number> {
    if (id === this.node.cfg.nodeId) throw new Error('cannot forget myself');
    const known = this.peers.has(id);
    const u = this.node.db.uuid(Date.now());
    const payload = new Writer(16);
    payload.varint(id);
    payload.u64(u);
    const fr = frame(F.FORGET, payload.result());
    // the forgotten node itself hears it on our link to it (closed shortly after)
    for (const q of this.peers.values()) q.link?.send(fr);
    this.members.set(id, true, u);
    this.applyMemberChange(id, this.selfOut);
    await this.persistPeers();
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
      this.log.warn({ err: (e as Error).message }, 'ignoring a malformed membership view');
      return;
    }
    if (from !== undefined) entries = entries.filter(([id, e]) => !e.out && (id === from || id === this.node.cfg.nodeId));
    for (const [, e] of entries) this.node.db.clock.observe(e.u);
    const wasOut = this.selfOut;
    const changed = this.members.merge(entries);
    for (const id of changed) this.applyMemberChange(id, wasOut);
    if (changed.length) void this.persistPeers();
  }

  private applyMemberChange(id: number, selfWasOut: boolean): void {
    const self = this.node.cfg.nodeId;
    if (id === self) {
      if (this.selfOut) {
        this.log.warn('this node was forgotten by the cluster: replication stopped (MEET brings it back)');
        for (const p of this.peers.values()) this.dropPeer(p, 0);
      } else if (selfWasOut) void this.rejoin();
      return;
    }
    if (!this.members.isOut(id)) return; // a lifted forget: the node is learnt when a member lists it
    const p = this.peers.get(id);
    // let a FORGET frame sent just now reach the forgotten node itself, then drop its links
    if (p) this.dropPeer(p, 200);
  }

  private dropPeer(p: Peer, delayMs: number): void {
    this.peers.delete(p.id);
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
      this.log.warn('this node rejoins the cluster: its data is dropped and re-learnt from the members');
      for (const p of this.peers.values()) this.dropPeer(p, 0);
      this.node.db.reset();
      this.applied.clear();
      this.appliedU.clear();
      this.durableU = new Map();
      this.node.seqs.setEpoch(this.node.ownSeq + 1n);
      this.node.db.epoch = this.node.seqs.epoch;
      this.backlog.reset(this.node.ownSeq + 1n);
      this.stats.rejoins++;
      await this.persistPeers();
      await this.node.snapshotFresh();
    })().finally(() => {
      this.rejoining = undefined;
    });
    return this.rejoining;
  }

  /** `fr` is the op already framed (F.OP); the backlog keeps frames ready to resend. */
  onOwnOp(seq: bigint, fr: Buffer): void {
    this.backlog.push(seq, fr);
    this.appliedU.set(this.node.cfg.nodeId, this.node.db.clock.current);
    for (const p of this.peers.values()) p.link?.sendOp(seq, fr);
  }

  /** First command of a connection: CONSTDB.SYNC makes it an inbound peer stream. */
  takeover(c: Connection, args: Buffer[]): boolean {
    if (args[0]!.toString('latin1').toLowerCase() !== 'constdb.sync') return false;
    const [, idB, hostB, portB, passB, seqB, aliasB, lostB, modeB, membersB] = args;
    const probeB = modeB?.toString('latin1') === 'probe';
    const reply = (s: string) => c.socket.write(s + '\r\n');
    const refuse = (s: string) => {
      reply(s);
      c.socket.end();
      return true;
    };
    if (!idB || !hostB || !portB || passB === undefined || !seqB || !aliasB || !lostB) return refuse('-ERR wrong number of arguments for \'constdb.sync\' command');
    const lost = parseLostRanges(lostB.toString('latin1'));
    if (!/^\d{1,15}$/.test(idB.toString()) || !/^\d{1,5}$/.test(portB.toString()) || !/^\d{1,20}$/.test(seqB.toString()) || !lost) {
      return refuse('-ERR invalid constdb.sync arguments');
    }
    const pass = this.node.cfg.requirepass;
    if (pass !== undefined && passB.toString() !== pass) return refuse('-WRONGPASS invalid password for replication');
    const id = Number(idB.toString());
    const theirSeq = BigInt(seqB.toString());
    if (id === this.node.cfg.nodeId) return refuse('-ERR same node id');
    // their membership view first: it may lift a forget (of them or of us) or bring one.
    // Only the view of a replica, or of a node we are about to verify, is taken: a probe or
    // a stranger's handshake changes nothing (it could be forged)
    if (membersB && !probeB) this.onMembers(membersB.toString('latin1'), this.peers.has(id) ? undefined : id);
    if (this.rejoining) return refuse('-PENDING this node is rejoining the cluster, retry');
    if (this.members.isOut(id) && !probeB) return refuse(`-FORGOTTEN ${this.members.version(id)} this node was removed from the cluster`);
    if (this.selfOut && !probeB) return refuse(`-OUT ${this.members.version(this.node.cfg.nodeId)} this node was removed from the cluster (MEET brings it back)`);
    const peersList = [...this.peers.values()].map((p) => `${p.id}@${p.host}:${p.port}`).join(',') || '-';
    const alias = encodeURIComponent(this.node.cfg.nodeAlias || '-');
    if (probeB) return refuse(`+SYNC ${this.node.cfg.nodeId} 0 ${peersList} ${alias} ${this.members.format()}`);
    const host = hostB.toString();
    const port = Number(portB.toString());
    const alias0 = decodeURIComponent(aliasB.toString());
    const p = this.peers.get(id);
    if (!p) {
      // A handshake alone proves nothing (anyone can send one): the node becomes a replica
      // only once we dialled the address it announced and found that id there.
      this.verifyCandidate(id, host, port, alias0);
      return refuse(`-PENDING node ${id} is not a replica yet: verifying ${host}:${port}, retry`);
    }
    if (p.host !== host || p.port !== port) this.verifyCandidate(id, host, port, alias0);
    if (alias0 && alias0 !== '-') p.alias = alias0;
    c.detach();
    const applied = this.applied.get(id) ?? 0n;
    let owing: Promise<void> | undefined;
    if (inLostRange(lost, applied)) {
      // the peer crashed after sending us ops it no longer has (its seqs continue above them)
      this.log.warn({ peer: id, applied: String(applied) }, 'we hold ops the peer lost in a crash: full sync to every replica');
      owing = this.onLostOps();
    } else if (applied > theirSeq) {
      // it restarted below what we applied without announcing a lost range (its data dir was
      // restored from a backup): resume from its numbering, and owe everyone our state
      this.log.warn({ peer: id, applied: String(applied), theirs: String(theirSeq) }, 'peer is behind what we applied: full sync to every replica');
      this.applied.set(id, theirSeq);
      owing = this.onLostOps();
    }
    const accept = () => {
      if (c.socket.destroyed || this.stopped) return;
      p.link?.kick();
      p.inbound?.destroy();
      p.inbound = c.socket;
      reply(`+SYNC ${this.node.cfg.nodeId} ${this.applied.get(id) ?? 0n} ${peersList} ${alias} ${this.members.format()}`);
      serveInbound(this, p, c.socket);
    };
    // the obligation is durable before the peer may move past the lost range
    if (owing) void owing.then(accept, () => c.socket.destroy());
    else accept();
    return true;
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
    const w = new Writer(256);
    w.u64(this.applied.get(origin) ?? 0n);
    const cap = this.peers.get(origin)?.ackCap;
    w.varint(this.durableU.size);
    for (const [o, u] of this.durableU) {
      const c = cap ? (cap.get(o) ?? 0n) : u;
      w.varint(o);
      w.u64(u < c ? u : c);
    }
    w.latin1(this.peersString());
    const lost = this.node.seqs.lostUuids;
    w.varint(lost.length);
    for (const [lo, hi] of lost) {
      w.u64(lo);
      w.u64(hi);
    }
    w.latin1(this.members.format());
    return frame(F.ACK, w.result());
  }

  peersString(): string {
    return [...this.peers.values()].map((p) => `${p.id}@${p.host}:${p.port}`).join(',');
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

  /** in-flight verifications (capped) and recent failures (id -> ms, a cool-down) */
  private readonly verifying = new Set<number>();
  private readonly verifyFailed = new Map<number, number>();

  /**
   * Dials `host:port` (or the peer_addrs override for `id`) with a probe handshake; only if
   * the node found there is `id` does it become a replica (or move to that address). A
   * forged handshake or gossip entry naming a dead or foreign address therefore adds
   * nothing: no peer, nothing persisted, no link, no effect on tombstone GC.
   */
  verifyCandidate(id: number, host: string, port: number, alias: string): void {
    if (this.stopped || id === this.node.cfg.nodeId || this.members.isOut(id) || this.selfOut || this.verifying.has(id)) return;
    if (this.verifying.size >= VERIFY_INFLIGHT_MAX) return;
    const failedAt = this.verifyFailed.get(id);
    if (failedAt !== undefined && Date.now() - failedAt < VERIFY_COOLDOWN_MS) return;
    this.verifying.add(id);
    const addr = this.dialOverrides.get(id) ?? { host, port };
    void PeerLink.probe(this, addr.host, addr.port, VERIFY_TIMEOUT_MS).then(
      (found) => {
        this.verifying.delete(id);
        if (found.id !== id) throw new Error(`found node ${found.id} there`);
        this.verifyFailed.delete(id);
        if (this.stopped || this.members.isOut(id)) return;
        this.stats.candidatesVerified++;
        this.addPeer(id, host, port, alias || found.alias);
      },
    ).catch((e: Error) => {
      this.verifying.delete(id);
      this.stats.candidatesRefused++;
      if (this.verifyFailed.size >= 1024) this.verifyFailed.clear();
      this.verifyFailed.set(id, Date.now());
      this.log.warn({ node: id, addr: `${host}:${port}`, err: e.message }, 'not adding an unverified replica');
    });
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
    this.settleWaiters();
  }

  private heartbeat(): void {
    for (const p of this.peers.values()) p.link?.heartbeat();
  }

  /**
   * Tombstone GC: a dot (n, u) is stable when we and every known replica have applied n's
   * ops up to u and made them durable (snapshot), so no replica can ever hold the removed
   * add without its removal again. Dots in a range n lost in a crash are never stable: the
   * claims skip over them (n's later ops have higher uuids) while some replicas lack them.
   */
  gc(): void {
    if (this.inboundFullSyncs > 0) return;
    const peers = [...this.peers.values()];
    const self = this.node.cfg.nodeId;
    const stable = (n: number, u: bigint): boolean => {
      // a forgotten node sends no more ops and drops its state if it rejoins: its dots are
      // settled by the remover's own dot in the same removal (still checked below)
      if (n !== self && this.members.isOut(n)) return true;
      // a dot its origin may have lost in a crash: replicas that never got it claim past it
      if (inLostRange(n === self ? this.node.seqs.lostUuids : (this.peers.get(n)?.lostUuids ?? []), u)) return false;
      if ((this.durableU.get(n) ?? 0n) < u) return false;
      for (const p of peers) if ((p.appliedU.get(n) ?? 0n) < u) return false;
      return true;
    };
    this.node.db.gc(stable);
  }

  countAcked(seq: bigint): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.ackedSeq >= seq) n++;
    return n;
  }

  wait(numReplicas: number, timeoutMs: number, _lastWrite: bigint): Promise<number> {
    // every write of this client has a seq <= the current one
    const seq = this.node.ownSeq;
    const now = this.countAcked(seq);
    if (now >= numReplicas || this.peers.size === 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const w: (typeof this.waiters)[number] = { seq, n: numReplicas, resolve };
      if (timeoutMs > 0) {
        w.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve(this.countAcked(seq));
        }, timeoutMs);
      }
      this.waiters.push(w);
    });
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((w) => {
      const n = this.countAcked(w.seq);
      if (n < w.n) return true;
      clearTimeout(w.timer);
      w.resolve(n);
      return false;
    });
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
