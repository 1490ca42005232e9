// Property test over arbitrary interleavings of the pure core: fast-check picks which
// queued message is delivered or lost next, when time passes, which server gets a request,
// and when a server crashes (keeping its disk) or loses its disk (servers 0 and 1 only: a
// minority of 5). Messages in flight survive crashes and may reach the next incarnation.
// Delays are unbounded here, which the timed simulation cannot reach as easily.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalNet } from './helpers/localNet.js';

type Action =
  | { t: 'req'; node: number; size: number }
  | { t: 'deliver'; pick: number }
  | { t: 'drop'; pick: number }
  | { t: 'tick'; ms: number }
  | { t: 'crash'; node: number }
  | { t: 'wipe'; node: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('req' as const), node: fc.integer({ min: 0, max: 4 }), size: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 40, arbitrary: fc.record({ t: fc.constant('deliver' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('drop' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 150 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('crash' as const), node: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('wipe' as const), node: fc.integer({ min: 0, max: 1 }) }) },
);

function overlaps(net: LocalNet): string | undefined {
  const granted = [...net.done.entries()].filter(([, r]) => r.from > 0n).sort((a, b) => (a[1].from < b[1].from ? -1 : 1));
  for (let i = 1; i < granted.length; i++) {
    const [pa, a] = granted[i - 1]!;
    const [pb, b] = granted[i]!;
    if (b.from < a.to) return `request ${pa} got [${a.from},${a.to}) and request ${pb} got [${b.from},${b.to})`;
  }
  return undefined;
}

describe('arbitrary interleavings', () => {
  it('no two granted ranges ever overlap', () => {
    let granted = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.array(action, { minLength: 50, maxLength: 400 }), (actions) => {
        const net = new LocalNet(5, { attemptTimeoutMs: 200, deadlineMs: 2_000, recoveryIntervalMs: 50, recoveryRoundTimeoutMs: 300 });
        net.startAll();
        net.settle();
        let req = 0;
        for (const a of actions) {
          if (a.t === 'req') net.engines[a.node]!.nextId(++req, 'seq', BigInt(a.size));
          else if (a.t === 'deliver' && net.queue.length > 0) net.deliver(net.queue.splice(a.pick % net.queue.length, 1)[0]!);
          else if (a.t === 'drop' && net.queue.length > 0) net.queue.splice(a.pick % net.queue.length, 1);
          else if (a.t === 'tick') {
            net.now += a.ms;
            for (const e of net.engines) e.tick();
          } else if (a.t === 'crash') net.restart(a.node, false, true);
          else if (a.t === 'wipe') net.restart(a.node, true, true);
          const bad = overlaps(net);
          if (bad) throw new Error(bad);
        }
        // Then let everything settle: still no overlap.
        net.settle(50_000);
        expect(overlaps(net)).toBeUndefined();
        runs += 1;
        granted += [...net.done.values()].filter((r) => r.from > 0n).length;
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 300) },
    );
    // The schedules did grant ranges (a property that grants nothing proves nothing).
    expect(granted).toBeGreaterThan(runs * 3);
  }, 120_000);
});
