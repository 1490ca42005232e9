// One entity's log as seen by one replica: which entry is active (maxChosen + 1), the entry
// state machine for it, the in-flight write, catch-up, learner and GetAll state. Its parts:
// the reads in flight (readTracker.ts), the ask about an undecided accept (undecidedAsk.ts),
// the catch-up request in flight (catchUpAsk.ts), the replica's knobs (replicaConfig.ts). Pure.
import { EntryMachine, type Step } from './entryMachine.js';
import type { EntityMsg, CatchUpRsp, ChosenEntry, CommitMsg } from './messages.js';
import {
  type EntryRecord, type PaxosCmd, type ProposalValue, CmdResult,
  emptyRecord, copyRecord, isEmptyRecord, ballotOwner, majority,
} from './types.js';
import type { ReplicaConfig } from './replicaConfig.js';
import { ReadTracker } from './readTracker.js';
import { UndecidedAsk } from './undecidedAsk.js';
import { CatchUpAsk } from './catchUpAsk.js';

export { type ReplicaConfig, defaultReplicaConfig } from './replicaConfig.js';

export { type PersistOp, type Outbound, type Effects, emptyEffects, mergeEffects } from './effects.js';
import { type Effects, type Outbound, emptyEffects, mergeEffects } from './effects.js';

export class EntityCore {
  maxChosen: bigint;
  machine: EntryMachine;
  /** Winner (acceptor id) of maxChosen, for PreAuth; acceptor 0 holds entry 1. */
  lastWinner: number;
  lastChosen: ChosenEntry | null = null;
  /** No PreAuth until we win an entry through phase 1 (see the constructor). */
  private preAuthBlocked: boolean;
  writeEntry: bigint | null = null;
  private nextRetryAt = 0;
  private readonly reads: ReadTracker;
  private readonly undecided: UndecidedAsk;
  private readonly catchUp: CatchUpAsk;
  getAllInProgress = false;
  /**
   * Non-voting learner (recovery mode): this replica cannot prove it still holds every promise
   * and accept it ever gave, so it ignores unchosen PaxosCmds (no promise, no accept, no
   * reply that could be counted) and only adopts chosen records, until it has learnt every
   * entry up to `horizon`. null horizon: not established yet (keep learning, never vote).
   */
  learner = false;
  horizon: bigint | null = null;

  constructor(
    readonly cfg: ReplicaConfig,
    readonly entityId: bigint,
    maxChosen: bigint,
    activeRecord: EntryRecord | undefined,
    lastWinner: number,
  ) {
    this.maxChosen = maxChosen;
    this.lastWinner = lastWinner;
    // Without localAcceptFirst a PreAuth accept leaves before it is durable: after a restart
    // we cannot tell at which entry we last sent one (the entries we had learnt chosen may be
    // lost too), and the PreAuth ballot of an entry is the same every time, so reusing it
    // could put two values under one ballot (and one value id). PreAuth waits until we win an
    // entry with a fresh value of ours through phase 1: then that entry was not chosen before
    // the restart, so no PreAuth of ours can exist beyond it.
    this.preAuthBlocked = !cfg.localAcceptFirst;
    this.reads = new ReadTracker(cfg.acceptorId);
    this.undecided = new UndecidedAsk(cfg.catchUpTimeoutMs);
    this.catchUp = new CatchUpAsk(cfg, entityId);
    this.machine = this.newMachine(activeRecord);
  }

  private newMachine(rec?: EntryRecord): EntryMachine {
    return new EntryMachine(
      { acceptorId: this.cfg.acceptorId, acceptorNum: this.cfg.acceptorNum, localAcceptFirst: this.cfg.localAcceptFirst },
      this.entityId,
      this.maxChosen + 1n,
      rec,
    );
  }

  get busy(): boolean {
    return this.writeEntry !== null;
  }

  /** Enter recovery mode: vote on nothing until every entry up to a horizon is learnt. */
  becomeLearner(): void {
    this.learner = true;
    this.horizon = null;
    this.writeEntry = null;
    this.reads.clear();
    this.staleCallbacks += this.machine.isPersisting ? 1 : 0;
    this.machine = this.newMachine();
  }

  /**
   * The horizon established with the other replicas: every entry this replica may have voted
   * on before it lost its state is <= horizon. Learn up to it (catch-up), then vote again.
   */
  setHorizon(horizon: bigint, now: number): Effects {
    const e = emptyEffects();
    if (!this.learner) return e;
    this.horizon = this.horizon !== null && this.horizon > horizon ? this.horizon : horizon;
    if (this.maybeVote()) return e;
    mergeEffects(e, this.learnMore(now));
    return e;
  }

  /** Learnt enough: vote from maxChosen + 1 on, with a fresh (empty) record there. */
  private maybeVote(): boolean {
    if (!this.learner || this.horizon === null || this.maxChosen < this.horizon) return false;
    this.learner = false;
    this.horizon = null;
    this.staleCallbacks += this.machine.isPersisting ? 1 : 0;
    this.machine = this.newMachine();
    return true;
  }

  /** Ask the next peer for chosen entries (learner below its horizon). */
  private learnMore(now: number): Effects {
    return this.asked(this.catchUp.learn(this.maxChosen + 1n, now));
  }

  /** Propose `value` for `entry` (the caller checked entry === maxChosen + 1). */
  write(entry: bigint, value: ProposalValue, now: number, random: number): Effects {
    if (this.learner) return emptyEffects(); // the shell refuses writes while recovering
    this.writeEntry = entry;
    this.retries = 0;
    this.nextRetryAt = now + this.retryDelay(random);
    const preAuth = this.cfg.enablePreAuth && this.lastWinner === this.cfg.acceptorId && !this.preAuthBlocked;
    return this.fromStep(this.machine.propose(value, { preAuth }));
  }

  /** Start a linearizable read: check-empty first, write-for-read if that fails. */
  read(readId: number, now: number, random: number): Effects {
    const e = emptyEffects();
    if (this.learner) return e; // the shell refuses reads while recovering
    const entry = this.maxChosen + 1n;
    if (this.writeEntry !== null) {
      // A write is in flight here: the read is served once that entry is chosen.
      this.reads.waitRound(readId, entry, now);
      return e;
    }
    if (!isEmptyRecord(this.machine.own) || this.cfg.acceptorNum === 1) {
      if (this.cfg.acceptorNum === 1) {
        e.readsReady.push({ entityId: this.entityId, readId, upTo: this.maxChosen });
        return e;
      }
      return this.writeForRead(readId, entry, now, random);
    }
    this.reads.probe(readId, entry, now);
    this.sendProbes(e);
    return e;
  }

  private writeForRead(readId: number, _entry: bigint, now: number, random: number): Effects {
    const entry = this.maxChosen + 1n;
    this.reads.waitRound(readId, entry, now);
    if (this.writeEntry !== null || this.machine.own.chosen) return emptyEffects();
    return this.write(entry, { value: null, uuids: [] }, now, random);
  }

  onMessage(msg: EntityMsg, now: number, random: number): Effects {
    if (msg.kind === 'paxos') return this.onCmd(msg.cmd, now, random);
    if (msg.kind === 'catchUpRsp') return this.onCatchUpRsp(msg, now, random);
    if (msg.kind === 'commit') return this.onCommit(msg, now, random);
    return emptyEffects(); // catchUpReq is served by the shell from the plog
  }

  /** A commit notice that arrived while our record of that entry was being written. */
  private pendingCommit: { msg: CommitMsg; now: number } | null = null;

  /** The proposer counted a quorum for `entry`: mark our matching accept chosen, else catch up. */
  private onCommit(m: CommitMsg, now: number, random: number): Effects {
    if (this.getAllInProgress || m.entry <= this.maxChosen) return emptyEffects();
    if (!this.learner && m.entry === this.maxChosen + 1n) {
      if (this.machine.isPersisting) {
        this.pendingCommit = { msg: m, now };
        return emptyEffects();
      }
      if (this.holdsValue(m.valueId)) return this.adoptChosenEntry(copyRecord(this.machine.own), now, random);
    }
    return this.startCatchUp(m.srcAcceptorId, now);
  }

  /**
   * Our record of the active entry holds the value with this id (ids name one value: the
   * ballot a proposer first proposed it with), so it is the chosen value when told so.
   */
  private holdsValue(valueId: bigint): boolean {
    const own = this.machine.own;
    return valueId !== 0n && !this.machine.isPersisting && !own.chosen && own.acceptedNum > 0n && own.valueId === valueId;
  }

  private onCmd(cmd: PaxosCmd, now: number, random: number): Effects {
    const e = emptyEffects();
    const from = cmd.srcAcceptorId;
    const entry = cmd.header.entry;
    if (this.getAllInProgress) return e;
    if (this.learner && entry > this.maxChosen) {
      // A learner takes facts only: a chosen record of its next entry, or news that it is behind.
      const next = this.maxChosen + 1n;
      if (entry === next && cmd.srcRecord.chosen && !this.machine.isPersisting) {
        mergeEffects(e, this.adoptChosenEntry(cmd.srcRecord, now, random));
      } else if (entry > next || cmd.maxChosenEntry >= next) {
        mergeEffects(e, this.startCatchUp(from, now));
      }
      return e;
    }
    if (entry <= this.maxChosen) {
      // The sender is behind on this entity: hand it the chosen record, or tell it to catch up.
      // No answer to a sender that already knows (it would only echo back).
      if ((cmd.srcRecord.chosen && !cmd.checkEmpty) || cmd.maxChosenEntry >= entry) return e;
      const holdsChosen = this.lastChosen?.entry === entry && cmd.srcRecord.acceptedNum > 0n && cmd.srcRecord.valueId === this.lastChosen.record.valueId;
      // a late answer to our accept from an acceptor holding the chosen value: our commit
      // notice already told it (the value need not travel again)
      if (holdsChosen && !cmd.checkEmpty && !cmd.quickRsp) return e;
      if (this.lastChosen && this.lastChosen.entry === entry) {
        const m = this.newReply(cmd, this.lastChosen.record);
        e.sendNow.push({ to: from, msg: { kind: 'paxos', cmd: m } });
      } else {
        e.sendNow.push({ to: from, msg: { kind: 'paxos', cmd: this.newReply(cmd, emptyRecord()) } });
      }
      return e;
    }
    if (cmd.maxChosenEntry === this.maxChosen + 1n && this.holdsValue(cmd.maxChosenValueId)) {
      // the piggybacked commit: our active entry is chosen
      mergeEffects(e, this.adoptChosenEntry(copyRecord(this.machine.own), now, random));
      // a message about that very entry (the sender's own chosen record) has nothing more to
      // tell: it must never reach the machine of the next entry
      if (entry <= this.maxChosen) return e;
    }
    const next = this.maxChosen + 1n;
    const behind = entry > next || cmd.maxChosenEntry > next || (cmd.maxChosenEntry === next && !cmd.srcRecord.chosen);
    if (behind) {
      // We are behind: catch up from the sender.
      mergeEffects(e, this.startCatchUp(from, now));
      if (entry > this.maxChosen + 1n) return e;
    }
    // Check-empty bookkeeping for reads of this entry.
    for (const readId of this.reads.probeAnswer(entry, from, isEmptyRecord(cmd.srcRecord), cmd.maxChosenEntry)) {
      mergeEffects(e, this.writeForRead(readId, entry, now, random));
    }
    mergeEffects(e, this.fromStep(this.machine.handle(cmd)));
    this.finishProbes(e);
    return e;
  }

  private finishProbes(e: Effects): void {
    for (const readId of this.reads.takeProbed(this.maxChosen + 1n, majority(this.cfg.acceptorNum), isEmptyRecord(this.machine.own))) {
      e.readsReady.push({ entityId: this.entityId, readId, upTo: this.maxChosen });
    }
  }

  private newReply(cmd: PaxosCmd, rec: EntryRecord): PaxosCmd {
    return {
      header: { uuid: cmd.header.uuid, entityId: this.entityId, entry: cmd.header.entry, result: CmdResult.Ok },
      srcAcceptorId: this.cfg.acceptorId,
      destAcceptorId: cmd.srcAcceptorId,
      srcRecord: copyRecord(rec),
      // a chosen record is a fact (counted by its chosen flag), an empty one is no vote
      srcDurable: false,
      destRecord: copyRecord(cmd.srcRecord),
      maxChosenEntry: this.maxChosen,
      maxChosenValueId: this.chosenValueId(this.maxChosen),
      checkEmpty: false,
      quickRsp: false,
    };
  }

  /** Value id of a chosen entry when it is the last one known here (0: not known). */
  private chosenValueId(entry: bigint): bigint {
    return this.lastChosen !== null && this.lastChosen.entry === entry ? this.lastChosen.record.valueId : 0n;
  }

  private startCatchUp(peer: number, now: number): Effects {
    return this.asked(this.catchUp.start(peer, this.maxChosen + 1n, now));
  }

  private asked(req: Outbound | null): Effects {
    const e = emptyEffects();
    if (req) e.sendNow.push(req);
    return e;
  }

  private onCatchUpRsp(rsp: CatchUpRsp, now: number, random: number): Effects {
    const e = emptyEffects();
    if (this.getAllInProgress) return e;
    this.catchUp.answered();
    if (rsp.expired && rsp.maxChosenEntry > this.maxChosen) {
      this.getAllInProgress = true;
      const peers = [rsp.srcAcceptorId];
      for (let j = 0; j < this.cfg.acceptorNum; j++) if (j !== this.cfg.acceptorId && j !== rsp.srcAcceptorId) peers.push(j);
      e.getAll.push({ entityId: this.entityId, peers });
      return e;
    }
    let advanced = false;
    this.adopting = true;
    for (const ce of rsp.entries) {
      if (ce.entry !== this.maxChosen + 1n || !ce.record.chosen) continue;
      if (this.machine.isPersisting) break; // finish the in-flight persist first; ask again later
      mergeEffects(e, this.adoptChosenEntry(ce.record, now, random));
      advanced = true;
    }
    this.adopting = false;
    if ((advanced || rsp.entries.length === 0) && rsp.maxChosenEntry > this.maxChosen) mergeEffects(e, this.startCatchUp(rsp.srcAcceptorId, now));
    else this.sendProbes(e);
    return e;
  }

  /** Install a chosen record for maxChosen + 1 learnt through catch-up. */
  private adoptChosenEntry(rec: EntryRecord, now: number, random: number): Effects {
    const own = this.machine.own;
    const merged: EntryRecord = { ...copyRecord(rec), preparedNum: own.preparedNum, promisedNum: own.promisedNum > rec.acceptedNum ? own.promisedNum : rec.acceptedNum, chosen: true };
    const e = emptyEffects();
    const entry = this.maxChosen + 1n;
    const mine = this.writeEntry === entry && this.isMine(merged);
    this.onChosen(entry, merged, e, mine, now, random);
    if (this.learner) this.maybeVote();
    return e;
  }

  private isMine(rec: EntryRecord): boolean {
    const p = this.machine.pendingValue;
    return p !== null && ballotOwner(rec.valueId, this.cfg.acceptorNum) === this.cfg.acceptorId && sameValue(p, rec);
  }

  /** Convert a machine step into effects; on chosen, advance to the next entry. */
  private fromStep(step: Step): Effects {
    const e = emptyEffects();
    if (step.persist) {
      e.persist.push({ entityId: this.entityId, entry: this.machine.entry, record: step.persist, maxChosen: this.maxChosen + (step.chosen ? 1n : 0n) });
      e.persistedCallback.push(this.entityId);
    }
    const sink = step.sendWithPersist ? e.sendNow : e.send;
    for (const cmd of step.send) {
      cmd.maxChosenEntry = this.maxChosen + (step.chosen ? 1n : 0n);
      cmd.maxChosenValueId = step.chosen ? this.machine.own.valueId : this.chosenValueId(this.maxChosen);
      sink.push(this.out(cmd));
    }
    if (step.chosen) {
      const entry = this.machine.entry;
      const rec = copyRecord(this.machine.own);
      const mine = this.writeEntry === entry && this.isMine(rec);
      if (this.machine.countedChosen) {
        // We counted the quorum; acceptors answered only us: tell the others (no value, and
        // the transport carries it in the frame it sends next to that peer).
        for (let j = 0; j < this.cfg.acceptorNum; j++) {
          if (j === this.cfg.acceptorId || this.machine.records[j]!.chosen) continue;
          e.sendNow.push({ to: j, msg: { kind: 'commit', srcAcceptorId: this.cfg.acceptorId, entityId: this.entityId, entry, valueId: rec.valueId } });
        }
      }
      this.advance(entry, rec, e, mine);
    }
    return e;
  }

  private onChosen(entry: bigint, rec: EntryRecord, e: Effects, mine: boolean, _now: number, _random: number): void {
    e.persist.push({ entityId: this.entityId, entry, record: rec, maxChosen: entry });
    this.advance(entry, rec, e, mine);
  }

  /** What this replica tells a recovering peer about the entity: see Recovery. */
  horizonHere(): bigint {
    return this.maxChosen + (isEmptyRecord(this.machine.own) ? 0n : 1n);
  }

  /**
   * A recovering peer waits for our active entry to be chosen when we hold a record of it:
   * drive it to a decision (a no-op unless a value was already accepted), as a read would.
   */
  finishActive(now: number, random: number): Effects {
    if (this.learner || this.getAllInProgress || this.writeEntry !== null) return emptyEffects();
    const own = this.machine.own;
    if (own.chosen || isEmptyRecord(own)) return emptyEffects();
    return this.write(this.maxChosen + 1n, { value: null, uuids: [] }, now, random);
  }

  private advance(entry: bigint, rec: EntryRecord, e: Effects, mine: boolean): void {
    this.maxChosen = entry;
    this.lastChosen = { entry, record: rec };
    this.lastWinner = ballotOwner(rec.valueId, this.cfg.acceptorNum);
    if (mine) this.preAuthBlocked = false;
    e.chosen.push({ entityId: this.entityId, entry, record: rec, mine });
    if (this.writeEntry === entry) this.writeEntry = null;
    const parked = this.machine.isPersisting;
    this.machine = this.newMachine();
    // A persist of the old machine may be in flight; its callback must not confuse the new one.
    this.staleCallbacks += parked ? 1 : 0;
    // A read waiting on this entry is safe at it only if our own (fresh) value won it: then the
    // entry was chosen after the read began. Otherwise probe the next entry again.
    const { done, reprobe } = this.reads.chosen(entry, mine);
    for (const readId of done) e.readsReady.push({ entityId: this.entityId, readId, upTo: entry });
    if (reprobe && this.catchUp.peer === null && !this.adopting) this.sendProbes(e);
  }

  private sendProbes(e: Effects): void {
    if (!this.reads.probing) return;
    for (const cmd of this.machine.checkEmptyProbe()) {
      cmd.maxChosenEntry = this.maxChosen;
      cmd.maxChosenValueId = this.chosenValueId(this.maxChosen);
      e.sendNow.push(this.out(cmd));
    }
  }

  private staleCallbacks = 0;
  private retries = 0;
  private adopting = false;

  /** The batch holding this entity's last persist is durable. */
  persisted(): Effects {
    let e: Effects;
    if (this.staleCallbacks > 0) {
      this.staleCallbacks--;
      e = emptyEffects();
    } else e = this.fromStep(this.machine.persisted());
    const pc = this.pendingCommit;
    if (pc && !this.machine.isPersisting) {
      this.pendingCommit = null;
      mergeEffects(e, this.onCommit(pc.msg, pc.now, 0));
    }
    return e;
  }

  /** Timers: retry a stuck proposal, forget a lost catch-up, re-probe stuck reads. */
  tick(now: number, random: number): Effects {
    const e = emptyEffects();
    if (this.getAllInProgress) return e;
    if (this.learner) {
      if (this.horizon !== null && this.maxChosen < this.horizon) mergeEffects(e, this.learnMore(now));
      return e;
    }
    mergeEffects(e, this.asked(this.catchUp.retryIfLost(this.maxChosen + 1n, now)));
    mergeEffects(e, this.askUndecided(now));
    const stuck = this.reads.stuck(now, this.cfg.retryMsBase);
    if (stuck) {
      // Probes got lost or a peer is busy: fall back to a Paxos round (write-for-read).
      mergeEffects(e, this.writeForRead(stuck.readId, stuck.entry, now, random));
    }
    if (this.writeEntry !== null && now >= this.nextRetryAt && !this.machine.isPersisting) {
      // A higher ballot only when a rival promised above ours: re-preparing while our own round
      // is merely slow would restart it and could livelock a lone proposer. Otherwise re-send
      // our record (lost or slow messages); peers answer with theirs (quickRsp).
      this.retries++;
      this.nextRetryAt = now + this.retryDelay(random) * Math.min(4, this.retries);
      const own = this.machine.own;
      const rival = own.promisedNum > own.preparedNum || this.machine.records.some((r) => r.promisedNum > own.preparedNum);
      mergeEffects(e, this.fromStep(rival ? this.machine.retry() : this.machine.resend()));
    }
    return e;
  }

  /**
   * A peer says it has the entity chosen up to `maxChosen` (its chosen summary): behind it,
   * catch up from it. Only chosen records are taken from a catch-up, so this is a hint that
   * can never change what is chosen. A learner follows its own horizon instead.
   */
  peerChosen(peer: number, maxChosen: bigint, now: number): Effects {
    if (this.learner || this.getAllInProgress || maxChosen <= this.maxChosen || peer === this.cfg.acceptorId) return emptyEffects();
    return this.startCatchUp(peer, now);
  }

  /** A lost commit notice: ask the proposer of an undecided accept (see UndecidedAsk). */
  private askUndecided(now: number): Effects {
    const own = this.machine.own;
    const entry = this.maxChosen + 1n;
    if (this.writeEntry !== null || this.catchUp.peer !== null || this.machine.isPersisting || own.chosen || own.acceptedNum === 0n) {
      if (this.writeEntry !== null || own.acceptedNum === 0n) this.undecided.reset();
      return emptyEffects();
    }
    if (!this.undecided.due(entry, now)) return emptyEffects();
    const n = this.cfg.acceptorNum;
    const owner = ballotOwner(own.acceptedNum, n);
    return this.startCatchUp(owner !== this.cfg.acceptorId ? owner : (owner + 1) % n, now);
  }

  private retryDelay(random: number): number {
    return this.cfg.retryMsBase + Math.floor(random * this.cfg.retryMsBase);
  }

  /** GetAll finished: data is applied up to `maxCommitted`; the log restarts after it. */
  getAllDone(maxCommitted: bigint, ok: boolean, now: number): Effects {
    const e = emptyEffects();
    this.getAllInProgress = false;
    if (!ok) return e;
    if (maxCommitted > this.maxChosen) {
      this.maxChosen = maxCommitted;
      this.lastChosen = null;
      this.lastWinner = -1;
      this.writeEntry = null;
      this.staleCallbacks += this.machine.isPersisting ? 1 : 0;
      this.machine = this.newMachine();
    }
    if (this.learner) {
      if (!this.maybeVote() && this.horizon !== null) mergeEffects(e, this.learnMore(now));
      return e;
    }
    // reads that waited for the copy probe the new next entry
    this.reads.restartAt(this.maxChosen + 1n, now);
    this.sendProbes(e);
    return e;
  }

  private out(cmd: PaxosCmd): Outbound {
    return { to: cmd.destAcceptorId, msg: { kind: 'paxos', cmd } };
  }
}

function sameValue(p: ProposalValue, rec: EntryRecord): boolean {
  if (p.uuids.length !== rec.uuids.length || p.uuids.some((u, i) => u !== rec.uuids[i])) return false;
  if (p.value === null || rec.value === null) return p.value === rec.value;
  if (p.value.length !== rec.value.length) return false;
  for (let i = 0; i < p.value.length; i++) if (p.value[i] !== rec.value[i]) return false;
  return true;
}
