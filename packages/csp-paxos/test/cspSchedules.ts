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
