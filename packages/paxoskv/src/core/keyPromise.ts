// A multi-version promise per key (issue 17, speed), pure.
//
// One PREPARE_FROM(key, from, bal) promises `bal` in every version >= `from` of `key` at once,
// so a proposer that holds such a promise from a quorum writes each next version of the key
// with phase 2 only. It is exactly one classic Prepare(bal) sent to each of those instances at
// the same moment, which is why classic Paxos' proof carries over, under one condition: the
// promise may only be given while the acceptor holds NO state at any version >= from (its
// highest touched version is below `from`). Then its reply "no vote at any covered version" is
// true, and the proposer may propose its own value at every covered version, each at most once
// with `bal`. An acceptor with state at or above `from` answers "not covered" and changes
// nothing (the proposer falls back to per-version Paxos there).
//
// An instance covered by the key promise answers with LastBal = max(its own LastBal, the key's
// promised ballot); promises only ever grow, so a new key promise replaces an older one only
// with a ballot >= it and the lower of the two `from`s.
import { type Ballot, ZERO_BALLOT, ballotEq, ballotGE, copyBallot } from './ballot.js';
import type { AcceptorState } from './acceptor.js';

export interface KeyPromise {
  /** the lowest version the promise covers (every version >= from) */
  readonly from: bigint;
  readonly bal: Ballot;
}

/** An instance's state as the acceptor must answer for it under the key's promise. */
export function underKeyPromise(s: AcceptorState, ver: bigint, kp: KeyPromise | null): AcceptorState {
  if (!kp || ver < kp.from || ballotGE(s.lastBal, kp.bal)) return s;
  return { ...s, lastBal: copyBallot(kp.bal) };
}

export interface PrepareFromStep {
  /** the key promise (and floor) before this request, as Prepare's LastBal */
  lastBal: Ballot;
  /** false: the acceptor holds state at or above `from`, nothing was promised */
  covered: boolean;
  /** true: `bal` is now promised at every version >= from */
  ok: boolean;
  next: KeyPromise | null;
  /** `next` differs from the input and must be made durable before replying */
  changed: boolean;
}

/**
 * PREPARE_FROM: `touched` is the highest version of the key this acceptor holds any state for
 * (-1n: none); `floor` the recovery floor promised everywhere (null: none).
 */
export function prepareFrom(kp: KeyPromise | null, floor: Ballot | null, from: bigint, bal: Ballot, touched: bigint): PrepareFromStep {
  let lastBal = kp ? kp.bal : ZERO_BALLOT;
  if (floor && !ballotGE(lastBal, floor)) lastBal = floor;
  lastBal = copyBallot(lastBal);
  if (touched >= from) return { lastBal, covered: false, ok: false, next: kp, changed: false };
  if (!ballotGE(bal, lastBal)) return { lastBal, covered: true, ok: false, next: kp, changed: false };
  const nextFrom = kp && kp.from < from ? kp.from : from;
  const changed = !(kp && kp.from === nextFrom && ballotEq(kp.bal, bal));
  return { lastBal, covered: true, ok: true, next: changed ? { from: nextFrom, bal: copyBallot(bal) } : kp, changed };
}

/**
 * The proposer side: does one acceptor's PREPARE_FROM reply count as a promise of `bal` over
 * every version >= from? (`ver` is the reply's highest touched version; absent: an acceptor
 * that does not know the op, never covered.)
 */
export function keyPromiseHeld(bal: Ballot, from: bigint, reply: { lastBal: Ballot; ver: bigint | null }): boolean {
  return reply.ver !== null && reply.ver < from && ballotGE(bal, reply.lastBal);
}
