// The acceptor rules, exactly as the seed's KVServer.Prepare / KVServer.Accept, as pure
// functions from (state, request) to (reply, next state). Replies are copies taken
// before the update, so nothing that later happens to the state can change a reply
// that was already handed out. COMMIT/LEARN/LATEST are additions (never votes).
import { type Ballot, type Value, ZERO_BALLOT, ballotEq, ballotGE, copyBallot, copyValue, valueEq } from './ballot.js';

export interface AcceptorState {
  readonly lastBal: Ballot;
  readonly val: Value | null;
  readonly vBal: Ballot;
  /** Added: a value this acceptor was told is chosen (learner hint; not a vote). */
  readonly chosen: Value | null;
}

/** An instance that was never touched: zero ballots and no value. */
export const EMPTY_STATE: AcceptorState = Object.freeze({ lastBal: ZERO_BALLOT, val: null, vBal: ZERO_BALLOT, chosen: null });

/** The seed's `Acceptor` message (plus the added `chosen`). */
export interface AcceptorReply {
  lastBal: Ballot;
  val: Value | null;
  vBal: Ballot | null;
  chosen: Value | null;
}

export interface Step {
  reply: AcceptorReply;
  next: AcceptorState;
  /** true when `next` differs from the input state and must be made durable before replying. */
  changed: boolean;
}

function snapshot(s: AcceptorState): AcceptorReply {
  return {
    lastBal: copyBallot(s.lastBal),
    val: s.val ? copyValue(s.val) : null,
    vBal: copyBallot(s.vBal),
    chosen: s.chosen ? copyValue(s.chosen) : null,
  };
}

/** Prepare: reply with a copy of {LastBal, Val, VBal}; if bal >= LastBal then LastBal = bal. */
export function prepare(s: AcceptorState, bal: Ballot): Step {
  const reply = snapshot(s);
  if (ballotGE(bal, s.lastBal)) {
    const changed = !ballotEq(bal, s.lastBal);
    return { reply, next: changed ? { ...s, lastBal: copyBallot(bal) } : s, changed };
  }
  return { reply, next: s, changed: false };
}

/** Same value, ignoring the writer tag (a seed client cannot carry it). */
function sameContent(a: Value, b: Value): boolean {
  const bare = (v: Value): Value => ({ vi64: v.vi64, ...(v.bytes ? { bytes: v.bytes, ...(v.text ? { text: true } : {}) } : {}) });
  return valueEq(bare(a), bare(b));
}

const INT64_MAX = 2n ** 63n - 1n;

/** A ballot strictly above `b` where one exists (the top ballot has none). */
function above(b: Ballot): Ballot {
  if (b.proposerId < INT64_MAX) return { n: b.n, proposerId: b.proposerId + 1n };
  if (b.n < INT64_MAX) return { n: b.n + 1n, proposerId: 0n };
  return copyBallot(b);
}

/**
 * Accept: reply {LastBal: copy before the update}; if bal >= LastBal then LastBal = VBal = bal, Val = val.
 * Added guard: an acceptor that learned the chosen value votes for no other one, at any
 * ballot (refusing is always safe). A client built from the seed's proto cannot carry the
 * added fields and would re-propose the value it decoded; its refusal shows as a LastBal
 * above its ballot (the seed's rejection) plus Chosen. The chosen value proposed again
 * without its writer tag is stored with the tag, so the writer still recognises it.
 */
export function accept(s: AcceptorState, bal: Ballot, val: Value | null): Step {
  // the seed's reply is {LastBal}; the added Chosen lets a losing proposer stop early
  const chosen = s.chosen ? copyValue(s.chosen) : null;
  if (s.chosen && (val === null || !sameContent(val, s.chosen))) {
    const lastBal = ballotGE(bal, s.lastBal) ? above(bal) : copyBallot(s.lastBal);
    return { reply: { lastBal, val: null, vBal: null, chosen }, next: s, changed: false };
  }
  const reply: AcceptorReply = { lastBal: copyBallot(s.lastBal), val: null, vBal: null, chosen };
  if (ballotGE(bal, s.lastBal)) {
    const stored = s.chosen && val ? s.chosen : val;
    const changed = !(ballotEq(bal, s.lastBal) && ballotEq(bal, s.vBal) && valueEq(stored, s.val));
    const next: AcceptorState = { lastBal: copyBallot(bal), vBal: copyBallot(bal), val: stored ? copyValue(stored) : null, chosen: s.chosen };
    return { reply, next: changed ? next : s, changed };
  }
  return { reply, next: s, changed: false };
}

/**
 * Commit (added): remember that `val` was chosen. It is kept apart from the vote, so the
 * seed's Accept rule stays exact. The first learned value wins; a second, different one
 * can only come from a misbehaving client and is ignored (reported by `conflict`).
 */
export function commit(s: AcceptorState, val: Value): Step & { conflict: boolean } {
  const reply = snapshot(s);
  if (s.chosen) return { reply, next: s, changed: false, conflict: !valueEq(s.chosen, val) };
  return { reply, next: { ...s, chosen: copyValue(val) }, changed: true, conflict: false };
}

/** Learn (added, read-only): a copy of the whole state. */
export function learn(s: AcceptorState): AcceptorReply {
  return snapshot(s);
}

/** Has this acceptor voted in the instance? (a value is stored) */
export function hasVote(s: AcceptorState): boolean {
  return s.val !== null || s.chosen !== null;
}
