// A round started by a timeout while the previous leader's batch is in flight. The other
// explorer cases start rounds only by HANDOVER once their prefixes used every tick, and a
// handed-over batch is counted by the tail (tail.ts), so the rule that a batch of the leader's
// current round is chosen only on a majority of ACKs (BatchWindow.ack) was seen by the random
// simulation alone (sim.test.ts, wipe.test.ts); here it is searched, and broken as a mutation.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WorldBounds } from '@quorumkit/test-harness';
import { BatchWindow } from '../src/core/batchWindow.js';
import { timeoutPrefix } from './cspSchedules.js';
import { expectNothingFound, extraDepth, formedTicks, search, withMajorityOfOne, world } from './exploreKit.js';

describe('explorer: a batch is chosen only on a majority of ACKs (a round started by a timeout)', () => {
  // One tick more than formedPrefix uses (node 1's timeout in the prefix); the leader of round 0
  // may crash once, before or after a persist, and restart. To depth 6: ~9,000 states, complete
  // (2.5 s at load 6).
  const bounds: WorldBounds = { depthMax: 6 + extraDepth, crashable: [0], crashesMax: 1, ticksMax: formedTicks + 1, clientOpsMax: 2 };
  afterEach(() => vi.restoreAllMocks());

  it("today's cores: node 0's value on its own acceptor only, node 1 reading round 1; nothing found, every state visited", () => {
    expectNothingFound(world({}, bounds), timeoutPrefix, bounds.depthMax);
  }, 900_000);

  it("finds two values at slot 0 when the leader's own ACK chooses its batch (mutated window)", () => {
    // The mutation: BatchWindow.ack counts against a majority of 1.
    withMajorityOfOne(BatchWindow.prototype, 'ack');
    const r = search(world({}, bounds), timeoutPrefix, bounds.depthMax);
    expect(r.ok).toBe(false);
    expect(r.violation!.invariant).toMatch(/at most one value/);
  }, 900_000);
});
