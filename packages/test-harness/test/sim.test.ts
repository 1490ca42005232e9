import { afterEach, describe, expect, it } from 'vitest';
import { MemorySimStorage, Prng, SimFailure, type SimContext, type SimNode, runSeeds, simulate } from '../src/index.js';

/**
 * Toy ID allocator: every node hands out `node * 1e6 + counter` every few ms and keeps the
 * counter in storage. The broken version never calls sync(), so a crash rolls the counter
 * back and the node hands out an ID twice.
 */
type Msg = { kind: 'issued'; id: number };

function allocator(issued: number[], opts: { sync: boolean }) {
  return (ctx: SimContext<Msg>): SimNode<Msg> => {
    const tick = () => {
      const next = (ctx.storage.get<number>('counter') ?? 0) + 1;
      ctx.storage.put('counter', next);
      if (opts.sync) ctx.storage.sync();
      const id = ctx.id * 1_000_000 + next;
      issued.push(id);
      ctx.log(`issued ${id}`);
      ctx.send((ctx.id + 1) % ctx.nodes, { kind: 'issued', id });
      ctx.setTimer(1 + Math.floor(ctx.random() * 5), tick);
    };
    return { onStart: tick, onMessage: () => undefined };
  };
}

function runAllocator(seed: number, sync: boolean) {
  const issued: number[] = [];
  const seen = new Set<number>();
  const world = simulate<Msg>({
    seed,
    nodes: 3,
    maxTimeMs: 2_000,
    faults: { crashRate: 0.05, dropRate: 0.1, duplicateRate: 0.1, partitionRate: 0.05, delayMs: [1, 30] },
    healAtMs: 1_500,
    create: allocator(issued, { sync }),
    invariant: () => {
      while (issued.length > 0) {
        const id = issued.shift()!;
        if (seen.has(id)) throw new Error(`id ${id} issued twice`);
        seen.add(id);
      }
    },
  });
  return world;
}

describe('simulate', () => {
  afterEach(() => {
    delete process.env.SEED;
    delete process.env.SIM_SEEDS;
  });

  it('finds the bug of a protocol that forgets to sync, and prints the seed', () => {
    const printed: string[] = [];
    let failure: unknown;
    try {
      runSeeds('broken-allocator', (seed) => void runAllocator(seed, false), { seeds: 50, print: (t) => printed.push(t) });
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(SimFailure);
    const f = failure as SimFailure;
    expect(f.message).toMatch(/^simulation broken-allocator failed with SEED=\d+/);
    expect(printed[0]).toContain(`simulation broken-allocator failed with SEED=${f.seed}`);
    expect(printed[0]).toMatch(/issued twice/);
    expect(f.traceTail.at(-1)).toMatch(/FAILED: id \d+ issued twice/);
    expect(f.traceTail.length).toBe(200);

    // SEED=<n> replays exactly that seed, with the identical failure.
    process.env.SEED = String(f.seed);
    let again: SimFailure | undefined;
    try {
      runSeeds('broken-allocator', (seed) => void runAllocator(seed, false), { print: () => undefined });
    } catch (err) {
      again = err as SimFailure;
    }
    expect(again?.seed).toBe(f.seed);
    expect(again?.traceTail).toEqual(f.traceTail);
  });

  it('passes every seed for the fixed protocol (no false alarms)', () => {
    const r = runSeeds('fixed-allocator', (seed) => void runAllocator(seed, true), { seeds: 40 });
    expect(r.runs).toBe(40);
  });

  it('replays the identical trace for the same seed, and a different one for another seed', () => {
    const a = runAllocator(7, true);
    const b = runAllocator(7, true);
    const c = runAllocator(8, true);
    expect(a.trace.length).toBeGreaterThan(100);
    expect(b.trace).toEqual(a.trace);
    expect(b.traceHash()).toBe(a.traceHash());
    expect(b.stats).toEqual(a.stats);
    expect(c.traceHash()).not.toBe(a.traceHash());
    expect(a.stats.crashes).toBeGreaterThan(0);
    expect(a.stats.dropped).toBeGreaterThan(0);
    expect(a.stats.duplicated).toBeGreaterThan(0);
  });

  it('SIM_SEEDS scales the number of runs', () => {
    process.env.SIM_SEEDS = '3';
    const seeds: number[] = [];
    expect(runSeeds('count', (s) => void seeds.push(s), { seeds: 100 }).runs).toBe(3);
    expect(seeds).toEqual([1, 2, 3]);
  });

  it('delivers, partitions, cuts one way and heals', () => {
    type P = { n: number };
    const got: string[] = [];
    simulate<P>({
      seed: 1,
      nodes: 3,
      maxTimeMs: 500,
      faults: { delayMs: [1, 1] },
      create: (ctx) => ({
        onMessage: (from, m) => got.push(`${from}->${ctx.id}:${m.n}`),
      }),
      setup: (w) => {
        const sendAll = (n: number) => {
          for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) if (a !== b) w.inject(b, a, { n });
        };
        w.at(10, () => sendAll(1));
        w.at(20, () => w.partition([[0], [1, 2]]));
        w.at(30, () => sendAll(2));
        w.at(40, () => {
          w.heal();
          w.cut(0, 1);
        });
        w.at(50, () => sendAll(3));
        w.at(60, () => w.heal());
        w.at(70, () => sendAll(4));
        w.at(80, () => w.partition([[1, 2]])); // 0 is in no group: alone
        w.at(90, () => sendAll(5));
      },
    });
    const at = (n: number) => got.filter((g) => g.endsWith(`:${n}`)).sort();
    expect(at(1)).toHaveLength(6);
    expect(at(2)).toEqual(['1->2:2', '2->1:2']);
    expect(at(3)).toEqual(['0->2:3', '1->0:3', '1->2:3', '2->0:3', '2->1:3']);
    expect(at(4)).toHaveLength(6);
    expect(at(5)).toEqual(['1->2:5', '2->1:5']);
  });

  it('kills timers on crash, restarts from synced storage, wipes when asked', () => {
    const fired: string[] = [];
    const world = simulate<never>({
      seed: 3,
      nodes: 2,
      maxTimeMs: 300,
      create: (ctx) => ({
        onStart: () => {
          fired.push(`start n${ctx.id} inc${ctx.incarnation} durable=${String(ctx.storage.get('d'))} loose=${String(ctx.storage.get('u'))}`);
          ctx.storage.put('d', ctx.incarnation);
          ctx.storage.sync();
          ctx.storage.put('u', ctx.incarnation);
          ctx.setTimer(100, () => fired.push(`timer n${ctx.id} inc${ctx.incarnation}`));
        },
        onMessage: () => undefined,
      }),
      setup: (w) => {
        w.at(50, () => w.crash(0));
        w.at(60, () => w.restart(0));
        w.at(70, () => w.crash(1, { wipe: true }));
        w.at(80, () => w.restart(1));
      },
    });
    expect(fired).toEqual([
      'start n0 inc0 durable=undefined loose=undefined',
      'start n1 inc0 durable=undefined loose=undefined',
      'start n0 inc1 durable=0 loose=undefined',
      'start n1 inc1 durable=undefined loose=undefined',
      'timer n0 inc1',
      'timer n1 inc1',
    ]);
    expect(world.isUp(0) && world.isUp(1)).toBe(true);
    expect(world.stats.lostWrites).toBe(2);
  });

  it('the heal phase restarts crashed nodes and stops faults', () => {
    const world = simulate<number>({
      seed: 11,
      nodes: 5,
      maxTimeMs: 3_000,
      healAtMs: 1_000,
      faults: { crashRate: 0.5, partitionRate: 0.5, restartAfterMs: [5_000, 5_000] },
      create: () => ({ onMessage: () => undefined }),
    });
    expect(world.stats.crashes).toBeGreaterThan(0);
    expect([0, 1, 2, 3, 4].every((i) => world.isUp(i))).toBe(true);
    expect([0, 1, 2, 3, 4].every((i) => [0, 1, 2, 3, 4].every((j) => world.connected(i, j)))).toBe(true);
    expect(world.trace.some((l) => l.includes('heal phase'))).toBe(true);
  });

  it('turns an exception thrown by a node into a SimFailure with the seed', () => {
    expect(() =>
      simulate<number>({
        seed: 42,
        nodes: 1,
        maxTimeMs: 100,
        create: (ctx) => ({ onStart: () => ctx.setTimer(5, () => { throw new Error('boom'); }), onMessage: () => undefined }),
      }),
    ).toThrow(/SEED=42: boom/);
  });
});

describe('MemorySimStorage and Prng', () => {
  it('keeps only synced writes across a crash, optionally a prefix', () => {
    const s = new MemorySimStorage();
    s.put('a', { v: 1 });
    s.sync();
    s.put('a', { v: 2 });
    s.put('b', 1);
    s.del('a');
    expect(s.get('a')).toBeUndefined();
    expect(s.keys()).toEqual(['b']);
    expect(s.crash()).toBe(3);
    expect(s.get('a')).toEqual({ v: 1 });
    expect(s.get('b')).toBeUndefined();
    s.put('a', { v: 3 });
    s.put('b', 2);
    s.crash(1);
    expect(s.get('a')).toEqual({ v: 3 });
    expect(s.get('b')).toBeUndefined();
    s.wipe();
    expect(s.keys()).toEqual([]);
  });

  it('clones values so callers cannot mutate stored state', () => {
    const s = new MemorySimStorage();
    const v = { list: [1] };
    s.put('k', v);
    v.list.push(2);
    s.get<{ list: number[] }>('k')!.list.push(3);
    expect(s.get('k')).toEqual({ list: [1] });
  });

  it('is deterministic and roughly uniform', () => {
    const a = new Prng(5);
    const b = new Prng(5);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(new Prng(6).next()).not.toBe(new Prng(5).next());
  });
});
