// The follower processor's core: a Paxos acceptor over all slots. It promises rounds (READ),
// accepts values with the round they were accepted in (IMPOSE / PROPOSE) and refuses stale
// leaders (NACK). Every change is a record the shell fsyncs before the reply leaves.
// An acceptor that lost its state starts `recovering`: it casts no vote (READ, IMPOSE and
// PROPOSE go unanswered) and answers nobody's RECOVER until it re-learned (see recovery.ts).
import { Recovery } from './recovery.js';
import { type AcceptorRecord, type CoreConfig, type Entry, type Input, type Msg, ProcessorBase, leaderOf } from './types.js';

export interface AcceptorState {
  promised: number;
  /** Indexed by slot - base. */
  accepted: Array<Entry | undefined>;
  /** Slots below this are chosen and forgotten (compaction); 0 when never compacted. */
  base?: number;
  /** A `recovered` record was seen: the state was re-learned after a loss and is whole. */
  recovered?: boolean;
}

/** Applies one durable record (records are applied in write order). */
export function applyRecord(st: AcceptorState, r: AcceptorRecord): void {
  const base = st.base ?? 0;
  if (r.t === 'c') {
    if (r.base > base) {
      st.accepted = st.accepted.slice(r.base - base);
      st.base = r.base;
    }
    return;
  }
  if (r.t === 'p') st.promised = Math.max(st.promised, r.r);
  else if (r.t === 'r') {
    st.promised = Math.max(st.promised, r.floor);
    st.recovered = true;
  } else {
    if (r.e.slot >= base) {
      const old = st.accepted[r.e.slot - base];
      if (!old || old.round <= r.e.round) st.accepted[r.e.slot - base] = r.e;
    }
    st.promised = Math.max(st.promised, r.e.round);
  }
}

/** Rebuild the acceptor's state from its durable records, in write order. */
export function replayAcceptor(records: Iterable<AcceptorRecord>): AcceptorState {
  const st: AcceptorState = { promised: -1, accepted: [] };
  for (const r of records) applyRecord(st, r);
  return st;
}

export class Acceptor extends ProcessorBase {
  private readonly cfg: CoreConfig;
  promised: number;
  /** Indexed by slot - base; use at() / put(). */
  private accepted: Array<Entry | undefined>;
  /** Slots below this are chosen and forgotten (compacted). */
  base: number;
  /** Set while the state is being re-learned; no vote is cast meanwhile. */
  recovery: Recovery | undefined;
  /** Every node's incarnation as far as this node knows (sent on GATHER / ACK / STATE). */
  private readonly incs: number[];

  constructor(cfg: CoreConfig, state: AcceptorState = { promised: -1, accepted: [] }, recovering = false) {
    super();
    this.cfg = cfg;
    this.promised = state.promised;
    this.accepted = state.accepted;
    this.base = state.base ?? 0;
    this.incs = new Array<number>(cfg.n).fill(0);
    this.incs[cfg.id] = cfg.incarnation;
    if (recovering) this.recovery = new Recovery(cfg.id, cfg.n, cfg.retryMs);
  }

  /** The entry accepted for `slot` (undefined below the base: forgotten). */
  at(slot: number): Entry | undefined {
    return slot < this.base ? undefined : this.accepted[slot - this.base];
  }

  /** One past the highest slot this acceptor holds anything for. */
  get end(): number {
    return this.base + this.accepted.length;
  }

  private put(e: Entry): void {
    this.accepted[e.slot - this.base] = e;
  }

  /** The durable form of this state (a compacted log's whole content, in replay order). */
  *snapshot(): Generator<AcceptorRecord> {
    yield { t: 'c', base: this.base };
    yield { t: 'p', r: this.promised };
    for (const e of this.accepted) if (e) yield { t: 'a', e };
  }

  get recovering(): boolean {
    return this.recovery !== undefined;
  }

  handle(input: Input, nowMs = 0): void {
    if (input.kind === 'fence') {
      this.incs[input.node] = Math.max(this.incs[input.node] ?? 0, input.inc);
      this.recovery?.restartPeer(input.node);
      return;
    }
    if (input.kind === 'tick') {
      if (this.recovery) this.out.net.push(...this.recovery.tick(nowMs));
      return;
    }
    if (input.kind === 'compact') {
      this.compact(input.below);
      return;
    }
    if (input.kind !== 'net') return;
    const msg = input.msg;
    if (msg.type === 'STATE') {
      this.onState(msg);
      return;
    }
    if (this.recovery) return;
    if (msg.type === 'READ') this.onRead(msg);
    else if (msg.type === 'IMPOSE' || msg.type === 'PROPOSE') this.onAccept(msg);
    else if (msg.type === 'HANDOVER') this.onHandover(msg);
    else if (msg.type === 'RECOVER') this.onRecover(msg);
  }

  /**
   * Forget the slots below `below` (this node committed them, so they are chosen). A READ from
   * below the base is answered with `base`: the leader then reads only from there on (the
   * slots below are chosen and its learner fetches them), so a forgotten slot is never taken
   * for an empty one.
   */
  private compact(below: number): void {
    if (this.recovery || !Number.isSafeInteger(below) || below <= this.base) return;
    const cut = Math.min(below, this.end);
    if (cut <= this.base) return;
    this.accepted = this.accepted.slice(cut - this.base);
    this.base = cut;
    this.out.compact = cut;
  }

  private reply(to: Msg, type: Msg['type'], extra: Partial<Msg> = {}): void {
    this.out.net.push({ type, from: this.cfg.id, to: to.from, round: to.round, seq: to.seq, incs: [...this.incs], ...extra });
  }

  private promise(round: number): void {
    if (round > this.promised) {
      this.promised = round;
      this.out.persist.push({ t: 'p', r: round });
    }
  }

  private onRead(msg: Msg): void {
    if (msg.round < this.promised) {
      this.reply(msg, 'NACK', { round: this.promised });
      return;
    }
    this.promise(msg.round);
    const entries: Entry[] = [];
    for (let s = Math.max(0, msg.seq, this.base); s < this.end; s++) {
      const e = this.at(s);
      if (e) entries.push(e);
    }
    this.reply(msg, 'GATHER', this.base > msg.seq ? { entries, base: this.base } : { entries });
  }

  /**
   * A leader handed its round on to `msg.round` right after its last batch: promise that round
   * now, in the same group commit as the batch, and answer its leader as if it had sent READ
   * (it broadcasts READ too; those answers cost no write once this promise is made). The
   * answer starts at `msg.seq` and names it as `base`, like a compacted acceptor's: every slot
   * below it is chosen, so the new leader reads and proposes only above it. Promising a higher
   * round is always safe for an acceptor; an older or equal round changes nothing.
   */
  private onHandover(msg: Msg): void {
    if (msg.round <= this.promised || !Number.isSafeInteger(msg.seq) || msg.seq < 0) return;
    this.promise(msg.round);
    const from = Math.max(msg.seq, this.base);
    const entries: Entry[] = [];
    for (let s = from; s < this.end; s++) {
      const e = this.at(s);
      if (e) entries.push(e);
    }
    this.out.net.push({ type: 'GATHER', from: this.cfg.id, to: leaderOf(msg.round, this.cfg.n), round: msg.round, seq: from, base: from, entries, incs: [...this.incs] });
  }

  private onAccept(msg: Msg): void {
    if (msg.round < this.promised) {
      this.reply(msg, 'NACK', { round: this.promised });
      return;
    }
    this.promise(msg.round);
    const accepted: Entry[] = [];
    for (const e of msg.entries ?? []) {
      if (!Number.isSafeInteger(e.slot) || e.slot < 0 || typeof e.key !== 'string') continue;
      // Below the base the slot is chosen; a leader only sends the chosen value there (its read
      // met this node or one that kept the slot), so acknowledging without keeping it is sound.
      if (e.slot < this.base) continue;
      const old = this.at(e.slot);
      // A retransmission of what we already hold: it is durable (the shell persists a turn's
      // records before it handles the next turn), so just ACK again.
      if (old && old.round === msg.round && old.key === e.key) continue;
      const entry: Entry = e.data === undefined ? { slot: e.slot, round: msg.round, key: e.key } : { slot: e.slot, round: msg.round, key: e.key, data: e.data };
      this.put(entry);
      this.out.persist.push({ t: 'a', e: entry });
      accepted.push(entry);
    }
    this.reply(msg, 'ACK', { upTo: msg.upTo });
    if (accepted.length > 0) this.emit('consensus', { kind: 'accepted', entries: accepted });
  }

  /** One page of this (voting) acceptor's state for a recovering peer. */
  private onRecover(msg: Msg): void {
    const from = Math.max(0, msg.seq);
    const total = this.end;
    const upTo = Math.min(total, Math.max(from, this.base) + this.cfg.catchupEntriesMax);
    const entries: Entry[] = [];
    for (let s = Math.max(from, this.base); s < upTo; s++) {
      const e = this.at(s);
      if (e) entries.push(e);
    }
    this.reply(msg, 'STATE', { round: this.promised, seq: from, upTo: Math.max(from, upTo), total, entries });
  }

  private onState(msg: Msg): void {
    const rec = this.recovery;
    if (!rec) return;
    const next = rec.onState(msg);
    if (next) this.out.net.push(next);
    if (!rec.finished()) return;
    const { floor, entries } = rec.result();
    this.recovery = undefined;
    // Installed in ascending round order, then the floor promise, then the marker: replay of a
    // log cut anywhere in between still rebuilds a state that recovers again (no marker yet).
    for (const e of entries) {
      if (e.slot < this.base) continue;
      const old = this.at(e.slot);
      if (old && old.round >= e.round) continue;
      const entry: Entry = e.data === undefined ? { slot: e.slot, round: e.round, key: e.key } : { slot: e.slot, round: e.round, key: e.key, data: e.data };
      this.put(entry);
      this.out.persist.push({ t: 'a', e: entry });
    }
    this.promise(floor);
    this.out.persist.push({ t: 'r', floor });
    if (entries.length > 0) this.emit('consensus', { kind: 'accepted', entries });
    this.emit('router', { kind: 'recovered', floor });
  }
}
