// Exhaustive small-scope exploration of the certain core (harness explorer over messageWorld):
// 3 replicas, proposers 0 and 1 (2 in the wipe world), entries 1-2 of one entity, and every
// interleaving of deliver / drop / duplicate / crash before or after a persist (flush) / wipe
// / restart / timers within the bounds. Invariants: at most one value chosen per (entity,
// entry), and every acknowledged write is in the chosen log.
//
// The per-state cost (a deep copy of three replicas' cores) keeps full-depth search from the
// empty state out of CI reach, so each search starts from a short scripted prefix (printed)
// and explores everything after it. On the core as it was before the issue-16 fixes
// (test/fixtures/coreBeforeIssue16) it finds bugs 1 and 2; the shortest schedules found are
// kept below as regression transcripts (runSchedule). On today's core nothing is found.
// Bigger bounds for torture: EXPLORE_DEPTH (added to each search's depth), EXPLORE_MS.
import { describe, expect, it } from 'vitest';
import {
  ackedAreChosen, atMostOneChosen, explore, formatExploreResult, messageWorld, modelAfter, runSchedule,
  type Invariant, type MessageWorld, type ScheduleStep, type World, type WorldBounds,
} from '@quorumkit/test-harness';
import { certainWorld, type CDisk, type CMsg, type CNode, type CObs, type COp, type CPersist, type CertainWorldOptions, type CoreModule } from './certainWorld.js';
import * as oldCore from './fixtures/coreBeforeIssue16/index.js';

type CW = MessageWorld<CNode, CDisk, CPersist, CMsg, COp, CObs>;
type CState = World<CNode, CDisk, CPersist, CMsg, CObs>;
type Step = ScheduleStep<CMsg, COp>;

const chosen = (o: CObs) => (o.kind === 'chosen' ? { instance: o.instance, value: o.value } : undefined);
const acked = (o: CObs) => (o.kind === 'acked' ? { instance: o.instance, value: o.value } : undefined);
const invariants = [atMostOneChosen(chosen), ackedAreChosen(acked, chosen)];
const OLD = oldCore as unknown as CoreModule;
const extraDepth = Number(process.env.EXPLORE_DEPTH ?? 0);
const timeMsMax = Number(process.env.EXPLORE_MS ?? 600_000); // a safety net: the depth bounds decide, so a loaded machine is slower, not red

function world(o: Partial<CertainWorldOptions>, bounds: WorldBounds): CW {
  const spec = certainWorld({ nodes: 3, entities: [1n], proposers: [0, 1], writesPerNode: 2, recovery: true, ...o });
  return messageWorld(spec, bounds, invariants as unknown as Invariant<CState>[]);
}

const op = (value: string): COp => ({ entity: 1n, value });
const from = (f: number, t: number) => ({ from: f, to: t });

// Bug 1 world: P = 0 has a majority of promises for V1 (its accept leaves with the persist).
const bug1Prefix: Step[] = [
  { client: [0, op('n0w0')] }, { flushAll: 0 }, { deliver: from(0, 1) }, { flushAll: 1 }, { deliver: from(1, 0) },
  { deliver: from(0, 1) }, // ... and its early accept reaches A
];
const bug1Bounds: WorldBounds = { depthMax: 8 + extraDepth, crashesMax: 1, clientOpsMax: 2 };

// Bug 2 world: C = 2 promised P's ballot and went down; P and A chose V1 (acknowledged); A
// lost its disk and is back; C is back.
const bug2Prefix: Step[] = [
  { client: [0, op('n0w0')] }, { flushAll: 0 }, { deliver: from(0, 2) }, { flushAll: 2 }, { crash: 2 }, { dropAll: { to: 2 } },
  { deliver: from(0, 1) }, { flushAll: 1 }, { deliver: from(1, 0) }, { flushAll: 0 },
  { deliver: from(0, 1) }, { flushAll: 1 }, { deliverAll: from(1, 0) }, { flushAll: 0 }, { flushAll: 1 },
  { dropAll: { to: 2 } }, { crash: 1 }, { wipe: 1 }, { restart: 1 }, { restart: 2 }, { dropAll: { from: 2 } },
];
const bug2Bounds: WorldBounds = { depthMax: 6 + extraDepth, clientOpsMax: 3, ticksMax: 3 };
const bug2World = (o: Partial<CertainWorldOptions>) => world({ proposers: [0, 2], ...o }, { ...bug2Bounds, crashesMax: 2 });

function search(m: CW, prefix: Step[], depthMax: number) {
  const { model, lines } = modelAfter(m, prefix);
  const r = explore(model, { depthMax, timeMsMax });
  console.log(`prefix:\n${lines.map((l) => `    ${l}`).join('\n')}\n${formatExploreResult(r)}`);
  return r;
}

describe('explorer: the core before the fixes', () => {
  it('finds bug 1: an accept counted before the proposer made it durable', () => {
    const r = search(world({ core: OLD, recovery: false }, bug1Bounds), bug1Prefix, bug1Bounds.depthMax);
    expect(r.ok).toBe(false);
    expect(r.violation!.invariant).toMatch(/at most one value|acknowledged/);
  }, 900_000);

  it('finds bug 2: a wiped replica votes at once', () => {
    const r = search(bug2World({ core: OLD, recovery: false }), bug2Prefix, bug2Bounds.depthMax);
    expect(r.ok).toBe(false);
    expect(r.violation!.invariant).toMatch(/at most one value|acknowledged/);
  }, 900_000);
});

describe('explorer: today\'s core', () => {
  it('bug-1 world: nothing found, every state within the bounds visited', () => {
    const r = search(world({}, bug1Bounds), bug1Prefix, bug1Bounds.depthMax);
    expect(r.ok).toBe(true);
    expect(r.complete || extraDepth > 0).toBe(true);
  }, 900_000);

  it('bug-2 world with recovery mode: nothing found, every state within the bounds visited', () => {
    const r = search(bug2World({}), bug2Prefix, bug2Bounds.depthMax);
    expect(r.ok).toBe(true);
    expect(r.complete || extraDepth > 0).toBe(true);
  }, 900_000);

  it('from the empty state: 2 proposers, drops, duplicates, crashes, a wipe', () => {
    const m = world({}, { depthMax: 7 + extraDepth, crashesMax: 1, wipesMax: 1, dropsMax: 1, duplicatesMax: 1, clientOpsMax: 2, ticksMax: 1 });
    const r = explore(m, { depthMax: 7 + extraDepth, timeMsMax });
    console.log(formatExploreResult(r));
    expect(r.ok).toBe(true);
    expect(r.complete || extraDepth > 0).toBe(true);
  }, 900_000);
});

// The shortest schedules the explorer found on the old core, kept as regression transcripts.
const bug1Found: Step[] = [
  ...bug1Prefix,
  { crash: 1 }, { restart: 1 }, { client: [1, op('n1w1')] }, { flushAll: 1 }, { deliver: from(1, 2) }, { flushAll: 2 },
  { deliver: from(2, 1) }, { deliver: from(1, 2) },
];
const bug2Found: Step[] = [
  ...bug2Prefix,
  { client: [2, op('n2w1')] }, { flushAll: 2 }, { deliver: from(2, 1) }, { flushAll: 1 }, { deliver: from(1, 2) }, { deliver: from(2, 1) },
];

describe('regression transcripts (found by the explorer)', () => {
  it('bug 1: two values on the old core, one on today\'s', () => {
    const old = runSchedule(world({ core: OLD, recovery: false }, bug1Bounds), bug1Found);
    expect(old.violation?.invariant).toBe('at most one value chosen per instance');
    const now = runSchedule(world({}, bug1Bounds), bug1Found);
    expect(now.violation).toBeUndefined();
  });

  it('bug 2: two values on the old core, one on today\'s (the wiped replica is a learner)', () => {
    const old = runSchedule(bug2World({ core: OLD, recovery: false }), bug2Found);
    expect(old.violation?.invariant).toBe('at most one value chosen per instance');
    const now = runSchedule(bug2World({}), bug2Found);
    expect(now.violation).toBeUndefined();
    expect(now.world.slots[1]!.node!.recovering).toBe(true);
  });
});

// The same hole in today's message flow (acceptors answer the proposer only, the proposer
// tells them by commit notice): P = 0's accept of n0w0 reaches A = 1 before P made it
// durable; P crashes (its messages to C still in flight are lost), restarts (its promise is
// durable, its accept is not) and gets a new value chosen with C = 2. Had A counted P's
// accept (or its own before its write landed) it would have declared n0w0 chosen at once:
// the durability rule is what keeps this schedule safe (red with the rule broken).
const bug1NewFlow: Step[] = [
  ...bug1Prefix,
  { crash: 0 }, { dropAll: { from: 0, to: 2 } }, { restart: 0 }, { client: [0, op('n0w1')] }, { flushAll: 0 },
  { deliver: from(0, 2) }, { flushAll: 2 }, { deliver: from(2, 0) }, { flushAll: 0 }, { deliver: from(0, 2) }, { flushAll: 2 },
  { deliverAll: from(2, 0) }, { flushAll: 0 }, { flushAll: 1 }, { deliverAll: from(1, 0) }, { deliverAll: from(0, 1) }, { flushAll: 1 },
];

describe('regression transcript in the commit-notice flow', () => {
  it('bug-1 schedule: one value chosen, and the acceptor that held the other one learns it', () => {
    const r = runSchedule(world({}, { ...bug1Bounds, depthMax: 40 }), bug1NewFlow);
    console.log(r.lines.join('\n'));
    expect(r.violation).toBeUndefined();
    const chosenHere = (node: number) => r.world.slots[node]!.node!.log['1:1'];
    expect(chosenHere(0)).toBeDefined();
    expect(new TextDecoder().decode(chosenHere(0)!.value!)).toBe('n0w1');
  });
});

