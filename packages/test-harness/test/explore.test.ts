import { describe, expect, it } from 'vitest';
import {
  ackedAreChosen, atMostOneChosen, cloneDeep, explore, formatExploreResult, messageWorld, modelAfter, runSchedule,
  stableStringify, type ExploreModel, type WorldBounds,
} from '../src/index.js';
import { type ToyBugs, type ToyMsg, type ToyObs, toySpec } from './explore/toyPaxos.js';

const chosen = (o: ToyObs) => (o.kind === 'chosen' ? o : undefined);
const acked = (o: ToyObs) => (o.kind === 'acked' ? o : undefined);

function toyWorld(bugs: ToyBugs, bounds: WorldBounds) {
  return messageWorld(toySpec(bugs), bounds, [atMostOneChosen(chosen), ackedAreChosen(acked, chosen)]);
}

describe('explore (generic BFS)', () => {
  // A counter that may add 1 or 2; "never reaches 5" is violated, shortest path is 3 steps.
  const counter: ExploreModel<number, 1 | 2> = {
    init: () => 0,
    actions: (s) => (s < 10 ? [1, 2] : []),
    step: (s, a) => s + a,
    key: (s) => String(s),
    describe: (a, b, t) => `+${a}: ${b} -> ${t}`,
    invariants: [{ name: 'below 5', check: (s) => (s >= 5 ? `reached ${s}` : null) }],
  };

  it('finds a shortest counterexample and renders it', () => {
    const r = explore(counter, { depthMax: 10 });
    expect(r.ok).toBe(false);
    expect(r.violation!.actions).toHaveLength(3);
    expect(r.violation!.transcript[0]).toMatch(/^\+\d: 0 -> \d$/);
    expect(formatExploreResult(r)).toMatch(/VIOLATION of "below 5" after 3 steps/);
  });

  it('visits each state once and reports complete when the bounds were covered', () => {
    const r = explore({ ...counter, invariants: [] }, { depthMax: 20 });
    expect(r).toMatchObject({ ok: true, complete: true, statesExplored: 12 }); // 0..11
  });

  it('says when statesMax stopped it', () => {
    const r = explore({ ...counter, invariants: [] }, { depthMax: 20, statesMax: 5 });
    expect(r.complete).toBe(false);
    expect(r.stoppedBy).toBe('statesMax');
  });
});

describe('cloneDeep / stableStringify', () => {
  class Box {
    m = new Map<string, bigint>([['b', 2n], ['a', 1n]]);
    s = new Set([3, 1]);
    bytes = Uint8Array.of(1, 2);
    get size() {
      return this.m.size;
    }
  }
  it('keeps prototypes and copies deeply', () => {
    const a = new Box();
    const b = cloneDeep(a);
    expect(b).toBeInstanceOf(Box);
    expect(b.size).toBe(2);
    b.m.set('c', 3n);
    b.bytes[0] = 9;
    expect(a.m.size).toBe(2);
    expect(a.bytes[0]).toBe(1);
  });
  it('gives equal text for equal state built in another order', () => {
    const a = new Box();
    const b = new Box();
    b.m = new Map([['a', 1n], ['b', 2n]]);
    b.s = new Set([1, 3]);
    expect(stableStringify(a)).toBe(stableStringify(b));
    b.m.set('a', 5n);
    expect(stableStringify(a)).not.toBe(stableStringify(b));
  });
});

describe('messageWorld on a toy Paxos', () => {
  // The wipe bug needs 15 steps, the crash bug 13: the buggy toys are explored to there. The
  // correct toy is checked exhaustively to depth 13 in CI and EXPLORE_DEPTH=<n> steps deeper
  // (npm run torture): ~55k and ~110k states at 13, ~290k for the wipe bounds at 15.
  const wipeBounds: WorldBounds = { depthMax: 15, crashesMax: 1, wipesMax: 1, clientOpsMax: 2, crashable: [1] };
  const crashBounds: WorldBounds = { depthMax: 13, crashesMax: 1, clientOpsMax: 2, crashable: [1] };
  const correctDepth = 13 + Number(process.env.EXPLORE_DEPTH ?? 0);
  const budget = { timeMsMax: 600_000 };

  it('finds the wipe bug: a wiped acceptor that votes at once lets two values be chosen', { timeout: 900_000 }, () => {
    const w = toyWorld({ wipedVotesAtOnce: true }, wipeBounds);
    const r = explore(w, { depthMax: wipeBounds.depthMax, ...budget });
    console.log(formatExploreResult(r));
    expect(r.ok).toBe(false);
    expect(r.violation!.invariant).toBe('at most one value chosen per instance');
    expect(r.violation!.transcript.join('\n')).toMatch(/disk WIPED/);
  });

  it('finds the crash-before-persist bug: a promise sent before it is durable', { timeout: 900_000 }, () => {
    const w = toyWorld({ promiseBeforePersist: true }, crashBounds);
    const r = explore(w, { depthMax: crashBounds.depthMax, ...budget });
    console.log(formatExploreResult(r));
    expect(r.ok).toBe(false);
    expect(r.violation!.transcript.join('\n')).toMatch(/CRASH before persisting/);
  });

  it('the correct toy holds, exhaustively (depth 13 in CI, EXPLORE_DEPTH for more)', { timeout: 900_000 }, () => {
    for (const bounds of [wipeBounds, crashBounds]) {
      const r = explore(toyWorld({}, bounds), { depthMax: correctDepth, ...budget });
      console.log(formatExploreResult(r));
      expect(r.ok).toBe(true);
      expect(r.complete).toBe(true);
      expect(r.statesExplored).toBeGreaterThan(1000);
    }
  });

  it('runSchedule replays a counterexample by role, and the fixed protocol survives it', () => {
    const schedule = [
      { client: [0, 'propose'] as [number, 'propose'] },
      { deliver: { to: 1, match: (m: ToyMsg) => m.t === 'prep' } },
      { flushAll: 1 }, { deliverAll: { to: 0 } }, { flushAll: 0 },
      { deliver: { to: 1, match: (m: ToyMsg) => m.t === 'acc' } }, { flushAll: 1 }, { deliverAll: { to: 0 } },
      { crash: 1 }, { wipe: 1 }, { restart: 1 },
      { dropAll: { to: 2 } },
      { client: [2, 'propose'] as [number, 'propose'] },
      { deliverAll: { to: 1 } }, { flushAll: 1 }, { deliverAll: { to: 2 } }, { flushAll: 2 },
      { deliverAll: { to: 1 } }, { flushAll: 1 }, { deliverAll: { to: 2 } }, { flushAll: 2 },
    ];
    const buggy = runSchedule(toyWorld({ wipedVotesAtOnce: true }, { ...wipeBounds, dropsMax: 10 }), schedule);
    expect(buggy.violation?.invariant).toBe('at most one value chosen per instance');
    const fixed = runSchedule(toyWorld({}, { ...wipeBounds, dropsMax: 10 }), schedule);
    expect(fixed.violation).toBeUndefined();
    expect(fixed.lines.some((l) => l.includes('not enabled'))).toBe(true); // the recovering node does not vote
  });

  it('modelAfter explores everything after a scripted prefix, and refuses a prefix step that cannot run', () => {
    const prefix = [
      { client: [0, 'propose'] as [number, 'propose'] },
      { deliver: { to: 1, match: (m: ToyMsg) => m.t === 'prep' } }, { flushAll: 1 }, { deliverAll: { to: 0 } },
      { deliver: { to: 1, match: (m: ToyMsg) => m.t === 'acc' } }, { flushAll: 1 }, { deliverAll: { to: 0 } },
    ];
    const after = modelAfter(toyWorld({ wipedVotesAtOnce: true }, wipeBounds), prefix);
    expect(after.lines.join('\n')).toMatch(/accepted/);
    const r = explore(after.model, { depthMax: 12, ...budget });
    expect(r.ok).toBe(false);
    expect(r.violation!.transcript.join('\n')).toMatch(/disk WIPED/);
    expect(() => modelAfter(toyWorld({}, wipeBounds), [{ restart: 0 }])).toThrow(/did not run/);
  });
});
