// The follower processor's core: a Paxos acceptor over all slots. It promises rounds (READ),
// accepts values with the round they were accepted in (IMPOSE / PROPOSE) and refuses stale
// leaders (NACK). Every change is a record the shell fsyncs before the reply leaves.
import { type AcceptorRecord, type CoreConfig, type Entry, type Input, type Msg, ProcessorBase } from './types.js';

export interface AcceptorState {
  promised: number;
  /** Indexed by slot. */
  accepted: Array<Entry | undefined>;
}

/** Rebuild the acceptor's state from its durable records, in write order. */
export function replayAcceptor(records: Iterable<AcceptorRecord>): AcceptorState {
  const st: AcceptorState = { promised: -1, accepted: [] };
  for (const r of records) {
    if (r.t === 'p') st.promised = Math.max(st.promised, r.r);
    else {
      const old = st.accepted[r.e.slot];
      if (!old || old.round <= r.e.round) st.accepted[r.e.slot] = r.e;
      st.promised = Math.max(st.promised, r.e.round);
    }
  }
  return st;
}

export class Acceptor extends ProcessorBase {
  private readonly cfg: CoreConfig;
  promised: number;
  readonly accepted: Array<Entry | undefined>;

  constructor(cfg: CoreConfig, state: AcceptorState = { promised: -1, accepted: [] }) {
    super();
    this.cfg = cfg;
    this.promised = state.promised;
    this.accepted = state.accepted;
  }

  handle(input: Input): void {
    if (input.kind !== 'net') return;
    const msg = input.msg;
    if (msg.type === 'READ') this.onRead(msg);
    else if (msg.type === 'IMPOSE' || msg.type === 'PROPOSE') this.onAccept(msg);
  }

  private reply(to: Msg, type: Msg['type'], extra: Partial<Msg> = {}): void {
    this.out.net.push({ type, from: this.cfg.id, to: to.from, round: to.round, seq: to.seq, ...extra });
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
}
