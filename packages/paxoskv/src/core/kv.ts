// Pure decisions of the KV layer on top of per-(key, version) Paxos instances.
//
// Versions of a key are written in order: a KV writer proposes at version v only after
// it knows v-1 is chosen (or v = 0). So every version with a vote is at most one past
// the highest chosen version, and the highest voted version a quorum reports bounds
// every version chosen before the question was asked (quorum intersection).
import { type Value, valueEq } from './ballot.js';
import type { AcceptorReply } from './acceptor.js';

export interface LatestReply {
  /** highest version of the key this acceptor voted in, -1n when none */
  ver: bigint;
  state: AcceptorReply;
}

export interface LatestDecision {
  /** highest voted version seen by the quorum, -1n when the key has no votes */
  ver: bigint;
  /** its chosen value, when some acceptor learned it (then no Paxos round is needed) */
  chosen: Value | null;
}

export function decideLatest(replies: Iterable<LatestReply>): LatestDecision {
  let ver = -1n;
  let chosen: Value | null = null;
  for (const r of replies) {
    if (r.ver > ver) {
      ver = r.ver;
      chosen = r.state.chosen;
    } else if (r.ver === ver && chosen === null && r.state.chosen) {
      chosen = r.state.chosen;
    }
  }
  return { ver, chosen: ver >= 0n ? chosen : null };
}

/** A value learned by any one acceptor is the chosen value (Commit is sent only after a quorum accepted). */
export function firstChosen(replies: Iterable<AcceptorReply>): Value | null {
  for (const r of replies) if (r.chosen) return r.chosen;
  return null;
}

/** Did the value chosen for an instance come from the writer holding `tag`? */
export function isOwnValue(chosen: Value | null, mine: Value): boolean {
  return chosen !== null && mine.tag !== undefined && mine.tag.length > 0 && valueEq(chosen, mine);
}

/**
 * The KV fast path's phase 2 value: a phase 1 that ran ahead for this version and found a
 * voted value MUST re-propose that value (it may be chosen already); only an instance where
 * the promising quorum saw no vote may carry this writer's own value.
 */
export function fastPathValue(phase1Value: Value | null, mine: Value): Value {
  return phase1Value ?? mine;
}
