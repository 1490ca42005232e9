// Anti-entropy: every `anti_entropy_interval_ms` a node sends its bucket digests
// (core/digest.ts) to one online replica, in turn, on its outbound link; the replica answers
// with its records of every bucket whose digest differs, and the node joins them (the CRDT
// join, as for a full sync). So a divergence from any cause — a path that lost an op, a
// forgotten node's write that reached one member — heals by itself: each node pulls what its
// replicas hold, and they pull from it in their own rounds.
//
// Only the replica's *current* records travel, on the same socket as its acks, so they
// always arrive before any later claim of it that could let the node collect a tombstone
// those records predate (a snapshot file would need the ack cap of full syncs).
import type { Socket } from 'node:net';
import { DIGEST_BYTES, keysOfBucket } from '../core/digest.js';
import { Reader, Writer, maxUuid, readKeyRec, writeKeyRec } from '../core/codec.js';
import { F, frame } from './replFrames.js';
import type { Replicator } from './replication.js';
import type { Peer } from './replPeer.js';

/** buckets answered per round at most (the rest are compared again next round) */
export const REPAIR_BUCKETS_MAX = 16;
const REPAIR_FRAME_BYTES = 256 * 1024;
const REFRESH_BUDGET = 2048;
const REPAIR_SLICE = 1024;

export interface AntiEntropyStats {
  rounds: number;
  /** ms timestamp of the last completed comparison, its peer and how many buckets differed */
  lastMs: number;
  lastPeer: number;
  lastDiffering: number;
  /** comparisons that found a difference, and records joined from repairs */
  roundsWithDiff: number;
  recordsRepaired: number;
  /** requests answered for replicas */
  answered: number;
}

export class AntiEntropy {
  readonly stats: AntiEntropyStats = { rounds: 0, lastMs: 0, lastPeer: 0, lastDiffering: 0, roundsWithDiff: 0, recordsRepaired: 0, answered: 0 };
  private timer: NodeJS.Timeout | undefined;
  private turn = 0;
  private round = 0;
  /** the round in flight: its peer and when it started (a lost answer is given up after a while) */
  private inflight: { round: number; peer: number; at: number; differing: number } | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly repl: Replicator) {}

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick(intervalMs), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Brings every digest up to date, a budget of keys per event-loop turn. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const db = this.repl.node.db;
      while (!db.digest.refresh(db.keys, REFRESH_BUDGET)) await new Promise((r) => setImmediate(r));
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async tick(intervalMs: number): Promise<void> {
    if (this.inflight && Date.now() - this.inflight.at < intervalMs * 4) return;
    // while a full sync is streaming in, digests differ for that reason alone
    if (this.repl.inboundFullSyncs > 0) return;
    const online = [...this.repl.peers.values()].filter((p) => p.link?.state === 'online');
    if (online.length === 0) return;
    const p = online[this.turn++ % online.length]!;
    await this.refresh();
    const round = ++this.round >>> 0;
    const w = new Writer(DIGEST_BYTES + 8);
    w.buf.writeUInt32LE(round, 0);
    w.len = 4;
    const d = this.repl.node.db.digest.encode();
    w.ensure(d.length);
    d.copy(w.buf, w.len);
    w.len += d.length;
    this.inflight = { round, peer: p.id, at: Date.now(), differing: 0 };
    p.link?.send(frame(F.DIGEST, w.result()));
  }

  /** A replica's DIGEST (we are the acceptor): answer with our records of the differing buckets. */
  async onDigest(sock: Socket, payload: Buffer): Promise<void> {
    const round = payload.readUInt32LE(0);
    const theirs = payload.subarray(4);
    await this.refresh();
    if (sock.destroyed) return;
    const db = this.repl.node.db;
    const differing = db.digest.differing(theirs);
    this.stats.answered++;
    const header = (): Writer => {
      const w = new Writer(64 * 1024);
      w.buf.writeUInt32LE(round, 0);
      w.len = 4;
      w.u8(0);
      w.varint(differing.length);
      return w;
    };
    let w = header();
    // each record is current when it is encoded (the join needs no cut across records); a
    // turn of the event loop every REPAIR_SLICE records keeps clients served
    let inSlice = 0;
    for (const b of differing.slice(0, REPAIR_BUCKETS_MAX)) {
      for (const key of keysOfBucket(db.scanIndex, b)) {
        if (++inSlice >= REPAIR_SLICE) {
          inSlice = 0;
          await new Promise((r) => setImmediate(r));
          if (sock.destroyed) return;
        }
        const rec = db.keys.get(key);
        if (!rec) continue;
        w.latin1(key);
        writeKeyRec(w, rec);
        if (w.len >= REPAIR_FRAME_BYTES) {
          sock.write(frame(F.REPAIR, w.result()));
          w = header();
        }
      }
    }
    w.buf[4] = 1; // the last frame of this answer
    sock.write(frame(F.REPAIR, w.result()));
  }

  /** Records a replica sent for our digest: joined like a full sync's. */
  onRepair(p: Peer, payload: Buffer): void {
    const r = new Reader(payload);
    const round = payload.readUInt32LE(0);
    r.pos = 4;
    const last = r.u8() === 1;
    const differing = r.varint();
    const db = this.repl.node.db;
    let n = 0;
    while (!r.done) {
      const key = r.latin1();
      const rec = readKeyRec(r);
      db.clock.observe(maxUuid(rec));
      db.join(key, rec);
      n++;
    }
    this.stats.recordsRepaired += n;
    if (n > 0) this.repl.node.stats.changesSinceSnapshot++;
    if (!last || this.inflight?.round !== round || this.inflight.peer !== p.id) return;
    this.inflight = undefined;
    this.stats.rounds++;
    this.stats.lastMs = Date.now();
    this.stats.lastPeer = p.id;
    this.stats.lastDiffering = differing;
    if (differing > 0) {
      this.stats.roundsWithDiff++;
      this.repl.log.info({ peer: p.id, buckets: differing }, 'anti-entropy: digests differed, records pulled');
    }
  }

  infoRows(now: number): Array<[string, string | number]> {
    const s = this.stats;
    return [
      ['anti_entropy_rounds', s.rounds],
      ['anti_entropy_last_peer', s.lastPeer],
      ['anti_entropy_last_ms_ago', s.lastMs ? now - s.lastMs : -1],
      ['anti_entropy_last_differing_buckets', s.lastDiffering],
      ['anti_entropy_rounds_with_difference', s.roundsWithDiff],
      ['anti_entropy_records_repaired', s.recordsRepaired],
      ['anti_entropy_requests_answered', s.answered],
    ];
  }
}
