// Exhaustive small-scope exploration of the paxoskv cores (issue 17 item 8): the harness
// explorer over test/paxosWorld.ts (acceptor rules, recovery, the KV fast path's value choice)
// with deliver / drop / duplicate / crash before or after a persist / wipe / restart.
// Invariants: at most one value chosen for (k, 0), and every acknowledged write is chosen.
// Negative checks: the same searches catch the KV fast-path mutation (a writer proposes its
// own value instead of the one phase 1 saw) and a wiped acceptor that votes at once.
// Bigger bounds for torture: EXPLORE_DEPTH (added to each depth), EXPLORE_MS.
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
import type { Value } from '../src/core/index.js';
import { extraDepth, safetyInvariants, searchAfter, timeMsMax } from './exploreSetup.js';
import { type ADisk, type PMsg, type PNodeOrA, type PObs, type POp, type PaxosWorldOptions, paxosWorld } from './paxosWorld.js';

type PW = MessageWorld<PNodeOrA, ADisk, ADisk, PMsg, POp, PObs>;
type PState = World<PNodeOrA, ADisk, ADisk, PMsg, PObs>;
type Step = ScheduleStep<PMsg, POp>;

const invariants = safetyInvariants<PObs>();
/** the mutation item 8 names: the fast path proposes its own value, ignoring what phase 1 saw */
const ownValue = (_p1: Value | null, mine: Value): Value => mine;

function world(o: Partial<PaxosWorldOptions>, bounds: WorldBounds): PW {
  return messageWorld(paxosWorld(o), bounds, invariants as unknown as Invariant<PState>[]);
}

const search = (m: PW, prefix: Step[], depthMax: number) => searchAfter(m, prefix, depthMax);

const from = (f: number, t: number) => ({ from: f, to: t });
// Writer 3 got 30 chosen and acknowledged through acceptors 0 and 1; acceptor 2 saw nothing.
const chosenPrefix: Step[] = [
  { client: [3, 'write'] },
  { deliver: from(3, 0) }, { deliver: from(3, 1) }, { flushAll: 0 }, { flushAll: 1 },
  { deliver: from(0, 3) }, { deliver: from(1, 3) },
  { deliver: from(3, 0) }, { deliver: from(3, 1) }, { flushAll: 0 }, { flushAll: 1 },
  { deliver: from(0, 3) }, { deliver: from(1, 3) },
  { dropAll: { from: 3 } },
];
// ... then acceptor 0 loses its disk and comes back.
const wipePrefix: Step[] = [...chosenPrefix, { crash: 0 }, { wipe: 0 }, { restart: 0 }];
// ... and it re-learned from acceptors 1 and 2 (its floor is durable).
const recoveredPrefix: Step[] = [
  ...wipePrefix,
  { flushAll: 0 },
  { deliver: from(0, 1) }, { deliver: from(0, 2) }, { deliver: from(1, 0) }, { deliver: from(2, 0) }, { flushAll: 0 },
];
const recoveredBounds: WorldBounds = { depthMax: 13 + extraDepth, crashable: [0], crashesMax: 2, wipesMax: 1, clientOpsMax: 2, ticksMax: 1 };
const fastBounds: WorldBounds = { depthMax: 10 + extraDepth, crashable: [], dropsMax: 1, clientOpsMax: 2 };
const wipeBounds: WorldBounds = { depthMax: 10 + extraDepth, crashable: [0], crashesMax: 1, wipesMax: 1, clientOpsMax: 2 };

describe('explorer catches the bugs of item 8 (mutated cores)', () => {
  it('the KV fast path proposing its own value instead of the one phase 1 saw', () => {
    const r = search(world({ fastPath: ownValue }, fastBounds), chosenPrefix, fastBounds.depthMax);
    expect(r.ok).toBe(false);
    expect(r.violation!.invariant).toMatch(/at most one value|acknowledged/);
  }, 900_000);

  it('a wiped acceptor voting at once', () => {
    const r = search(world({ recovery: false }, wipeBounds), wipePrefix, wipeBounds.depthMax);
    expect(r.ok).toBe(false);
    expect(r.violation!.invariant).toMatch(/at most one value|acknowledged/);
  }, 900_000);
});

describe("explorer: today's cores", () => {
  it('after a chosen value: nothing found, every state within the bounds visited', () => {
    const r = search(world({}, fastBounds), chosenPrefix, fastBounds.depthMax);
    expect(r.ok).toBe(true);
    expect(r.complete || extraDepth > 0).toBe(true);
  }, 900_000);

  it('a wiped acceptor recovers before it votes: nothing found, every state within the bounds visited', () => {
    const r = search(world({}, wipeBounds), wipePrefix, wipeBounds.depthMax);
    expect(r.ok).toBe(true);
    expect(r.complete || extraDepth > 0).toBe(true);
  }, 900_000);

  it('after the wiped acceptor re-learned: nothing found, every state within the bounds visited', () => {
    const r = search(world({}, recoveredBounds), recoveredPrefix, recoveredBounds.depthMax);
    expect(r.ok).toBe(true);
    expect(r.complete || extraDepth > 0).toBe(true);
  }, 900_000);

  it('from the empty state: 2 writers, a drop, a duplicate, a crash, a wipe', () => {
    const bounds: WorldBounds = { depthMax: 7 + extraDepth, crashesMax: 1, wipesMax: 1, dropsMax: 1, duplicatesMax: 1, clientOpsMax: 2, crashable: [0] };
    const r = explore(world({}, bounds), { depthMax: bounds.depthMax, timeMsMax });
    console.log(formatExploreResult(r));
    expect(r.ok).toBe(true);
    expect(r.complete || extraDepth > 0).toBe(true);
  }, 900_000);
});
