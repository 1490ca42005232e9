// Exhaustive small-scope exploration of the multi-version promise per key (test/keyPromiseWorld.ts):
// a writer holding a key promise (phase 2 only at k@0 then k@1) against a per-version Paxos
// writer at k@1, with deliver / drop / duplicate / crash before or after a persist / timeouts.
// Invariants: at most one value chosen per (k, version), every acknowledged write chosen.
// Negative check: acceptors that promise over versions they already hold state for (no covered
// check) let the key-promise writer overwrite a chosen value; the same search finds it.
// Bigger bounds: EXPLORE_DEPTH (added to each depth), EXPLORE_MS.
import { describe, expect, it } from 'vitest';
import {
  explore,
  formatExploreResult,
  messageWorld,
  type Invariant,
  type MessageWorld,
  type ScheduleStep,
  type World,
  type WorldBounds,
} from '@quorumkit/test-harness';
import { extraDepth, safetyInvariants, searchAfter, timeMsMax } from './exploreSetup.js';
import { type KDisk, type KMsg, type KNode, type KObs, type KeyPromiseWorldOptions, keyPromiseWorld } from './keyPromiseWorld.js';

type KW = MessageWorld<KNode, KDisk, KDisk, KMsg, 'write', KObs>;
type KState = World<KNode, KDisk, KDisk, KMsg, KObs>;
type Step = ScheduleStep<KMsg, 'write'>;

const invariants = safetyInvariants<KObs>();

function world(o: Partial<KeyPromiseWorldOptions>, bounds: WorldBounds): KW {
  return messageWorld(keyPromiseWorld(o), bounds, invariants as unknown as Invariant<KState>[]);
}
const search = (m: KW, prefix: Step[], depthMax: number) => searchAfter(m, prefix, depthMax);
/** writer w's messages to `to` delivered and made durable there, and the replies delivered */
const roundTrip = (w: number, to: number[]): Step[] => [
  ...to.map((a) => ({ deliver: { from: w, to: a } })),
  ...to.map((a) => ({ flushAll: a })),
  ...to.map((a) => ({ deliver: { from: a, to: w } })),
];
// writers: node 3 per-version Paxos at k@1 (ballot (1,3)), node 4 the key promise (ballot (1,4))
// The per-version writer got 31 chosen at k@1 through acceptors 0 and 1; then the key-promise
// writer asks acceptors 0 and 1 for a promise over k@1.. (both hold state there).
const chosenThenAsk: Step[] = [
  { client: [3, 'write'] }, ...roundTrip(3, [0, 1]), ...roundTrip(3, [0, 1]), { dropAll: { from: 3 } },
  { client: [4, 'write'] }, { deliver: { from: 4, to: 0 } }, { deliver: { from: 4, to: 1 } }, { flushAll: 0 }, { flushAll: 1 },
];
const askBounds: WorldBounds = { depthMax: 8 + extraDepth, crashable: [], clientOpsMax: 2 };
// The key-promise writer holds its promise over k@0.. from acceptors 0 and 1, got 40 chosen at
// k@0, and its Accept of 41 at k@1 (phase 2 only) is on the wire. The per-version writer's
// Prepare (1,3) at k@1 was refused by acceptors 0 and 1 (the key promise (1,4) covers k@1), so it
// retries at a higher ballot: that retry races the key promise's Accept.
const heldPrefix: Step[] = [
  { client: [4, 'write'] }, ...roundTrip(4, [0, 1]), ...roundTrip(4, [0, 1]),
  { client: [3, 'write'] }, ...roundTrip(3, [0, 1]),
];
// ... and the retry's Prepare reached acceptors 0 and 1 (1 is the one that may crash).
const racePrefix: Step[] = [...heldPrefix, { deliver: { from: 3, to: 0 } }, { deliver: { from: 3, to: 1 } }];
const keepBounds: WorldBounds = { depthMax: 8 + extraDepth, crashable: [], clientOpsMax: 2 };
const heldBounds: WorldBounds = { depthMax: 7 + extraDepth, crashable: [1], crashesMax: 1, dropsMax: 1, clientOpsMax: 2, ticksMax: 1 };

describe('explorer: key promises (PREPARE_FROM)', () => {
  it('catches acceptors that promise over versions they hold state for (no covered check)', () => {
    const r = search(world({ coveredCheck: false, kpFrom: 1 }, askBounds), chosenThenAsk, askBounds.depthMax);
    expect(r.ok).toBe(false);
    expect(r.violation!.invariant).toMatch(/at most one value|acknowledged/);
  }, 900_000);

  it("today's acceptors: the same search finds nothing, every state within the bounds visited", () => {
    const r = search(world({ kpFrom: 1 }, askBounds), chosenThenAsk, askBounds.depthMax);
    expect(r.ok).toBe(true);
    expect(r.complete || extraDepth > 0).toBe(true);
  }, 900_000);

  it('catches acceptors that store the key promise but do not keep it at a covered version', () => {
    const r = search(world({ applyKeyPromise: false }, keepBounds), heldPrefix, keepBounds.depthMax);
    expect(r.ok).toBe(false);
    expect(r.violation!.invariant).toMatch(/at most one value|acknowledged/);
  }, 900_000);

  it('a held promise racing a per-version writer that overtakes it at the next version, with a drop, a crash and a timeout', () => {
    const r = search(world({}, heldBounds), racePrefix, heldBounds.depthMax);
    expect(r.ok).toBe(true);
    expect(r.complete || extraDepth > 0).toBe(true);
  }, 900_000);

  it('from the empty state: both writers, a drop, a duplicate, a crash', () => {
    const bounds: WorldBounds = { depthMax: 7 + extraDepth, crashesMax: 1, dropsMax: 1, duplicatesMax: 1, clientOpsMax: 2, crashable: [0] };
    const r = explore(world({}, bounds), { depthMax: bounds.depthMax, timeMsMax });
    console.log(formatExploreResult(r));
    expect(r.ok).toBe(true);
    expect(r.complete || extraDepth > 0).toBe(true);
  }, 900_000);
});
