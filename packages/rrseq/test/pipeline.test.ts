// Issue 19 speed line: allocations of one name are pipelined (up to pipelineDepth
// conditional writes in flight), each still safe on its own: a replica accepts
// ADVANCE(from -> to) only if its value <= from, so reordered writes can fail an attempt,
// never make two ranges overlap.
import { describe, expect, it } from 'vitest';
import { LocalNet } from './helpers/localNet.js';

function advancesInFlight(net: LocalNet): number {
  return net.queue.flatMap((m) => (m.kind === 'ops' ? m.ops : [])).filter((o) => o.kind === 'ADVANCE').length;
}

describe('pipelined allocations of one name', () => {
  it('a request arriving while an allocation is in flight starts its own write at once', () => {
    const net = new LocalNet(3, { pipelineDepth: 4 });
    net.engines[0]!.nextId(1, 'seq', 10n);
    net.settle();
    expect(net.done.get(1)).toEqual({ from: 1n, to: 11n });
    net.engines[0]!.nextId(2, 'seq', 10n);
    net.engines[0]!.nextId(3, 'seq', 5n);
    // Two attempts in flight: one ADVANCE per peer each.
    expect(advancesInFlight(net)).toBe(4);
    net.settle();
    expect(net.done.get(2)).toEqual({ from: 11n, to: 21n });
    expect(net.done.get(3)).toEqual({ from: 21n, to: 26n });
  });

  it('with pipelineDepth 1 the second request waits for the first (the former behaviour)', () => {
    const net = new LocalNet(3, { pipelineDepth: 1 });
    net.engines[0]!.nextId(1, 'seq', 10n);
    net.settle();
    net.engines[0]!.nextId(2, 'seq', 10n);
    net.engines[0]!.nextId(3, 'seq', 5n);
    expect(advancesInFlight(net)).toBe(2);
    net.settle();
    expect(net.done.get(3)).toEqual({ from: 21n, to: 26n });
  });

  it('writes reordered at a peer fail at most the overtaken attempt there; granted ranges never overlap', () => {
    const net = new LocalNet(3, { pipelineDepth: 4 });
    net.engines[0]!.nextId(1, 'seq', 10n);
    net.settle();
    for (let k = 2; k <= 5; k++) net.engines[0]!.nextId(k, 'seq', 3n);
    // Peer 1 gets the writes newest first; peer 2 never gets them until later.
    const toPeer1 = net.queue.filter((m) => m.to === 1);
    const rest = net.queue.filter((m) => m.to !== 1);
    net.queue.length = 0;
    for (const m of toPeer1.reverse()) net.deliver(m);
    for (const m of rest) net.queue.push(m);
    net.settle();
    const ranges = [...net.done.values()].filter((r) => !r.error).map((r) => [r.from, r.to] as const);
    expect(ranges.length).toBe(5);
    const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]![0]).toBeGreaterThanOrEqual(sorted[i - 1]![1]);
  });
});
