// The TPaxos entry state machine: one Paxos instance (entity, entry) seen from one replica.
// records[i] is this replica's view of acceptor i; records[self] is its real, durable state.
// Pure and deterministic: inputs are messages and proposals, outputs are a record to persist
// and the messages that may leave only after that record is durable.
import {
  type EntryRecord, type PaxosCmd, type ProposalValue, EntryState, CmdResult,
  emptyRecord, copyRecord, sameRecord, nextBallot, preAuthBallot, majority,
} from './types.js';

export interface EntryConfig {
  acceptorId: number;
  acceptorNum: number;
  /** When false, accept messages of a normal ballot may leave while the local accept is being persisted. */
  localAcceptFirst?: boolean;
}

export interface Step {
  /** Own record to persist (null: nothing changed). */
  persist: EntryRecord | null;
  /** Messages that depend on `persist`: send them only after it is durable (unless sendWithPersist). */
  send: PaxosCmd[];
  /** The entry became chosen in this step. */
  chosen: boolean;
  /** Safe to send `send` concurrently with persisting (proposer's own accept of a normal ballot). */
  sendWithPersist: boolean;
}

function emptyStep(): Step {
  return { persist: null, send: [], chosen: false, sendWithPersist: false };
}

export class EntryMachine {
  readonly records: EntryRecord[];
  /** Own record as last made durable: the only own state that counts toward a quorum. */
  private durable: EntryRecord;
  /** Own record of the persist in flight (durable once `persisted()` is called). */
  private writing: EntryRecord | null = null;
  /**
   * This replica counted the quorum that made the entry chosen (rather than being told): it
   * is the one that tells the others (EntityCore's commit notice).
   */
  countedChosen = false;
  private pending: ProposalValue | null = null;
  private persisting = false;
  private readonly parked: PaxosCmd[] = [];
  private cmdSeq = 0n;
  private deferred: { value: ProposalValue; opts: { preAuth?: boolean } } | null = null;

  constructor(
    readonly cfg: EntryConfig,
    readonly entityId: bigint,
    readonly entry: bigint,
    own?: EntryRecord,
  ) {
    this.records = Array.from({ length: cfg.acceptorNum }, () => emptyRecord());
    if (own) this.records[cfg.acceptorId] = copyRecord(own);
    this.durable = copyRecord(this.records[cfg.acceptorId]!);
  }

  /** Own record as durable on disk (what peers may count as this replica's vote). */
  get durableOwn(): EntryRecord {
    return copyRecord(this.durable);
  }

  get own(): EntryRecord {
    return this.records[this.cfg.acceptorId]!;
  }

  get isPersisting(): boolean {
    return this.persisting;
  }

  get parkedCount(): number {
    return this.parked.length;
  }

  /** The value this replica is trying to get chosen, if any. */
  get pendingValue(): ProposalValue | null {
    return this.pending;
  }

  state(): EntryState {
    const o = this.own;
    if (o.chosen) return EntryState.Chosen;
    if (o.preparedNum > 0n && o.preparedNum === o.promisedNum) {
      if (o.acceptedNum === o.preparedNum) return EntryState.AcceptLocal;
      return this.promiseCount(o.preparedNum) >= majority(this.cfg.acceptorNum)
        ? EntryState.MajorityPromise
        : EntryState.PromiseLocal;
    }
    if (o.acceptedNum > 0n && o.acceptedNum === o.promisedNum) return EntryState.AcceptRemote;
    if (o.promisedNum > 0n) return EntryState.PromiseRemote;
    return EntryState.Normal;
  }

  /**
   * Start proposing `value`. With preAuth (this replica won the previous entry and its record
   * here is empty) the reserved ballot skips phase 1; otherwise phase 1 with a fresh ballot.
   */
  propose(value: ProposalValue, opts: { preAuth?: boolean } = {}): Step {
    if (this.own.chosen) return emptyStep();
    if (this.persisting) {
      // Persist-before-send: start once the in-flight record is durable.
      this.deferred = { value, opts };
      return emptyStep();
    }
    this.pending = { value: value.value, uuids: [...value.uuids] };
    const o = this.own;
    const pa = preAuthBallot(this.cfg.acceptorId);
    if (opts.preAuth && o.promisedNum === 0n && o.acceptedNum === 0n) {
      o.preparedNum = pa;
      o.promisedNum = pa;
      o.acceptedNum = pa;
      o.valueId = pa;
      o.value = value.value;
      o.uuids = [...value.uuids];
      // Without localAcceptFirst the accept leaves while it is being persisted, marked not
      // durable: acceptors take the proposal but do not count it as our vote (we may crash
      // before the write lands). Our vote counts here once durable (persisted()); acceptors
      // answer us only and never count votes of their own, so no announce is needed: we
      // count the quorum and tell them (commit notice). A replica that restarts
      // never reuses PreAuth for an entry it holds no record of (EntityCore), so the reserved
      // ballot never carries two values.
      return this.finish(true, { broadcast: true, sendWithPersist: this.cfg.localAcceptFirst === false });
    }
    return this.prepare(false);
  }

  /** Timeout: re-run phase 1 with a ballot above everything seen (keeps the pending value). */
  retry(): Step {
    if (this.own.chosen || this.pending === null) return emptyStep();
    return this.prepare(true);
  }

  /** Re-send own record to every peer (no state change), asking for a reply. */
  resend(): Step {
    const step = emptyStep();
    for (let j = 0; j < this.cfg.acceptorNum; j++) {
      if (j !== this.cfg.acceptorId) step.send.push(this.cmdTo(j, { quickRsp: true }));
    }
    return step;
  }

  /** A check-empty probe for this entry (read path): peers answer with their record. */
  checkEmptyProbe(): PaxosCmd[] {
    const out: PaxosCmd[] = [];
    for (let j = 0; j < this.cfg.acceptorNum; j++) {
      if (j !== this.cfg.acceptorId) out.push(this.cmdTo(j, { checkEmpty: true, quickRsp: true }));
    }
    return out;
  }

  private prepare(quickRsp: boolean): Step {
    const o = this.own;
    let top = 0n;
    for (const r of this.records) {
      if (r.promisedNum > top) top = r.promisedNum;
      if (r.preparedNum > top) top = r.preparedNum;
      if (r.acceptedNum > top) top = r.acceptedNum;
    }
    const b = nextBallot(this.cfg.acceptorId, this.cfg.acceptorNum, top);
    o.preparedNum = b;
    o.promisedNum = b;
    return this.finish(true, { broadcast: true, quickRsp, sendWithPersist: false });
  }

  /** Handle a PaxosCmd for this entry. While a persist is in flight the message is parked. */
  handle(cmd: PaxosCmd): Step {
    if (this.persisting) {
      this.parked.push(cmd);
      return emptyStep();
    }
    return this.process(cmd);
  }

  /** The last `persist` is durable: process parked messages (which may persist again). */
  persisted(): Step {
    this.persisting = false;
    if (this.writing) this.durable = this.writing;
    this.writing = null;
    if (this.deferred) {
      const d = this.deferred;
      this.deferred = null;
      const s = this.propose(d.value, d.opts);
      if (s.persist) return s;
    }
    const acc = emptyStep();
    while (this.parked.length > 0 && !this.persisting) {
      const s = this.process(this.parked.shift()!);
      acc.send.push(...s.send);
      acc.chosen ||= s.chosen;
      if (s.persist) {
        acc.persist = s.persist;
        acc.sendWithPersist = s.sendWithPersist;
      }
    }
    if (!this.persisting && !this.own.chosen) {
      // Our own durable change may complete a quorum by itself (1 acceptor, or replies that
      // arrived while we were persisting).
      const before = copyRecord(this.own);
      const accepted = this.maybeAcceptOwn();
      this.checkChosen();
      if (!sameRecord(before, this.own)) {
        // our accept goes to every acceptor; a chosen entry is told by EntityCore's commit notice
        const s = this.finish(false, { broadcast: accepted, sendWithPersist: accepted && this.cfg.localAcceptFirst === false });
        acc.send.push(...s.send);
        acc.persist = s.persist;
        acc.sendWithPersist = s.sendWithPersist;
        acc.chosen ||= this.own.chosen;
      }
    }
    return acc;
  }

  private process(cmd: PaxosCmd): Step {
    const me = this.cfg.acceptorId;
    const j = cmd.srcAcceptorId;
    if (j === me || j < 0 || j >= this.cfg.acceptorNum) return emptyStep();
    this.mergeView(j, cmd.srcRecord, cmd.srcDurable === true);
    const o = this.own;
    const before = copyRecord(o);
    // Acceptors answer the sender only; only a proposer's own accept goes to everyone.
    let broadcast = false;

    if (!o.chosen) {
      const s = cmd.srcRecord;
      if (s.chosen) {
        this.adoptChosen(s);
      } else {
        // Accept: (n, v) is unique per ballot, so accepting it relayed is as safe as from its proposer.
        if (s.acceptedNum > 0n && s.acceptedNum >= o.promisedNum && s.acceptedNum > o.acceptedNum) {
          o.promisedNum = s.acceptedNum;
          o.acceptedNum = s.acceptedNum;
          o.valueId = s.valueId;
          o.value = s.value;
          o.uuids = [...s.uuids];
        }
        // Promise: the sender is preparing a ballot above anything we promised.
        if (s.preparedNum > o.promisedNum && s.preparedNum === s.promisedNum) {
          o.promisedNum = s.preparedNum;
        }
      }
    }
    let sendWithPersist = false;
    if (!o.chosen && this.maybeAcceptOwn()) {
      broadcast = true;
      sendWithPersist = this.cfg.localAcceptFirst === false;
    }
    if (!o.chosen) this.checkChosen();
    const changed = !sameRecord(before, o);
    // Chosen now: the sender needs no answer (it told us, or its reply completed our quorum)
    // unless it asked for one (a probe, a resend).
    const becameChosen = o.chosen && !before.chosen;
    const replyTo = becameChosen && !cmd.checkEmpty && !cmd.quickRsp ? undefined : j;

    if (changed) {
      const step = this.finish(false, { broadcast, sendWithPersist, ...(replyTo === undefined ? {} : { replyTo }) });
      step.chosen = o.chosen && !before.chosen;
      return step;
    }
    const step = emptyStep();
    if (cmd.checkEmpty || cmd.quickRsp || !sameRecord(cmd.destRecord, o)) step.send.push(this.cmdTo(j, {}));
    return step;
  }

  /** Proposer: with a majority of promises for our ballot, accept the highest accepted value (or ours). */
  private maybeAcceptOwn(): boolean {
    const o = this.own;
    const b = o.preparedNum;
    if (b === 0n || o.promisedNum !== b || o.acceptedNum === b || this.pending === null) return false;
    if (this.promiseCount(b) < majority(this.cfg.acceptorNum)) return false;
    let best: EntryRecord | null = null;
    for (const r of this.records) {
      if (r.promisedNum === b && r.acceptedNum > 0n && (best === null || r.acceptedNum > best.acceptedNum)) best = r;
    }
    if (best) {
      o.valueId = best.valueId;
      o.value = best.value;
      o.uuids = [...best.uuids];
    } else {
      o.valueId = b;
      o.value = this.pending.value;
      o.uuids = [...this.pending.uuids];
    }
    o.acceptedNum = b;
    return true;
  }

  private promiseCount(b: bigint): number {
    let n = 0;
    for (const r of this.records) if (r.promisedNum === b) n++;
    return n;
  }

  /**
   * Chosen: a majority of slots hold the same acceptedNum durably. Our own slot counts as it
   * is on disk, a peer's slot holds only what that peer sent as durable (mergeView), so a
   * declared chosen value survives any crash of a minority.
   */
  private checkChosen(): void {
    const counts = new Map<bigint, { n: number; rec: EntryRecord }>();
    const me = this.cfg.acceptorId;
    for (let i = 0; i < this.records.length; i++) {
      const r = i === me ? this.durable : this.records[i]!;
      if (r.acceptedNum === 0n) continue;
      const c = counts.get(r.acceptedNum);
      if (c) c.n++;
      else counts.set(r.acceptedNum, { n: 1, rec: r });
    }
    for (const { n, rec } of counts.values()) {
      if (n >= majority(this.cfg.acceptorNum)) {
        this.adoptChosen(rec);
        this.countedChosen = true;
        return;
      }
    }
  }

  private adoptChosen(src: EntryRecord): void {
    const o = this.own;
    if (src.acceptedNum > o.acceptedNum) o.acceptedNum = src.acceptedNum;
    if (src.acceptedNum > o.promisedNum) o.promisedNum = src.acceptedNum;
    o.valueId = src.valueId;
    o.value = src.value;
    o.uuids = [...src.uuids];
    o.chosen = true;
  }

  private mergeView(j: number, src: EntryRecord, durable: boolean): void {
    const v = this.records[j]!;
    if (src.preparedNum > v.preparedNum) v.preparedNum = src.preparedNum;
    if (src.chosen && !v.chosen) {
      // chosen is a fact (a majority holds it durably), whoever relays it and however
      v.acceptedNum = src.acceptedNum > v.acceptedNum ? src.acceptedNum : v.acceptedNum;
      v.valueId = src.valueId;
      v.value = src.value;
      v.uuids = [...src.uuids];
      v.chosen = true;
    }
    // A promise or an accept the sender has not made durable is no vote of its yet.
    if (!durable) return;
    if (src.promisedNum > v.promisedNum) v.promisedNum = src.promisedNum;
    if (src.acceptedNum > v.acceptedNum || (src.chosen && !v.chosen)) {
      v.acceptedNum = src.acceptedNum > v.acceptedNum ? src.acceptedNum : v.acceptedNum;
      v.valueId = src.valueId;
      v.value = src.value;
      v.uuids = [...src.uuids];
    }
    if (src.chosen) v.chosen = true;
  }

  private finish(
    isPropose: boolean,
    opts: { broadcast: boolean; quickRsp?: boolean; sendWithPersist: boolean; replyTo?: number },
  ): Step {
    const step = emptyStep();
    step.persist = copyRecord(this.own);
    step.sendWithPersist = opts.sendWithPersist;
    this.persisting = true;
    this.writing = copyRecord(this.own);
    // Messages held until the persist is durable carry a durable record; the ones leaving
    // with the persist do not.
    const srcDurable = !opts.sendWithPersist;
    for (let j = 0; j < this.cfg.acceptorNum; j++) {
      if (j === this.cfg.acceptorId) continue;
      const useful = opts.broadcast
        ? !(this.own.chosen && this.records[j]!.chosen)
        : j === opts.replyTo;
      if (useful) {
        step.send.push(this.cmdTo(j, { quickRsp: opts.quickRsp ?? isPropose, srcDurable }));
      }
    }
    return step;
  }

  /**
   * A message to acceptor j with our record. Outside finish() the record is durable unless a
   * persist is in flight (then it may leave before the write lands: a probe, a reply).
   */
  cmdTo(j: number, o: { checkEmpty?: boolean; quickRsp?: boolean; maxChosenEntry?: bigint; srcDurable?: boolean }): PaxosCmd {
    this.cmdSeq++;
    return {
      header: { uuid: this.cmdSeq, entityId: this.entityId, entry: this.entry, result: CmdResult.Ok },
      srcAcceptorId: this.cfg.acceptorId,
      destAcceptorId: j,
      srcRecord: copyRecord(this.own),
      srcDurable: o.srcDurable ?? !this.persisting,
      destRecord: copyRecord(this.records[j]!),
      maxChosenEntry: o.maxChosenEntry ?? this.entry - 1n,
      maxChosenValueId: 0n,
      checkEmpty: o.checkEmpty ?? false,
      quickRsp: o.quickRsp ?? false,
    };
  }
}
