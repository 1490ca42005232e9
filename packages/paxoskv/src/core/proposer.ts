// The proposer, exactly as the seed's Phase1 / Phase2 / RunPaxos, split into pure parts:
// tallies that turn replies into the seed's (value, higherBal, err) results, and a
// PaxosRun state machine that says which messages to send next. The I/O shell
// (src/client) sends them in parallel and feeds replies back; the simulator does the same.
import { type Ballot, type Value, ballotGE, copyBallot, copyValue } from './ballot.js';
import type { AcceptorReply } from './acceptor.js';

export function majority(acceptors: number): number {
  return Math.floor(acceptors / 2) + 1;
}

export interface Phase1Result {
  /** the voted value with the largest VBal among the quorum of OK replies (null: none voted) */
  value: Value | null;
  /** the largest ballot that rejected us (null when a quorum said OK) */
  higherBal: Ballot | null;
  ok: boolean;
}

export interface Phase2Result {
  higherBal: Ballot | null;
  ok: boolean;
}

/**
 * Incremental tally of one phase: replies arrive in any order, in parallel. It is
 * decided as soon as `quorum` OK replies are in (early quorum) or as soon as the
 * acceptors still silent can no longer make up a quorum.
 */
export class PhaseTally {
  private okCount = 0;
  private answered = 0;
  private higher: Ballot;
  private maxVoted: { vBal: Ballot; val: Value } | null = null;
  private decided: 'ok' | 'rejected' | null = null;

  constructor(
    readonly bal: Ballot,
    readonly total: number,
    readonly quorum: number,
  ) {
    // The seed starts the rejecting-ballot search from its own ballot.
    this.higher = copyBallot(bal);
  }

  get state(): 'pending' | 'ok' | 'rejected' {
    return this.decided ?? 'pending';
  }

  /**
   * An acceptor answered. After an OK decision replies are ignored, as in the seed.
   * After a rejection, later rejecting ballots still raise `higherBal` (the seed waits
   * for every reply before it looks for the largest one).
   */
  add(r: AcceptorReply): void {
    if (this.decided === 'ok') return;
    if (this.decided === 'rejected') {
      if (!ballotGE(this.bal, r.lastBal) && ballotGE(r.lastBal, this.higher)) this.higher = copyBallot(r.lastBal);
      return;
    }
    this.answered++;
    if (!ballotGE(this.bal, r.lastBal)) {
      // The seed's issue #1: keep the LARGEST rejecting ballot, not the last one seen.
      if (ballotGE(r.lastBal, this.higher)) this.higher = copyBallot(r.lastBal);
    } else {
      if (r.val !== null && r.vBal !== null && (this.maxVoted === null || ballotGE(r.vBal, this.maxVoted.vBal))) {
        this.maxVoted = { vBal: copyBallot(r.vBal), val: copyValue(r.val) };
      }
      this.okCount++;
      if (this.okCount >= this.quorum) {
        this.decided = 'ok';
        return;
      }
    }
    this.checkHopeless();
  }

  /** An acceptor will not answer in this round (down, timed out, transport error). */
  fail(): void {
    if (this.decided) return;
    this.answered++;
    this.checkHopeless();
  }

  private checkHopeless(): void {
    if (this.okCount + (this.total - this.answered) < this.quorum) this.decided = 'rejected';
  }

  phase1(): Phase1Result {
    if (this.decided === 'ok') return { value: this.maxVoted ? copyValue(this.maxVoted.val) : null, higherBal: null, ok: true };
    return { value: null, higherBal: copyBallot(this.higher), ok: false };
  }

  phase2(): Phase2Result {
    if (this.decided === 'ok') return { higherBal: null, ok: true };
    return { higherBal: copyBallot(this.higher), ok: false };
  }
}

/** The seed's Phase1 over replies in arrival order (non-answers already left out). */
export function tallyPhase1(bal: Ballot, replies: Iterable<AcceptorReply>, quorum: number, total?: number): Phase1Result {
  const list = [...replies];
  const t = new PhaseTally(bal, total ?? list.length, quorum);
  for (const r of list) t.add(r);
  if (t.state === 'pending') for (let i = list.length; i < (total ?? list.length); i++) t.fail();
  return t.phase1();
}

/** The seed's Phase2 over replies in arrival order. */
export function tallyPhase2(bal: Ballot, replies: Iterable<AcceptorReply>, quorum: number, total?: number): Phase2Result {
  const list = [...replies];
  const t = new PhaseTally(bal, total ?? list.length, quorum);
  for (const r of list) t.add(r);
  if (t.state === 'pending') for (let i = list.length; i < (total ?? list.length); i++) t.fail();
  return t.phase2();
}

/** After a rejected round the seed moves to (higherBal.N + 1, own id). */
export function nextBallot(own: Ballot, higherBal: Ballot | null): Ballot {
  const base = higherBal && ballotGE(higherBal, own) ? higherBal : own;
  return { n: base.n + 1n, proposerId: own.proposerId };
}

export type RunAction =
  | { type: 'prepare'; round: number; bal: Ballot }
  | { type: 'accept'; round: number; bal: Ballot; val: Value }
  | { type: 'done'; value: Value | null; rounds: number }
  | { type: 'retry'; round: number; higherBal: Ballot | null }
  | { type: 'wait' };

/**
 * One run of the seed's RunPaxos as a state machine. `value === null` is a read: it
 * ends after phase 1 when nothing was voted (one round) and otherwise makes the voted
 * value safe with phase 2 before returning it (two rounds).
 *
 * begin() -> prepare to every acceptor; feed reply()/noReply() for that round; on
 * 'retry' the shell waits (jittered backoff) and calls begin() again with a higher ballot.
 */
export class PaxosRun {
  private round = 0;
  private phase: 1 | 2 | 'done' | 'idle' = 'idle';
  private tally: PhaseTally | null = null;
  private proposing: Value | null = null;
  private roundTrips = 0;
  bal: Ballot;

  constructor(
    readonly value: Value | null,
    readonly acceptors: number,
    bal: Ballot,
    readonly quorum: number = majority(acceptors),
  ) {
    this.bal = copyBallot(bal);
  }

  get currentRound(): number {
    return this.round;
  }

  get isDone(): boolean {
    return this.phase === 'done';
  }

  begin(): RunAction {
    if (this.phase === 'done') return { type: 'wait' };
    this.round++;
    this.roundTrips++;
    this.phase = 1;
    this.tally = new PhaseTally(this.bal, this.acceptors, this.quorum);
    return { type: 'prepare', round: this.round, bal: copyBallot(this.bal) };
  }

  reply(round: number, r: AcceptorReply): RunAction {
    if (round === this.round && this.phase === 'idle') {
      // a late rejection of the round we already gave up: start the next one above it
      if (!ballotGE(this.bal, r.lastBal)) this.bal = nextBallot(this.bal, r.lastBal);
      return { type: 'wait' };
    }
    if (round !== this.round || !this.tally || this.phase === 'done' || this.phase === 'idle') return { type: 'wait' };
    this.tally.add(r);
    return this.advance();
  }

  noReply(round: number): RunAction {
    if (round !== this.round || !this.tally || this.phase === 'done' || this.phase === 'idle') return { type: 'wait' };
    this.tally.fail();
    return this.advance();
  }

  private advance(): RunAction {
    const t = this.tally!;
    if (t.state === 'pending') return { type: 'wait' };
    if (this.phase === 1) {
      const r = t.phase1();
      if (!r.ok) return this.rejected(r.higherBal);
      this.proposing = r.value ?? this.value;
      if (this.proposing === null) {
        this.phase = 'done';
        return { type: 'done', value: null, rounds: this.roundTrips };
      }
      this.phase = 2;
      this.roundTrips++;
      this.tally = new PhaseTally(this.bal, this.acceptors, this.quorum);
      return { type: 'accept', round: this.round, bal: copyBallot(this.bal), val: copyValue(this.proposing) };
    }
    const r = t.phase2();
    if (!r.ok) return this.rejected(r.higherBal);
    this.phase = 'done';
    return { type: 'done', value: copyValue(this.proposing!), rounds: this.roundTrips };
  }

  private rejected(higherBal: Ballot | null): RunAction {
    this.bal = nextBallot(this.bal, higherBal);
    this.phase = 'idle';
    this.tally = null;
    return { type: 'retry', round: this.round, higherBal };
  }
}
