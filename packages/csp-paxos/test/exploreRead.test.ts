// Two rules of the new leader's read (RoundRead.merge), each searched with today's cores and
// broken as a mutation that must be found. (1) A slot is chosen (committed at once, not
// re-imposed) only when a majority of the answers hold its best entry: the explorer case and
// the kept transcript, the mutation need = 1. (2) Per slot the value of the highest round wins:
// before this case only the simulation saw it (sim.test.ts, client proposals; it takes three
// rounds); the mutation lets the lowest round win. The random simulation found the broken rule (sim.test.ts, e.g. SEED=145) but the
// other explorer cases did not: from their prefixes no tick is left, so no round starts by a
// timeout, and a round started by HANDOVER reads only above the slots the previous leader
// claims chosen (the mutated leader claims slot 0), so within their bounds no later leader
// reads slot 0 from the majority that lacks the value. Here node 2 times out in the prefix.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runSchedule, type WorldBounds } from '@quorumkit/test-harness';
import { RoundRead } from '../src/core/roundRead.js';
import type { Entry } from '../src/core/types.js';
import { minorityReadPrefix, minorityReadSchedule, twoRoundsPrefix } from './cspSchedules.js';
import { expectNothingFound, extraDepth, formedTicks, search, withMajorityOfOne, type Step, world } from './exploreKit.js';

describe('explorer: a slot is chosen on read only when a majority of the answers hold it (-l 1)', () => {
  const core = { interval: 1 };
  // One tick more than formedPrefix uses (node 2's timeout in the prefix). No node crashes, so
  // every persist is durable in its own step: the counterexample is 6 deliveries, and the whole
  // space to depth 6 is ~19,000 states (~3 s at load 6, ~11 s at load 10).
  const bounds: WorldBounds = { depthMax: 6 + extraDepth, crashable: [], ticksMax: formedTicks + 1, clientOpsMax: 2 };
  const notFlush = (steps: Step[], skipped: number[]) => skipped.filter((i) => !('flushAll' in steps[i]!));
  afterEach(() => vi.restoreAllMocks());

  /** The mutation: `need = 1` in RoundRead.merge (one answer holding the best entry makes it chosen). */
  function chosenOnOneAnswer(): void {
    withMajorityOfOne(RoundRead.prototype, 'merge');
  }

  it("kept transcript: a value one acceptor holds, committed on read, and another chosen by the majority that never saw it; today's core re-imposes instead", () => {
    const good = runSchedule(world({ core }, bounds), minorityReadSchedule);
    console.log(good.lines.join('\n'));
    expect(good.violation).toBeUndefined();
    // Today nothing of round 0 is committed: only the COMMIT the mutated read sends is missing.
    expect(notFlush(minorityReadSchedule, good.skipped)).toEqual([minorityReadSchedule.length - 1]);
    const chosenAt0 = good.world.ghost.map((g) => g.obs).filter((o) => o.kind === 'chosen' && o.instance === '0').map((o) => o.value);
    expect(chosenAt0).toEqual(['c2.1.1']);
    chosenOnOneAnswer();
    const bad = runSchedule(world({ core }, bounds), minorityReadSchedule);
    console.log(bad.lines.join('\n'));
    expect(notFlush(minorityReadSchedule, bad.skipped)).toEqual([]);
    expect(bad.violation?.invariant).toBe('at most one value chosen per instance');
    expect(bad.violation?.message).toMatch(/instance 0: chosen c0\.1\.1 and c2\.1\.1/);
    expect(bad.violation?.step).toBe(minorityReadSchedule.length - 1);
  });

  it("today's cores: node 1's read holds a value one acceptor accepted, node 2 reads the next round; nothing found, every state visited", () => {
    expectNothingFound(world({ core }, bounds), minorityReadPrefix, bounds.depthMax);
  }, 900_000);

  it('finds two values at slot 0 when one answer makes a slot chosen on read (mutated read)', () => {
    chosenOnOneAnswer();
    const r = search(world({ core }, bounds), minorityReadPrefix, bounds.depthMax);
    expect(r.ok).toBe(false);
    expect(r.violation!.invariant).toMatch(/at most one value/);
  }, 900_000);
});

describe('explorer: the read adopts the value of the highest round (-l 1)', () => {
  const core = { interval: 1 };
  // No tick beyond formedPrefix's, no crash: ~25,000 states to depth 6, complete (5 s at load 8).
  const bounds: WorldBounds = { depthMax: 6 + extraDepth, crashable: [], ticksMax: formedTicks, clientOpsMax: 2 };
  afterEach(() => vi.restoreAllMocks());

  it("today's cores: c0 in round 0 on node 0, c1 chosen in round 1, node 2 reading round 2; nothing found, every state visited", () => {
    expectNothingFound(world({ core }, bounds), twoRoundsPrefix, bounds.depthMax);
  }, 900_000);

  it('finds two values at slot 0 when the lowest round wins the read (mutated merge)', () => {
    // The mutation: merge runs on the answers with every round negated (so the lowest wins; the
    // vote count compares rounds for equality only), and the winners get their rounds back.
    const real = RoundRead.prototype.merge;
    vi.spyOn(RoundRead.prototype, 'merge').mockImplementation(function (this: RoundRead, readFrom: number, committed: number) {
      const self = this as unknown as { gathered: Map<number, Entry[]> };
      const kept = self.gathered;
      self.gathered = new Map([...kept].map(([node, es]) => [node, es.map((e) => ({ ...e, round: -e.round }))]));
      try {
        const r = real.call(this, readFrom, committed);
        for (const [slot, e] of r.best) r.best.set(slot, { ...e, round: -e.round });
        return r;
      } finally {
        self.gathered = kept;
      }
    });
    const r = search(world({ core }, bounds), twoRoundsPrefix, bounds.depthMax);
    expect(r.ok).toBe(false);
    expect(r.violation!.invariant).toMatch(/at most one value/);
  }, 900_000);
});
