// A constdb node for the deterministic simulation: the REAL pure core (Db, dispatch, the op
// codec, keyJoinInto via Db.join) behind a message protocol that mirrors the server shell
// at the level the core allows:
// - every local write delta (client commands, the active expire cycle) becomes an own op
//   (origin, seq), appended to the AOF and synced before the client gets its reply
//   (appendfsync always), kept in a bounded backlog and sent to every peer;
// - a receiver applies each origin's ops exactly once and in order (duplicates dropped);
//   a gap (an op past have+1, or a PING announcing a higher seq) asks the origin to resend
//   from have+1; the origin resends from its backlog, or streams a full snapshot when the
//   backlog no longer holds that position (the snapshot only moves `applied` forward);
// - tombstones are collected when causally stable (every replica's durable vector covers
//   the dots), the acks riding on the heartbeats;
// - a periodic snapshot (all records + applied vector + own seq + clock) is put and synced;
//   a crash loses everything applied from peers since then; restart loads the snapshot,
//   replays the AOF tail and catches up from peers through the gap protocol.
import type { SimContext, SimNode } from '@quorumkit/test-harness';
import { Db } from '../../src/core/db.js';
import { ReplyBuffer } from '../../src/core/encode.js';
import { dispatch } from '../../src/core/commands.js';
import type { Session } from '../../src/core/context.js';
import { Reader, Writer, decodeOp, encodeOp, maxUuid, readKeyRec, writeKeyRec } from '../../src/core/codec.js';
import type { KeyRec } from '../../src/core/keyrec.js';
import { hooks } from '../helpers.js';

export type Msg =
  | { t: 'op'; inc: number; seq: number; op: string }
  /**
   * heartbeat: the origin's own seq (gap detection), its durable applied-uuid vector (the ack
   * GC uses) and the seq ranges it may have sent and then lost in crashes (the handshake's)
   */
  | { t: 'ping'; inc: number; seq: number; du: Array<[number, string]>; lost: Array<[number, number]>; lostU: Array<[string, string]> }
  | { t: 'resend'; from: number }
  /** a full sync from the sender's durable snapshot; `gen` answers a pending full-sync obligation */
  | { t: 'snap'; inc: number; n: number; seq: number; clock: string; data: string; gen: number }
  /** the receiver made snap `n` durable */
  | { t: 'snapdone'; n: number; gen: number };

/** The never-reused seq ceiling (the server's constdb.seq file). */
interface Ceiling {
  c: number;
  /** counter epoch of the current life: a restart that jumped takes its first seq (as the server does) */
  e?: number;
  /** own uuids reserved up to here (a lost op's uuid is at most this) */
  u: bigint;
  lost: Array<[number, number]>;
  /** the uuids of the lost seq ranges: no dot in them is ever stable (tombstone GC) */
  lostU: Array<[bigint, bigint]>;
}

interface Durable {
  data: string;
  applied: Array<[number, number]>;
  ownSeq: number;
  clock: string;
  /** appliedU as of this snapshot (own entry: the clock): what peers may count as durable here */
  du: Array<[number, string]>;
}

export const BACKLOG = 40;
export const TIME_BASE = 1_000_000;
/** seqs reserved per durable ceiling write when own ops are not synced one by one */
export const SEQ_BLOCK = 6;
/** uuids reserved per durable ceiling write: 200 ms of the clock */
export const UUID_BLOCK = 200n << 22n;
/** a fresh (or wiped) node starts numbering here, above anything an earlier life issued */
const timeBase = (nowMs: number): number => nowMs * 64;
const LOST_RANGES_MAX = 64;

function encodeAll(db: Db): string {
  const w = new Writer();
  w.varint(db.keys.size);
  for (const [k, rec] of db.keys) {
    w.latin1(k);
    writeKeyRec(w, rec);
  }
  return w.buf.subarray(0, w.len).toString('hex');
}

function decodeAll(hex: string): Array<[string, KeyRec]> {
  const r = new Reader(Buffer.from(hex, 'hex'));
  const out: Array<[string, KeyRec]> = [];
  for (let n = r.varint(); n > 0; n--) out.push([r.latin1(), readKeyRec(r)]);
  if (!r.done) throw new Error('trailing bytes in snapshot');
  return out;
}

export class ConstdbSimNode implements SimNode<Msg> {
  readonly db: Db;
  ownSeq = 0;
  readonly applied = new Map<number, number>();
  /** origin -> max uuid applied from it; durableU: the same as of the last durable snapshot */
  private readonly appliedU = new Map<number, bigint>();
  private durableU = new Map<number, bigint>();
  /** peer -> its durableU (from its last heartbeat) */
  private readonly peerDu = new Map<number, Map<number, bigint>>();
  /** own ops still resendable: seq -> encoded op */
  private readonly backlog = new Map<number, string>();
  private readonly lastResend = new Map<number, number>();
  /** peer -> the incarnation we handshook with (a connection's identity in the server) */
  private readonly peerInc = new Map<number, number>();
  /** durable seq ceiling and the ranges lost in earlier crashes */
  private ceil: Ceiling = { c: 0, u: 0n, lost: [], lostU: [] };
  /** peer -> the uuid ranges it lost (from its pings): never stable */
  private readonly peerLostU = new Map<number, Array<[bigint, bigint]>>();
  /** peer -> generation of the full sync it is owed (persisted; cleared by its snapdone) */
  private readonly owed = new Map<number, number>();
  private owedGen = 0;
  private readonly lastSnapSent = new Map<number, number>();
  /** snaps sent by this life (their `n`), and per peer the last (inc, n) accepted from it */
  private snapsSentN = 0;
  private readonly snapSeen = new Map<number, [number, number]>();
  /**
   * Per peer, the durable vectors claimed when our unconfirmed snaps to it were taken. Our
   * pings to that peer claim no more than the oldest of them until its snapdone (or until it
   * can no longer arrive): a snap taken before a removal must not reach a peer that has
   * already collected the removal's tombstone on the strength of a later claim of ours.
   * (The server does the same with its acks while a full sync is streaming.)
   */
  private readonly snapCaps = new Map<number, Array<{ n: number; at: number; du: Map<number, bigint> }>>();
  private readonly out = new ReplyBuffer();
  private readonly sess: Session = { id: 1, authed: true, lastWrite: 0n };
  readonly stats = { gaps: 0, dups: 0, snapsSent: 0, snapsRecv: 0, resent: 0, collected: 0, jumps: 0, owed: 0 };

  constructor(
    private readonly ctx: SimContext<Msg>,
    private readonly opts: { gc: boolean; fsync: 'always' | 'snapshot' } = { gc: true, fsync: 'always' },
  ) {
    this.db = new Db(ctx.id);
    this.recover();
    this.db.emit = (key, delta) => this.ownOp(key, delta);
  }

  now(): number {
    return TIME_BASE + this.ctx.now();
  }

  private uuidCeiling(): bigint {
    const nowU = BigInt(this.now()) << 22n;
    return (this.db.clock.current > nowU ? this.db.clock.current : nowU) + UUID_BLOCK;
  }

  /** Own ops are durable before they leave (appendfsync always): no seq can be lost once sent. */
  private get exact(): boolean {
    return this.opts.fsync === 'always';
  }

  private recover(): void {
    const st = this.ctx.storage;
    const snap = st.get<Durable>('snap');
    if (snap) {
      for (const [k, rec] of decodeAll(snap.data)) this.db.join(k, rec);
      for (const [o, s] of snap.applied) this.applied.set(o, s);
      this.ownSeq = snap.ownSeq;
      this.db.clock.observe(BigInt(snap.clock));
      this.durableU = new Map(snap.du.map(([n, u]) => [n, BigInt(u)]));
      for (const [n, u] of this.durableU) if (n !== this.ctx.id) this.appliedU.set(n, u);
    }
    const aof = st.keys('aof/').sort();
    for (const k of aof) {
      const hex = st.get<string>(k)!;
      const op = decodeOp(Buffer.from(hex, 'hex'));
      const seq = Number(op.seq);
      this.backlog.set(seq, hex);
      if (seq <= this.ownSeq) continue;
      // seqs jump at a restart that may have lost ops (the ceiling), so the AOF only ascends
      this.db.clock.observe(maxUuid(op.delta));
      this.db.join(op.key, op.delta);
      this.ownSeq = seq;
    }
    // Never reuse a seq: start above every seq an earlier life may have issued (and sent).
    // Without a ceiling record (first start, wiped disk) that is a time-based base.
    const saved = st.get<Ceiling>('ceil');
    const recovered = this.ownSeq;
    const floor = saved ? saved.c : Math.max(recovered, timeBase(this.now()));
    this.ceil = saved ?? { c: 0, u: 0n, lost: [], lostU: [] };
    if (floor > recovered) {
      this.ownSeq = floor + 1; // a position no op has: a peer there is past the lost range
      // the lost ops' uuids lie above what we recovered and at most the reserved uuid
      // ceiling (without a record: below the wall clock); new uuids start above them
      const uLo = this.db.clock.current;
      const nowU = BigInt(this.now()) << 22n;
      const uHi = saved ? (saved.u > uLo ? saved.u : uLo) : nowU > uLo ? nowU : uLo;
      this.db.clock.observe(uHi);
      this.ceil.lost.push([recovered, floor]);
      this.ceil.lostU.push([uLo, uHi]);
      if (this.ceil.lost.length > LOST_RANGES_MAX) {
        this.ceil.lost.shift();
        this.ceil.lostU.shift();
      }
      this.backlog.clear();
      this.stats.jumps++;
      this.ceil.e = this.ownSeq;
    }
    this.db.epoch = BigInt(this.ceil.e ?? 0);
    this.ceil.c = this.exact ? this.ownSeq : this.ownSeq + SEQ_BLOCK;
    this.ceil.u = this.uuidCeiling();
    st.put('ceil', this.ceil);
    const flags = st.get<{ gen: number; owed: Array<[number, number]> }>('owed');
    if (flags) {
      this.owedGen = flags.gen;
      for (const [p, g] of flags.owed) this.owed.set(p, g);
    }
    st.sync();
    this.ctx.log(`n${this.ctx.id} recovered inc=${this.ctx.incarnation} ownSeq=${this.ownSeq} (from ${recovered}) owed=${JSON.stringify([...this.owed])} applied=${JSON.stringify([...this.applied])} keys=${this.db.keys.size}`);
  }

  onStart(): void {
    const ping = () => {
      const lostU = this.ceil.lostU.map(([a, b]): [string, string] => [String(a), String(b)]);
      for (let p = 0; p < this.ctx.nodes; p++) {
        if (p !== this.ctx.id) this.ctx.send(p, { t: 'ping', inc: this.ctx.incarnation, seq: this.ownSeq, du: this.claimsFor(p), lost: this.ceil.lost, lostU });
      }
      // full syncs still owed (the snap or its snapdone may have been dropped): send again
      for (const p of this.owed.keys()) if (this.ctx.now() - (this.lastSnapSent.get(p) ?? -1e9) >= 100) this.sendSnap(p);
      this.ctx.setTimer(40 + Math.floor(this.ctx.random() * 20), ping);
    };
    ping();
    const snap = () => {
      this.snapshot();
      this.ctx.setTimer(100 + Math.floor(this.ctx.random() * 100), snap);
    };
    this.ctx.setTimer(100 + Math.floor(this.ctx.random() * 100), snap);
    const expire = () => {
      this.db.expireCycle(this.now(), 20);
      this.ctx.setTimer(50, expire);
    };
    this.ctx.setTimer(50, expire);
    const gc = () => {
      this.gc();
      this.ctx.setTimer(100, gc);
    };
    if (this.opts.gc) this.ctx.setTimer(100, gc);
  }

  /**
   * Tombstone GC as the server does it: a dot (n, u) is stable when this node and every
   * replica have durably applied n's ops up to u (the acks carry durable vectors).
   */
  gc(): void {
    const lost = (n: number, u: bigint): boolean =>
      (n === this.ctx.id ? this.ceil.lostU : (this.peerLostU.get(n) ?? [])).some(([lo, hi]) => u > lo && u <= hi);
    const stable = (n: number, u: bigint): boolean => {
      // a dot its origin may have lost: a replica that missed it can claim past it
      if (lost(n, u)) return false;
      if ((this.durableU.get(n) ?? 0n) < u) return false;
      for (let p = 0; p < this.ctx.nodes; p++) {
        if (p === this.ctx.id) continue;
        if ((this.peerDu.get(p)?.get(n) ?? 0n) < u) return false;
      }
      return true;
    };
    this.stats.collected += this.db.gc(stable);
  }

  private bumpU(origin: number, u: bigint): void {
    if (u > (this.appliedU.get(origin) ?? 0n)) this.appliedU.set(origin, u);
  }

  private broadcast(msg: Msg): void {
    for (let p = 0; p < this.ctx.nodes; p++) if (p !== this.ctx.id) this.ctx.send(p, msg);
  }

  /** A local write: durable (AOF, synced) before the client's reply, then replicated. */
  private ownOp(key: string, delta: KeyRec): void {
    const seq = ++this.ownSeq;
    if (!this.exact && (seq > this.ceil.c || maxUuid(delta) > this.ceil.u)) {
      // reserve the next blocks durably before any of their seqs or uuids can be sent
      this.ceil.c = seq + SEQ_BLOCK - 1;
      this.ceil.u = this.uuidCeiling();
      this.ctx.storage.put('ceil', this.ceil);
      this.ctx.storage.sync();
    }
    const hex = encodeOp(BigInt(seq), key, delta).toString('hex');
    this.ctx.storage.put(`aof/${String(seq).padStart(10, '0')}`, hex);
    if (this.opts.fsync === 'always') this.ctx.storage.sync();
    this.backlog.set(seq, hex);
    this.backlog.delete(seq - BACKLOG);
    this.broadcast({ t: 'op', inc: this.ctx.incarnation, seq, op: hex });
  }

  /** Periodic snapshot: everything durable at once, then the AOF it covers is dropped. */
  snapshot(): void {
    const st = this.ctx.storage;
    const du = new Map(this.appliedU);
    du.set(this.ctx.id, this.db.clock.current);
    const d: Durable = { data: encodeAll(this.db), applied: [...this.applied], ownSeq: this.ownSeq, clock: String(this.db.clock.current), du: [...du].map(([n, u]) => [n, String(u)]) };
    st.put('snap', d);
    for (const k of st.keys('aof/')) if (Number(k.slice(4)) <= this.ownSeq) st.del(k);
    st.sync();
    this.durableU = du;
  }

  /** A client command through the real dispatcher; returns the raw RESP reply. */
  exec(args: string[]): string {
    const r = dispatch({ db: this.db, now: this.now(), out: this.out, sess: this.sess, server: hooks }, args.map((a) => Buffer.from(a, 'latin1')));
    if (r) throw new Error('async command in simulation');
    return this.out.take().toString('latin1');
  }

  onMessage(from: number, msg: Msg): void {
    if (msg.t === 'op') {
      // only ops of the incarnation we handshook with (a dead process's connection is gone;
      // a new one's ops wait for its handshake)
      if (msg.inc !== (this.peerInc.get(from) ?? 0)) return;
      const have = this.applied.get(from) ?? 0;
      if (msg.seq <= have) {
        this.stats.dups++;
        return;
      }
      if (msg.seq !== have + 1) return this.gap(from, have, msg.seq);
      const op = decodeOp(Buffer.from(msg.op, 'hex'));
      if (Number(op.seq) !== msg.seq) throw new Error('op seq mismatch');
      this.db.clock.observe(maxUuid(op.delta));
      this.db.join(op.key, op.delta);
      this.applied.set(from, msg.seq);
      this.bumpU(from, maxUuid(op.delta));
    } else if (msg.t === 'ping') {
      const known = this.peerInc.get(from) ?? 0;
      if (msg.inc < known) return;
      if (msg.inc > known) {
        // the handshake of a (re)started peer: if we hold ops it may have lost (our position
        // lies in one of its lost ranges), it and every replica that missed them get our
        // state from us; the obligation is durable before we go on
        this.peerInc.set(from, msg.inc);
        const a = this.applied.get(from) ?? 0;
        if (msg.lost.some(([lo, hi]) => a > lo && a <= hi)) {
          this.ctx.log(`n${this.ctx.id}: n${from} may have lost ops up to ${a} we hold: full sync to every replica`);
          this.oweEveryone();
        }
      }
      this.peerDu.set(from, new Map(msg.du.map(([n, u]) => [n, BigInt(u)])));
      this.peerLostU.set(from, msg.lostU.map(([a, b]) => [BigInt(a), BigInt(b)]));
      const have = this.applied.get(from) ?? 0;
      if (have < msg.seq) this.gap(from, have, msg.seq);
    } else if (msg.t === 'resend') {
      if (msg.from > this.ownSeq) return;
      if (this.backlog.has(msg.from)) {
        for (let s = msg.from; s <= this.ownSeq; s++) {
          const op = this.backlog.get(s);
          if (op === undefined) throw new Error(`backlog hole at ${s}`);
          this.ctx.send(from, { t: 'op', inc: this.ctx.incarnation, seq: s, op });
          this.stats.resent++;
        }
      } else {
        this.sendSnap(from);
      }
    } else if (msg.t === 'snapdone') {
      const caps = this.snapCaps.get(from);
      if (caps) this.snapCaps.set(from, caps.filter((c) => c.n > msg.n));
      if (msg.gen > 0 && this.owed.get(from) === msg.gen) {
        this.owed.delete(from);
        this.persistOwed();
      }
    } else {
      // one connection per sender life delivers in order and once: an older or repeated
      // snap is what TCP would never hand over
      // and only after the handshake of that life (the server streams a full sync on the
      // link whose handshake carried the lost ranges): applied must not jump past a lost
      // range before we had the chance to see that we hold ops in it
      if (msg.inc !== (this.peerInc.get(from) ?? 0)) return;
      const seen = this.snapSeen.get(from);
      if (seen && (msg.inc < seen[0] || (msg.inc === seen[0] && msg.n <= seen[1]))) {
        this.stats.dups++;
        return;
      }
      this.snapSeen.set(from, [msg.inc, msg.n]);
      this.stats.snapsRecv++;
      for (const [k, rec] of decodeAll(msg.data)) {
        this.db.clock.observe(maxUuid(rec));
        this.db.join(k, rec);
      }
      this.db.clock.observe(BigInt(msg.clock));
      if (msg.seq > (this.applied.get(from) ?? 0)) this.applied.set(from, msg.seq);
      this.bumpU(from, BigInt(msg.clock));
      // durable before the sender may drop its obligation
      this.snapshot();
      this.ctx.send(from, { t: 'snapdone', n: msg.n, gen: msg.gen });
    }
  }

  /** Every replica (the restarted one too) is owed our full state; durable at once. */
  private oweEveryone(): void {
    this.owedGen++;
    for (let p = 0; p < this.ctx.nodes; p++) if (p !== this.ctx.id) this.owed.set(p, this.owedGen);
    this.stats.owed++;
    this.persistOwed();
    for (const p of this.owed.keys()) this.sendSnap(p);
  }

  private persistOwed(): void {
    this.ctx.storage.put('owed', { gen: this.owedGen, owed: [...this.owed] });
    this.ctx.storage.sync();
  }

  /** A full sync from durable state (snapshot first), as the server streams its snapshot file. */
  private sendSnap(to: number): void {
    const claimed = new Map(this.durableU);
    this.snapshot();
    const d = this.ctx.storage.get<Durable>('snap')!;
    this.stats.snapsSent++;
    this.lastSnapSent.set(to, this.ctx.now());
    const n = ++this.snapsSentN;
    const caps = this.snapCaps.get(to) ?? [];
    caps.push({ n, at: this.ctx.now(), du: claimed });
    this.snapCaps.set(to, caps);
    this.ctx.send(to, { t: 'snap', inc: this.ctx.incarnation, n, seq: d.ownSeq, clock: d.clock, data: d.data, gen: this.owed.get(to) ?? 0 });
  }

  /** Our durable vector as claimed to peer p (capped while a snap to it may still arrive). */
  private claimsFor(p: number): Array<[number, string]> {
    // the network delivers or drops a message within its 25 ms delay bound
    const caps = (this.snapCaps.get(p) ?? []).filter((c) => this.ctx.now() - c.at <= 100);
    this.snapCaps.set(p, caps);
    const cap = caps[0]?.du;
    return [...this.durableU].map(([n, u]) => {
      const c = cap ? (cap.get(n) ?? 0n) : u;
      return [n, String(u < c ? u : c)];
    });
  }

  private gap(from: number, have: number, seen: number): void {
    this.stats.gaps++;
    const last = this.lastResend.get(from);
    if (last !== undefined && this.ctx.now() - last < 25) return;
    this.lastResend.set(from, this.ctx.now());
    this.ctx.log(`n${this.ctx.id} gap from ${from}: have ${have}, saw ${seen}: resend`);
    this.ctx.send(from, { t: 'resend', from: have + 1 });
  }
}
