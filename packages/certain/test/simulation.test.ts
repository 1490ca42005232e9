// Deterministic simulation of 3 and 5 replicas (test-harness simulate): drops, duplicates,
// reorders, partitions, crash-restarts losing unsynced writes, and plog expiry that forces
// GetAll. Invariants: never two values chosen for one (entity, entry); every replica's
// applied data equals the chosen log's prefix.
import { describe, expect, it } from 'vitest';
import { runSeeds, simulate, type SimWorld } from '@quorumkit/test-harness';
import { SimReplica, type SimMsg, type EntityData } from './simReplica.js';

const ENTITIES = [1n, 2n, 3n];

function runOne(seed: number, nodes: number, opts: { expireMs: number; crashRate: number }) {
  const chosen = new Map<string, { valueId: bigint; value: string | null }>();
  let counter = 0;
  let okWrites = 0;
  let getAlls = 0;
  const check = (replica: number, e: bigint, k: bigint, valueId: bigint, value: string | null) => {
    const key = `${e}:${k}`;
    const prev = chosen.get(key);
    if (prev && (prev.valueId !== valueId || prev.value !== value)) {
      throw new Error(`two values chosen for ${key}: ${prev.value} (id ${prev.valueId}) and ${value} (id ${valueId}) at replica ${replica}`);
    }
    chosen.set(key, { valueId, value });
  };
  const world: SimWorld<SimMsg> = simulate<SimMsg>({
    seed,
    nodes,
    maxTimeMs: 6000,
    healAtMs: 4000,
    faults: { dropRate: 0.05, duplicateRate: 0.05, delayMs: [1, 20], partitionRate: 0.01, crashRate: opts.crashRate, restartAfterMs: [50, 400] },
    create: (ctx) =>
      new SimReplica(ctx, { plogExpireMs: opts.expireMs, tickMs: 50, cfg: { retryMsBase: 60, catchUpTimeoutMs: 200 } }, {
        chosen: (r, e, k, rec) => check(r, e, k, rec.valueId, rec.value === null ? null : new TextDecoder().decode(rec.value)),
        written: (_r, _e, _k, ok) => { if (ok) okWrites++; },
        getAll: () => { getAlls++; },
      }),
    onTick: (w) => {
      if (w.random() < 0.3) {
        const i = Math.floor(w.random() * nodes);
        const node = w.node(i) as SimReplica | undefined;
        const e = ENTITIES[Math.floor(w.random() * ENTITIES.length)]!;
        node?.write(e, `v${counter++}`);
      }
    },
  });
  // Applied data equals the chosen prefix on every replica that is up.
  for (let i = 0; i < nodes; i++) {
    for (const e of ENTITIES) {
      const data = world.storage(i).get<EntityData>(`data/${e}`);
      if (!data) continue;
      const expected: string[] = [];
      for (let k = 1n; k <= data.maxCommitted; k++) {
        const c = chosen.get(`${e}:${k}`);
        if (!c) throw new Error(`replica ${i} applied entity ${e} entry ${k} that nobody reported chosen`);
        if (c.value !== null) expected.push(c.value);
      }
      expect(data.values).toEqual(expected);
    }
  }
  return { chosen: chosen.size, okWrites, getAlls, world };
}

describe('simulation', () => {
  it('3 replicas with drops, duplicates, reorders, partitions and crash-restarts', () => {
    let total = 0;
    runSeeds('certain-3', (seed) => {
      const r = runOne(seed, 3, { expireMs: 1e9, crashRate: 0.01 });
      total += r.chosen;
      expect(r.okWrites).toBeGreaterThan(0);
    }, { seeds: 15 });
    expect(total).toBeGreaterThan(100);
  }, 600_000); // CPU-bound: generous on a shared 2-core machine

  it('5 replicas with the same faults', () => {
    let total = 0;
    runSeeds('certain-5', (seed) => {
      total += runOne(seed, 5, { expireMs: 1e9, crashRate: 0.01 }).chosen;
    }, { seeds: 8, baseSeed: 1000 });
    expect(total).toBeGreaterThan(100);
  }, 600_000); // CPU-bound: generous on a shared 2-core machine

  it('3 replicas with short plog expiry: lagging replicas recover through GetAll', () => {
    let total = 0;
    let getAlls = 0;
    runSeeds('certain-3-expiry', (seed) => {
      const r = runOne(seed, 3, { expireMs: 100, crashRate: 0.02 });
      total += r.chosen;
      getAlls += r.getAlls;
    }, { seeds: 15, baseSeed: 2000 });
    expect(total).toBeGreaterThan(100);
    expect(getAlls).toBeGreaterThan(0);
  }, 600_000);
});
