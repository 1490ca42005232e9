// Scripted schedules over test/cspWorld.ts (prefixes the explorer starts after, kept regressions).
import type { ScheduleStep } from '@quorumkit/test-harness';
import type { Msg } from '../src/core/types.js';
import type { COp } from './cspWorld.js';

type Step = ScheduleStep<Msg, COp>;

const type = (t: Msg['type']) => (m: Msg) => m.type === t;
export const msg = (from: number, to: number, t: Msg['type']) => ({ from, to, match: type(t) });

// The bootstrapped cluster starts (node 0 leads round 0); a client's value is committed at
// slot 0 through nodes 0 and 1 and acknowledged; node 2 heard nothing of it.
export const chosenPrefix: Step[] = [
  { tick: 0 }, { tick: 1 }, { flush: 1 }, { tick: 2 },
  { deliver: msg(0, 1, 'READ') }, { flushAll: 1 }, { deliver: msg(1, 0, 'GATHER') },
  { client: [0, 'propose'] },
  { deliver: msg(0, 1, 'PROPOSE') }, { flushAll: 1 }, { deliver: msg(1, 0, 'ACK') },
  { dropAll: { to: 2 } },
];
// ... then node 1 loses its whole directory and starts again.
export const wipePrefix: Step[] = [...chosenPrefix, { crash: 1 }, { wipe: 1 }, { restart: 1 }, { flush: 1 }, { tick: 1 }];


// The bootstrapped cluster formed: node 0 leads round 0 with the promises of nodes 0 and 1.
export const formedPrefix: Step[] = [
  { tick: 0 }, { flushAll: 0 }, { tick: 1 }, { flushAll: 1 }, { tick: 2 }, { flushAll: 2 },
  { deliver: msg(0, 1, 'READ') }, { flushAll: 1 }, { deliver: msg(1, 0, 'GATHER') }, { flushAll: 0 },
];

/**
 * Kept regression: the explorer's shortest schedule on the pre-item-1 core (a wiped directory
 * votes at once). After wipePrefix, node 1 (wiped, incarnation 1000) timed out and leads round
 * 1; node 2, which never heard of slot 0, promises; nobody in that majority holds slot 0, so
 * node 1 proposes a new value there and nodes 0 and 1 accept it: slot 0 committed twice.
 */
export const wipedVotesSchedule: Step[] = [
  ...wipePrefix,
  { deliver: msg(1, 2, 'READ') },
  { deliver: msg(2, 1, 'GATHER') },
  { flush: 1 },
  { client: [1, 'propose'] },
  { deliver: msg(1, 0, 'PROPOSE') },
  { deliver: msg(0, 1, 'ACK') },
  { flush: 1 },
];

/**
 * Rounds handed on after every slot (`-l 1`): from the formed cluster, a client's value is
 * proposed by node 0 at slot 0; node 0 hands round 0 on with that batch in flight (nobody has
 * acknowledged it, its own acceptor's record is not durable yet). The explorer searches from here.
 */
export const handoverPrefix: Step[] = [...formedPrefix, { client: [0, 'propose'] }];

/**
 * ... then node 0's own ACK arrives (its tail holds one ACK of round 0), node 1 takes round 1
 * (node 0's HANDOVER, which node 1 gets before node 0's batch) and its promise is durable. With a tail that chose a batch on fewer than a majority
 * of its round's ACKs, node 0 has committed its value at slot 0 here, and node 1, reading with
 * node 2 (neither saw node 0's batch), proposes another value there.
 */
export const handoverReadPrefix: Step[] = [...handoverPrefix, { flush: 0 }, { deliver: msg(0, 1, 'HANDOVER') }, { flush: 1 }];

/**
 * After handoverPrefix: node 1 accepts node 0's batch (slot 0) and then its HANDOVER, node 0
 * chooses slot 0 with node 1's ACK (its tail), node 2 promises round 1 on the HANDOVER, and node
 * 1 leads round 1 with the HANDOVER answers of nodes 1 and 2, a client gives it a value, and
 * its first batch is chosen with node 2. Today's answers carry what each acceptor accepted, so
 * that batch re-imposes node 0's value at slot 0 (the client's waits for slot 1). An answer without the accepted entries (the mutation
 * in explore.test.ts) lets node 1 fill slot 0 with the client's value: two values at slot 0.
 */
export const handoverSchedule: Step[] = [
  ...handoverPrefix,
  { deliver: msg(0, 1, 'PROPOSE') },
  { deliver: msg(0, 1, 'HANDOVER') },
  { flushAll: 1 },
  { deliver: msg(1, 0, 'ACK') },
  { flushAll: 0 },
  { deliver: msg(0, 2, 'HANDOVER') },
  { flushAll: 2 },
  { deliver: msg(2, 1, 'GATHER') },
  { client: [1, 'propose'] },
  { flushAll: 1 },
  // Node 1's first batch: today the IMPOSE of node 0's value, mutated the client's PROPOSE.
  { deliver: { from: 1, to: 2, match: (m: Msg) => m.type === 'IMPOSE' || m.type === 'PROPOSE' } },
  { flushAll: 2 },
  { deliver: msg(2, 1, 'ACK') },
  { flushAll: 1 },
];

/**
 * Chosen-on-read needs a majority (roundRead.ts merge). After handoverPrefix (node 0 proposed
 * c0 at slot 0 and handed round 0 on with that batch in flight): node 1 takes round 1 from the
 * HANDOVER without node 0's batch, node 2 promises round 1 too, times out and leads round 2, and
 * a client gives it a value. So c0 is accepted by node 0 only, node 0's GATHER for round 1
 * (carrying c0 in round 0) is on its way to node 1, and node 2 reads round 2 with the READs
 * still in flight. The PROPOSE to node 1 is dropped: after the HANDOVER node 1 could only refuse
 * it (promised round 1; an interleaving that changes nothing, left out to keep the search
 * small). The explorer searches from here (exploreRead.test.ts).
 */
export const minorityReadPrefix: Step[] = [
  ...handoverPrefix,
  { dropAll: msg(0, 1, 'PROPOSE') },
  { deliver: msg(0, 1, 'HANDOVER') },
  { deliver: msg(0, 2, 'HANDOVER') },
  { tick: 2 },
  { client: [2, 'propose'] },
];

/**
 * ... then node 1's read completes with its own answer and node 0's, one of the two holding c0
 * in round 0. Today's core adopts c0 and re-imposes it in round 1 (after the handover wait,
 * which no timer ends here), since one answer is no majority: c0 may never have been chosen.
 * Node 2's read of round 2 meets node 1, which holds nothing at slot 0 (the majority {1, 2} never
 * saw c0), so node 2 proposes its client's value c2 there and node 1 accepts it: c2 is chosen,
 * node 2 commits it. With chosen-on-read on one answer (the mutation in exploreRead.test.ts) node 1
 * sends COMMIT(round 0, slot 0) instead, node 0 commits c0, and slot 0 is committed twice.
 */
export const minorityReadSchedule: Step[] = [
  ...minorityReadPrefix,
  { deliver: msg(0, 1, 'GATHER') },
  { deliver: msg(2, 1, 'READ') },
  { deliver: msg(1, 2, 'GATHER') },
  { deliver: msg(2, 1, 'PROPOSE') },
  { deliver: msg(1, 2, 'ACK') },
  // Only the mutated read sends it (today's core has nothing of round 0 to commit).
  { deliver: { from: 1, to: 0, match: (m: Msg) => m.type === 'COMMIT' && m.round === 0 } },
];

/**
 * A round started by a timeout, not a HANDOVER (-l large): from the formed cluster a client's
 * value c0 reaches node 0, which proposes it at slot 0 (its own acceptor takes it, the PROPOSEs
 * to nodes 1 and 2 are in flight); node 1 times out and leads round 1 (its READ in flight) and a
 * client gives it a value c1. A leader that counted its own ACK as a majority has committed c0
 * by now, and node 1's read with node 2 finds nothing at slot 0: it proposes c1 there. The
 * explorer searches from here (exploreTimeout.test.ts).
 */
export const timeoutPrefix: Step[] = [...formedPrefix, { client: [0, 'propose'] }, { tick: 1 }, { client: [1, 'propose'] }];

/**
 * Two values at slot 0 in two rounds, the later one chosen: after handoverPrefix node 0 holds
 * its c0 in round 0 alone (its batch to node 1 is dropped as above, node 2 has not got it);
 * node 1 reads round 1 with node 2, proposes a client's c1 at slot 0, node 2 accepts it, and
 * node 1's tail commits it (c1 is chosen in round 1 by nodes 1 and 2); node 1 hands round 1 on,
 * and node 0 promises round 2 on that HANDOVER: its answer to node 2 (c0 in round 0) and node
 * 1's (c1 in round 1) are in flight. Node 2 must adopt the value of the highest round, c1,
 * whichever answers its read counts (exploreRead.test.ts).
 */
export const twoRoundsPrefix: Step[] = [
  ...handoverPrefix,
  { dropAll: msg(0, 1, 'PROPOSE') },
  { deliver: msg(0, 1, 'HANDOVER') },
  { deliver: msg(0, 2, 'HANDOVER') },
  { deliver: msg(2, 1, 'GATHER') },
  { client: [1, 'propose'] },
  { deliver: msg(1, 2, 'PROPOSE') },
  { deliver: msg(2, 1, 'ACK') },
  { deliver: msg(1, 0, 'HANDOVER') },
];
