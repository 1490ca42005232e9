// Issue 19 item 4: properties that survived mutants before, asserted directly.
import { describe, expect, it } from 'vitest';
import { LocalNet } from './helpers/localNet.js';

describe('steady state, boot counter and read repair', () => {
  it('a steady stream of allocations takes one round (ADVANCE only) and one persist per replica each', () => {
    const net = new LocalNet(3);
    net.bootstrap();
    net.engines[0]!.nextId(1, 'seq', 10n);
    net.settle();
    expect(net.done.get(1)).toEqual({ from: 1n, to: 11n });
    for (let k = 2; k <= 4; k++) {
      const before = [...net.persists];
      net.engines[0]!.nextId(k, 'seq', 10n);
      // The local ADVANCE is applied at once; what leaves is one ADVANCE per peer, no READ.
      const out = net.queue.filter((m) => m.kind === 'ops');
      expect(out.map((m) => (m.kind === 'ops' ? m.ops.map((o) => o.kind).join() : ''))).toEqual(['ADVANCE', 'ADVANCE']);
      net.settle();
      expect(net.done.get(k)).toEqual({ from: BigInt(1 + 10 * (k - 1)), to: BigInt(1 + 10 * k) });
      expect(net.persists.map((p, i) => p - before[i]!)).toEqual([1, 1, 1]);
    }
  });

  it('every restart bumps the boot counter before answering: tokens from before the crash are refused', () => {
    const net = new LocalNet(3);
    net.bootstrap();
    const bootBefore = net.disk[1]!.boot;
    const oldToken = net.engines[1]!.replica.token;
    net.restart(1);
    expect(net.disk[1]!.boot).toBe(bootBefore + 1);
    expect(net.engines[1]!.replica.token).not.toBe(oldToken);
    const results: string[] = [];
    net.engines[1]!.handlePeerOps(0, [{ id: 'x', kind: 'ADVANCE', name: 'seq', from: 1n, to: 5n, token: oldToken, membership: '' }], (r) => results.push(r[0]!.status));
    expect(results).toEqual(['REJECT']);
  });

  it('read repair raises a replica that missed a write', () => {
    const net = new LocalNet(3);
    net.bootstrap();
    // Node 2 misses [1,101): everything to or from it is dropped meanwhile.
    net.engines[0]!.nextId(1, 'seq', 100n);
    for (let i = 0; i < 50 && !net.done.has(1); i++) {
      for (const m of net.queue.splice(0)) if (m.to !== 2 && m.from !== 2) net.deliver(m);
    }
    expect(net.done.get(1)).toEqual({ from: 1n, to: 101n });
    expect(net.engines[2]!.curId('seq')).toBe(1n);
    // The next allocation reaches node 2: it rejects (stale token/value) and is raised.
    net.engines[1]!.nextId(2, 'seq', 1n);
    net.settle();
    expect(net.done.get(2)?.from).toBeGreaterThanOrEqual(101n);
    const end = net.done.get(2)!.to;
    expect(net.engines[2]!.curId('seq')).toBe(end);
    expect(net.engines.reduce((n, e) => n + e.coordinator.stats.repairs, 0)).toBeGreaterThan(0);
  });
});
