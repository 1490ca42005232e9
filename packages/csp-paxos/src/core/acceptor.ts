// The follower processor's core: a Paxos acceptor over all slots. It promises rounds (READ),
// accepts values with the round they were accepted in (IMPOSE / PROPOSE) and refuses stale
// leaders (NACK). Every change is a record the shell fsyncs before the reply leaves.
// An acceptor that lost its state starts `recovering`: it casts no vote (READ, IMPOSE and
// PROPOSE go unanswered) and answers nobody's RECOVER until it re-learned (see recovery.ts).
import { Recovery } from './recovery.js';
import { type AcceptorRecord, type CoreConfig, type Entry, type Input, type Msg, ProcessorBase } from './types.js';

export interface AcceptorState {
  promised: number;
  /** Indexed by slot. */
  accepted: Array<Entry | undefined>;
  /** A `recovered` record was seen: the state was re-learned after a loss and is whole. */
  recovered?: boolean;
}

/** Applies one durable record (records are applied in write order). */
export function applyRecord(st: AcceptorState, r: AcceptorRecord): void {
  if (r.t === 'p') st.promised = Math.max(st.promised, r.r);
  else if (r.t === 'r') {
    st.promised = Math.max(st.promised, r.floor);
    st.recovered = true;
  } else {
    const old = st.accepted[r.e.slot];
    if (!old || old.round <= r.e.round) st.accepted[r.e.slot] = r.e;
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
  readonly accepted: Array<Entry | undefined>;
  /** Set while the state is being re-learned; no vote is cast meanwhile. */
  recovery: Recovery | undefined;
  /** Every node's incarnation as far as this node knows (sent on GATHER / ACK / STATE). */
  private readonly incs: number[];

  constructor(cfg: CoreConfig, state: AcceptorState = { promised: -1, accepted: [] }, recovering = false) {
    super();
    this.cfg = cfg;
    this.promised = state.promised;
    this.accepted = state.accepted;
    this.incs = new Array<number>(cfg.n).fill(0);
    this.incs[cfg.id] = cfg.incarnation;
    if (recovering) this.recovery = new Recovery(cfg.id, cfg.n, cfg.retryMs);
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
    if (input.kind !== 'net') return;
    const msg = input.msg;
    if (msg.type === 'STATE') {
      this.onState(msg);
      return;
    }
    if (this.recovery) return;
    if (msg.type === 'READ') this.onRead(msg);
    else if (msg.type === 'IMPOSE' || msg.type === 'PROPOSE') this.onAccept(msg);
    else if (msg.type === 'RECOVER') this.onRecover(msg);
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
    for (let s = Math.max(0, msg.seq); s < this.accepted.length; s++) {
      const e = this.accepted[s];
      if (e) entries.push(e);
    }
    this.reply(msg, 'GATHER', { entries });
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
      const old = this.accepted[e.slot];
      // A retransmission of what we already hold: it is durable (the shell persists a turn's
      // records before it handles the next turn), so just ACK again.
      if (old && old.round === msg.round && old.key === e.key) continue;
      const entry: Entry = e.data === undefined ? { slot: e.slot, round: msg.round, key: e.key } : { slot: e.slot, round: msg.round, key: e.key, data: e.data };
      this.accepted[e.slot] = entry;
      this.out.persist.push({ t: 'a', e: entry });
      accepted.push(entry);
    }
    this.reply(msg, 'ACK', { upTo: msg.upTo });
    if (accepted.length > 0) this.emit('consensus', { kind: 'accepted', entries: accepted });
  }

  /** One page of this (voting) acceptor's state for a recovering peer. */
  private onRecover(msg: Msg): void {
    const from = Math.max(0, msg.seq);
    const total = this.accepted.length;
    const upTo = Math.min(total, from + this.cfg.catchupEntriesMax);
    const entries: Entry[] = [];
    for (let s = from; s < upTo; s++) {
      const e = this.accepted[s];
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
      const old = this.accepted[e.slot];
      if (old && old.round >= e.round) continue;
      const entry: Entry = e.data === undefined ? { slot: e.slot, round: e.round, key: e.key } : { slot: e.slot, round: e.round, key: e.key, data: e.data };
      this.accepted[e.slot] = entry;
      this.out.persist.push({ t: 'a', e: entry });
    }
    this.promise(floor);
    this.out.persist.push({ t: 'r', floor });
    if (entries.length > 0) this.emit('consensus', { kind: 'accepted', entries });
    this.emit('router', { kind: 'recovered', floor });
  }
}
