// What the explorer tests share (explore.test.ts, exploreRead.test.ts): the csp world with its
// invariants (at most one value committed per slot on any node, ever; every acknowledged
// proposal is the value committed at its slot), and a search from a scripted prefix.
// Bigger bounds for torture: EXPLORE_DEPTH (added to each depth), EXPLORE_MS.
import {
  ackedAreChosen,
  atMostOneChosen,
  explore,
  formatExploreResult,
  type Invariant,
  type MessageWorld,
  messageWorld,
  modelAfter,
  type ScheduleStep,
  type WorldBounds,
} from '@quorumkit/test-harness';
import { expect, vi } from 'vitest';
import type { Msg } from '../src/core/types.js';
import { type CDisk, type CNode, type CObs, type COp, type CPersist, type CWorld, type CspWorldOptions, cspWorld } from './cspWorld.js';

export type CW = MessageWorld<CNode, CDisk, CPersist, Msg, COp, CObs>;
export type Step = ScheduleStep<Msg, COp>;

const chosen = (o: CObs) => (o.kind === 'chosen' ? { instance: o.instance, value: o.value } : undefined);
const acked = (o: CObs) => (o.kind === 'acked' ? { instance: o.instance, value: o.value } : undefined);
const invariants = [atMostOneChosen(chosen), ackedAreChosen(acked, chosen)];
export const extraDepth = Number(process.env.EXPLORE_DEPTH ?? 0);
const timeMsMax = Number(process.env.EXPLORE_MS ?? 600_000); // a safety net: the depth bounds decide, so a loaded machine is slower, not red

/** Ticks formedPrefix uses (every tick counts against ticksMax). */
export const formedTicks = 3;

export function world(o: Partial<CspWorldOptions>, bounds: WorldBounds): CW {
  return messageWorld(cspWorld(o), bounds, invariants as unknown as Invariant<CWorld>[]);
}

export function search(m: CW, prefix: Step[], depthMax: number) {
  const { model, lines } = modelAfter(m, prefix);
  const r = explore(model, { depthMax, timeMsMax });
  console.log(`prefix:\n${lines.map((l) => `    ${l}`).join('\n')}\n${formatExploreResult(r)}`);
  return r;
}

/** Today's cores: the search finds nothing and (at the CI depth) visits every state. */
export function expectNothingFound(m: CW, prefix: Step[], depthMax: number): void {
  const r = search(m, prefix, depthMax);
  expect(r.ok).toBe(true);
  expect(r.complete || extraDepth > 0).toBe(true);
}

/**
 * A mutation: `method` of `proto` runs with the object's node count `n` set to 1, so every
 * majority it computes is one vote. Restored by vi.restoreAllMocks().
 */
export function withMajorityOfOne<T extends object>(proto: T, method: keyof T & string): void {
  const real = proto[method] as unknown as (...a: unknown[]) => unknown;
  vi.spyOn(proto as Record<string, (...a: unknown[]) => unknown>, method).mockImplementation(function (this: { n: number }, ...args: unknown[]) {
    const n = this.n;
    this.n = 1;
    try {
      return real.apply(this, args);
    } finally {
      this.n = n;
    }
  });
}
