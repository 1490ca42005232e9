import { runSeeds } from '@quorumkit/test-harness';
import { describe, expect, it } from 'vitest';
import { runSim } from './simHarness.js';

describe('simulation of the pure core (rules 1-3 in every run)', () => {
  it('no faults: every node commits the same prefix', () => {
    const r = runSim({ seed: 7 });
    expect(r.check.report).toContain('pass');
    expect(r.check.ok, r.check.report).toBe(true);
    for (const l of r.logs) expect(l.committed.length).toBeGreaterThan(100);
  });

  it('drops, duplicates, reorders, partitions and crashes with unsynced writes lost', () => {
    const res = runSeeds(
      'csp-paxos-faults',
      (seed) => {
        const r = runSim({
          seed,
          faults: { dropRate: 0.05, duplicateRate: 0.05, delayMs: [1, 30], partitionRate: 0.03, crashRate: 0.01, restartAfterMs: [50, 400] },
        });
        if (!r.check.ok) throw new Error(`seed ${seed}\n${r.check.report}`);
        // Liveness after the heal: every node committed something.
        for (const l of r.logs) if (l.committed.length === 0) throw new Error(`seed ${seed}: node ${l.node} never committed\n${r.check.report}`);
      },
      { seeds: 200 },
    );
    expect(res.runs).toBeGreaterThan(0);
  }, 600_000);
});
