import { describe, expect, it } from 'vitest';
import { type CommitLog, checkConverged, checkLogPrefix, checkUniqueIncreasing } from '../src/index.js';

describe('checkUniqueIncreasing', () => {
  it('accepts strictly increasing, globally unique streams', () => {
    expect(checkUniqueIncreasing({ a: [1n, 3n, 5n], b: [2n, 4n, 6n] })).toEqual({ ok: true, total: 6, duplicates: [], nonIncreasing: [] });
  });

  it('reports duplicates across streams and non-increasing steps', () => {
    const r = checkUniqueIncreasing({ a: [1n, 3n, 3n], b: [5n, 2n, 3n] });
    expect(r.ok).toBe(false);
    expect(r.duplicates).toEqual([3n]);
    expect(r.nonIncreasing).toEqual([
      'stream a: 3 at index 2 is not greater than 3 before it',
      'stream b: 2 at index 1 is not greater than 5 before it',
    ]);
  });
});

describe('checkConverged', () => {
  it('accepts equal states regardless of Map/Set order', () => {
    const s1 = { keys: new Map<string, unknown>([['a', 1n], ['b', new Set(['x', 'y'])]]), v: [1, 2] };
    const s2 = { keys: new Map<string, unknown>([['b', new Set(['y', 'x'])], ['a', 1n]]), v: [1, 2] };
    expect(checkConverged([s1, s2, s1])).toEqual({ ok: true, diffs: [] });
  });

  it('names the node and the path of each difference', () => {
    const r = checkConverged([{ a: 1, b: { c: 'x' } }, { a: 1, b: { c: 'y' } }, { a: 2, b: { c: 'x' }, d: 1 }]);
    expect(r.ok).toBe(false);
    expect(r.diffs).toEqual([
      'node 1 differs from node 0 at .b.c: "y" vs "x"',
      'node 2 differs from node 0 at .a: 2 vs 1',
      'node 2 differs from node 0 at .d: 1 vs "<missing>"',
    ]);
  });

  it('compares against a spec when given', () => {
    expect(checkConverged([[1, 2], [1, 2]], [1, 2]).ok).toBe(true);
    expect(checkConverged([[1, 2], [1, 2]], [1, 2, 3]).diffs[0]).toBe('node 0 differs from spec at .length: 2 vs 3');
  });
});

const log = (node: number, committed: string[], generated: string[] = [], start = 1): CommitLog => ({
  node,
  generated: generated.map((key, i) => ({ key, slot: start + i })),
  committed: committed.map((key, i) => ({ key, slot: start + i })),
});

describe('checkLogPrefix (csp-paxos rules 1-3)', () => {
  it('accepts agreeing prefixes of different lengths', () => {
    const r = checkLogPrefix([log(0, ['a', 'b', 'c'], ['a', 'c']), log(1, ['a', 'b'], ['b']), log(2, ['a'])]);
    expect(r).toMatchObject({ ok: true, rule1: [], rule2: [], rule3: [] });
    expect(r.commits).toEqual([{ node: 0, count: 3 }, { node: 1, count: 2 }, { node: 2, count: 1 }]);
  });

  it('rule 1: one slot, two values on one node', () => {
    const l = log(0, ['a', 'b'], ['a', 'b', 'c']);
    l.committed.push({ key: 'c', slot: 2 });
    expect(checkLogPrefix([l]).rule1).toEqual(['node 0 committed two values at position 2: b and c']);
  });

  it('rule 2: never proposed, committed twice, node that never commits', () => {
    const r = checkLogPrefix([log(0, ['a', 'zz', 'a'], ['a']), log(1, [])]);
    expect(r.ok).toBe(false);
    expect(r.rule2).toEqual([
      'commit zz has never been proposed!',
      'node 0 commited a more than once (positions 1, 3)',
      'node 1 never commits',
    ]);
    expect(checkLogPrefix([log(0, ['a'], ['a']), log(1, [])], { nodesThatMustCommit: [0] }).ok).toBe(true);
  });

  it('rule 3: disagreement and holes', () => {
    const r = checkLogPrefix([log(0, ['a', 'b', 'c'], ['a', 'b', 'c', 'x']), log(1, ['a', 'x', 'c'])]);
    expect(r.rule3).toEqual(['node 0 has different commit with node 1 at position 2']);
    const holes = log(1, ['a'], ['a', 'b', 'c']);
    holes.committed.push({ key: 'c', slot: 3 });
    expect(checkLogPrefix([log(0, ['a', 'b', 'c']), holes]).rule3).toEqual(['node 1 has a hole at position 2 (max position 3)']);
  });
});

describe('torture stats', () => {
  it('appends one line per check to QUORUMKIT_TORTURE_STATS, and nothing when unset', async () => {
    const { mkdtempSync, readFileSync, existsSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'qk-stats-')), 'stats.jsonl');
    const { checkUniqueIncreasing } = await import('../src/index.js');
    checkUniqueIncreasing({ a: [1n, 2n] });
    expect(existsSync(file)).toBe(false);
    process.env.QUORUMKIT_TORTURE_STATS = file;
    process.env.QUORUMKIT_TORTURE_SYSTEM = 'rrseq';
    try {
      checkUniqueIncreasing({ a: [1n, 2n], b: [2n, 3n] });
    } finally {
      delete process.env.QUORUMKIT_TORTURE_STATS;
      delete process.env.QUORUMKIT_TORTURE_SYSTEM;
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ kind: 'history', name: 'unique-increasing', ops: 4, violations: 1, system: 'rrseq' }]);
  });
});
