// Safety under faults: concurrent proposers and readers, drops, duplicates, reorders,
// partitions and acceptor/proposer crash-restarts never choose two values for one
// instance, and every decision a proposer makes is the chosen value.
// More seeds: SIM_SEEDS=5000 npx vitest run test/sim.test.ts ; replay: SEED=<n>.
import { describe, expect, it } from 'vitest';
import { runSeeds, simulate } from '@quorumkit/test-harness';
import { type Msg, Observer, type SimSetup, allFinished, createNode } from './simNodes.js';

function runOne(seed: number, setup: SimSetup, faults: { crash: boolean }) {
  const obs = new Observer(Math.floor(setup.acceptors / 2) + 1);
  const incarnations = new Map<number, number>();
  const make = createNode(setup, obs);
  const nodes = setup.acceptors + setup.proposers + setup.readers;
  const world = simulate<Msg>({
    seed,
    nodes,
    maxTimeMs: 20_000,
    healAtMs: 4_000,
    faults: {
      dropRate: 0.1,
      duplicateRate: 0.1,
      delayMs: [1, 40],
      partitionRate: 0.02,
      crashRate: faults.crash ? 0.03 : 0,
      restartAfterMs: [10, 300],
      maxDown: 2,
    },
    create(ctx) {
      incarnations.set(ctx.id, ctx.incarnation);
      return make(ctx);
    },
    stopWhen: (sim) => sim.now() > 4_000 && allFinished(sim, setup, obs, incarnations),
  });
  return { world, obs, finished: allFinished(world, setup, obs, incarnations) };
}

// 150 seeds take a few seconds; SIM_SEEDS=n scales the budget with it (~50 ms a seed on a loaded box)
const TIMEOUT_MS = Math.max(60_000, Number(process.env.SIM_SEEDS ?? 0) * 100);

const SETUP: SimSetup = { acceptors: 3, proposers: 3, readers: 1, instances: 3 };

describe('simulation: classic Paxos safety', () => {
  it('never chooses two values for one instance (drops, duplicates, reorders, partitions, crash-restarts)', () => {
    let crashes = 0;
    let decided = 0;
    const { runs } = runSeeds(
      'paxoskv-safety',
      (seed) => {
        const { world, obs, finished } = runOne(seed, SETUP, { crash: true });
        crashes += world.stats.crashes;
        decided += obs.decided.length;
        // liveness once faults stop: every live proposer finished every instance
        if (!finished) throw new Error(`seed ${seed}: proposers did not finish after faults healed`);
        for (let inst = 0; inst < SETUP.instances; inst++) if (!obs.chosen.has(inst)) throw new Error(`instance ${inst}: nothing chosen`);
      },
      { seeds: 150 },
    );
    expect(runs).toBeGreaterThan(0);
    expect(crashes).toBeGreaterThan(0); // the schedules did crash nodes
    expect(decided).toBeGreaterThan(runs * SETUP.instances);
  }, TIMEOUT_MS);

  it('the checker is not toothless: acceptors that reply before syncing get caught', () => {
    // Same schedules, but acceptors never sync: a crash forgets promises and votes that
    // were already revealed. Some seed must then choose two values (or decide unsafely).
    const base = Number(process.env.SIM_SEED_BASE ?? 1);
    let caught: string | undefined;
    for (let seed = base; seed < base + 400 && !caught; seed++) {
      try {
        runOne(seed, { ...SETUP, proposers: 4, readers: 0, instances: 4, forgetfulAcceptors: true }, { crash: true });
      } catch (e) {
        caught = (e as Error).message;
      }
    }
    expect(caught).toMatch(/two values chosen|decided .* chosen is|no quorum voted/);
  }, TIMEOUT_MS);
});
