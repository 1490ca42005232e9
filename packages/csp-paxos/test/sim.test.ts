import { runSeeds } from '@quorumkit/test-harness';
import { describe, expect, it } from 'vitest';
import { runSim } from './simHarness.js';

describe('simulation of the pure core (rules 1-3 in every run)', () => {
  it('no faults: every node commits the same prefix', () => {
    const r = runSim({ seed: 7 });
    expect(r.check.report).toMatch(/^pass$/m);
    expect(r.check.report).not.toContain('not pass');
    expect(r.check.ok, r.check.report).toBe(true);
    for (const l of r.logs) expect((l.base ?? 0) + l.committed.length).toBeGreaterThan(100);
  });

  it('drops, duplicates, reorders, partitions and crashes with unsynced writes lost (acceptors compact every 50 slots)', () => {
    let compactions = 0;
    let truncations = 0;
    const res = runSeeds(
      'csp-paxos-faults',
      (seed) => {
        const r = runSim({
          seed,
          faults: { dropRate: 0.05, duplicateRate: 0.05, delayMs: [1, 30], partitionRate: 0.03, crashRate: 0.01, restartAfterMs: [50, 400] },
        });
        compactions += r.compactions;
        truncations += r.truncations;
        if (!r.check.ok) throw new Error(`seed ${seed}\n${r.check.report}`);
        // Liveness after the heal: every node committed something.
        for (const l of r.logs) if (l.committed.length === 0 && !l.base) throw new Error(`seed ${seed}: node ${l.node} never committed\n${r.check.report}`);
      },
      { seeds: 200 },
    );
    expect(res.runs).toBeGreaterThan(0);
    expect(compactions).toBeGreaterThan(0);
    expect(truncations).toBeGreaterThan(0);
  }, 600_000);
});

describe('simulation with client proposals (no invented values)', () => {
  it('every answered propose names the slot that holds its value, on every node', () => {
    runSeeds(
      'csp-paxos-clients',
      (seed) => {
        const sent = new Map<number, string>();
        const r = runSim({
          seed,
          core: { generate: false, interval: 1_000_000 },
          faults: { dropRate: 0.03, duplicateRate: 0.03, delayMs: [1, 20], partitionRate: 0.02, crashRate: 0.005, restartAfterMs: [50, 300] },
          setup(world, nodes) {
            for (let k = 0; k < 60; k++) {
              world.at(50 + k * 50, () => {
                const target = k % 5;
                const node = nodes()[target];
                if (!node || !world.isUp(target)) return;
                const key = `c${k}`;
                sent.set(k, key);
                node.clientPropose(key, `data${k}`, k, world.now());
              });
              // The same value retried on another node a little later (an idempotent retry, same
              // key): it may race a leader change, and must still be in the readable log once.
              world.at(170 + k * 50, () => {
                const target = (k + 2) % 5;
                const node = nodes()[target];
                if (!node || !world.isUp(target) || !sent.has(k)) return;
                node.clientPropose(`c${k}`, `data${k}`, 1000 + k, world.now());
              });
            }
          },
        });
        if (!r.check.ok) throw new Error(`seed ${seed}\n${r.check.report}`);
        const tables = r.logs.map((l) => new Map(l.committed.map((c) => [c.slot, c.key])));
        // Exactly once: on every node a value's data is at one slot, the same slot everywhere.
        const dataSlot = new Map<string, number>();
        for (const [i, vals] of r.values.entries()) {
          const seen = new Set<string>();
          for (const [slot, data] of vals) {
            if (seen.has(data)) throw new Error(`seed ${seed}: node ${i} holds ${data} twice`);
            seen.add(data);
            const at = dataSlot.get(data);
            if (at !== undefined && at !== slot) throw new Error(`seed ${seed}: ${data} at slot ${at} on one node, ${slot} on node ${i}`);
            dataSlot.set(data, slot);
          }
        }
        for (const rep of r.replies) {
          const key = sent.get(rep.ref % 1000);
          for (const t of tables) {
            const at = t.get(rep.slot);
            if (at !== undefined && at !== key) throw new Error(`seed ${seed}: ref ${rep.ref} answered slot ${rep.slot} but it holds ${at}`);
          }
        }
        if (r.replies.length === 0) throw new Error(`seed ${seed}: no propose was ever answered`);
      },
      { seeds: 100 },
    );
  }, 600_000);
});
