// Issue 17, the recovery gap: a promise that was in flight when an acceptor lost its disk.
// Writer 4 got acceptor 0's promise at (1,4) while its Prepare to acceptor 1 was still on the
// wire; acceptor 0 was wiped and re-learned from 1 and 2, neither of which had seen (1,4), so
// its floor stays below (1,4). Writer 3 then gets 30 chosen at (1,3) through 0 and 2. When 1
// finally promises (1,4), writer 4 holds a "majority" {0, 1} whose promise from 0 was
// forgotten, and without fencing 40 is chosen at (1,4) over the chosen 30.
// The fix: a recovering acceptor takes a new incarnation that the acceptors it re-learns from
// record before they hand over their state, and every reply says whom it knows at which
// incarnation, so a proposer drops a reply of an incarnation that is known to be over.
import { describe, expect, it } from 'vitest';
import {
  explore,
  formatExploreResult,
  messageWorld,
  modelAfter,
  runSchedule,
  type Invariant,
  type MessageWorld,
  type ScheduleStep,
  type World,
  type WorldBounds,
} from '@quorumkit/test-harness';
import { extraDepth, safetyInvariants, timeMsMax } from './exploreSetup.js';
import { type ADisk, type PMsg, type PNodeOrA, type PObs, type POp, type PaxosWorldOptions, paxosWorld } from './paxosWorld.js';

type PW = MessageWorld<PNodeOrA, ADisk, ADisk, PMsg, POp, PObs>;
type PState = World<PNodeOrA, ADisk, ADisk, PMsg, PObs>;
type Step = ScheduleStep<PMsg, POp>;

const invariants = safetyInvariants<PObs>() as unknown as Invariant<PState>[];

const world = (o: Partial<PaxosWorldOptions>, bounds: WorldBounds): PW => messageWorld(paxosWorld(o), bounds, invariants);
const from = (f: number, t: number, kind?: PMsg['t']) => ({ from: f, to: t, ...(kind ? { match: (m: PMsg) => m.t === kind } : {}) });

// Writer 4's Prepare reaches acceptor 0 only; 0 then loses its disk and re-learns from 1 and 2.
const inFlightThenRecovered: Step[] = [
  { client: [4, 'write'] },
  { deliver: from(4, 0) }, { flushAll: 0 }, { deliver: from(0, 4) },
  { crash: 0 }, { wipe: 0 }, { restart: 0 }, { flushAll: 0 },
  { deliver: from(0, 1) }, { deliver: from(0, 2) }, { deliverAll: from(1, 0) }, { deliverAll: from(2, 0) }, { flushAll: 0 },
  // a stale answer (acceptor 1 saying "unknown incarnation, try above") is redelivered above
  { deliverAll: from(0, 1) }, { deliverAll: from(0, 2) }, { deliverAll: from(1, 0) }, { deliverAll: from(2, 0) }, { flushAll: 0 },
];
// ... writer 3 gets 30 chosen at (1,3) through acceptors 0 and 2.
const secondValueChosen: Step[] = [
  ...inFlightThenRecovered,
  { client: [3, 'write'] },
  { deliver: from(3, 0, 'prep') }, { deliver: from(3, 2, 'prep') }, { flushAll: 0 }, { deliver: from(0, 3) }, { deliver: from(2, 3) },
  { deliver: from(3, 0, 'acc') }, { deliver: from(3, 2, 'acc') }, { flushAll: 0 }, { deliver: from(0, 3) }, { deliver: from(2, 3) },
];
// ... and the Prepare that was on the wire reaches acceptor 1; writer 4 runs phase 2 on 1 and 0.
const staleMajority: Step[] = [
  ...secondValueChosen,
  { deliver: from(4, 1, 'prep') }, { deliver: from(1, 4) },
  { deliver: from(4, 1, 'acc') }, { deliver: from(4, 0, 'acc') }, { flushAll: 0 }, { deliver: from(1, 4) }, { deliver: from(0, 4) },
];

describe('recovery: a promise in flight across a disk loss', () => {
  it('the scripted schedule chooses one value (writer 4 does not count the forgotten promise)', () => {
    const r = runSchedule(world({}, { depthMax: 100, crashable: [0], crashesMax: 1, wipesMax: 1, clientOpsMax: 2 }), staleMajority);
    console.log(r.lines.join('\n'));
    expect(r.violation, r.violation ? `${r.violation.invariant}: ${r.violation.message}` : '').toBeUndefined();
  });

  it('without fencing the same schedule chooses two values (the gap)', () => {
    const r = runSchedule(world({ fencing: false }, { depthMax: 100, crashable: [0], crashesMax: 1, wipesMax: 1, clientOpsMax: 2 }), staleMajority);
    expect(r.violation?.invariant).toMatch(/at most one value/);
  });

  const bounds: WorldBounds = { depthMax: 8 + extraDepth, crashable: [0], crashesMax: 1, clientOpsMax: 2, dropsMax: 1 };
  const searchAfter = (o: Partial<PaxosWorldOptions>) => {
    const { model, lines } = modelAfter(world(o, bounds), secondValueChosen);
    // modelAfter keeps the prefix's last step, whose partial-order reduction would skip every
    // action at a lower node as "explored in the other order" (it was not: the prefix is fixed)
    const start = { ...model.init(), last: undefined };
    const r = explore({ ...model, init: () => start }, { depthMax: bounds.depthMax, timeMsMax });
    console.log(`prefix:\n${lines.map((l) => `    ${l}`).join('\n')}\n${formatExploreResult(r)}`);
    return r;
  };

  it('every continuation once the other value is chosen: nothing found, every state within the bounds visited', () => {
    const r = searchAfter({});
    expect(r.ok).toBe(true);
    expect(r.complete || extraDepth > 0).toBe(true);
  }, 900_000);

  it('the same search without fencing finds the second value', () => {
    const r = searchAfter({ fencing: false });
    expect(r.ok).toBe(false);
    expect(r.violation!.invariant).toMatch(/at most one value/);
  }, 900_000);
});
