// Re-learning an acceptor's state after its disk was lost or damaged (issue 17 item 1), pure.
//
// Why this is enough: a value chosen at ballot b was accepted by a quorum Q. If this acceptor
// was in Q and forgot, Q minus it still meets every majority M of the OTHER acceptors
// (|M| + |Q| - 1 > n - 1), so some acceptor in M holds a vote at a ballot >= b, and by Paxos
// every vote at a ballot >= b carries the chosen value. Taking, per instance, the vote with
// the highest VBal among M gives back a vote for the chosen value. Adopting another
// acceptor's (VBal, Val) is safe: it is a pair some proposer really proposed. The floor (one
// past the highest ballot any of M had seen anywhere) is promised in every instance, so the
// acceptor does not accept a ballot below what the others had promised when it re-learned.
import { type Ballot, ballotGE, copyBallot, copyValue } from './ballot.js';
import type { AcceptorState } from './acceptor.js';

/** Fold one other acceptor's state of an instance into ours. */
export function mergeLearned(s: AcceptorState, peer: AcceptorState): AcceptorState {
  const lastBal = ballotGE(s.lastBal, peer.lastBal) ? s.lastBal : copyBallot(peer.lastBal);
  const takeVote = peer.val !== null && (s.val === null || !ballotGE(s.vBal, peer.vBal));
  return {
    lastBal: ballotGE(lastBal, peer.vBal) ? lastBal : copyBallot(peer.vBal),
    val: takeVote ? copyValue(peer.val!) : s.val,
    vBal: takeVote ? copyBallot(peer.vBal) : s.vBal,
    chosen: s.chosen ?? (peer.chosen ? copyValue(peer.chosen) : null),
  };
}

/** The ballot floor: strictly above every ballot in `seen` (the highest N + 1, ProposerId 0). */
export function floorAbove(seen: Ballot): Ballot {
  const INT64_MAX = 2n ** 63n - 1n;
  return { n: seen.n < INT64_MAX ? seen.n + 1n : seen.n, proposerId: 0n };
}

/** The highest of two ballots. */
export function maxBallot(a: Ballot, b: Ballot): Ballot {
  return ballotGE(a, b) ? a : b;
}

/** A state as this acceptor must answer it under a floor: promised at least the floor. */
export function withFloor(s: AcceptorState, floor: Ballot | null): AcceptorState {
  if (!floor || ballotGE(s.lastBal, floor)) return s;
  return { ...s, lastBal: floor };
}

/** How many of the other n-1 acceptors must hand over their state: a majority of them. */
export function othersNeeded(members: number): number {
  return Math.floor((members - 1) / 2) + 1;
}

