// checkLogPrefix on compacted csp-paxos logs: each node's log starts at its own base.
import { describe, expect, it } from 'vitest';
import { type CommitLog, checkLogPrefix } from '../src/index.js';

describe('checkLogPrefix on compacted logs (a base per node)', () => {
  /** A log of `committed` from slot 0 (and `generated`, same slots) cut below `base`. */
  const cut = (node: number, base: number, committed: string[], generated: string[] = []): CommitLog => ({
    node,
    base,
    generated: generated.map((key, slot) => ({ key, slot })).filter((g) => g.slot >= base),
    committed: committed.map((key, slot) => ({ key, slot })).filter((c) => c.slot >= base),
  });
  const all = ['a', 'b', 'c', 'd', 'e', 'f'];

  it('accepts logs cut at different bases: generate lines gone with a cut log, no holes below a base, a node with nothing above its base has committed', () => {
    const logs = [cut(0, 4, all, all), cut(1, 2, all.slice(0, 5)), cut(2, 0, all.slice(0, 3)), cut(3, 6, all)];
    expect(checkLogPrefix(logs)).toMatchObject({ ok: true, rule1: [], rule2: [], rule3: [] });
  });

  it('two nodes that both still hold a slot must agree on it, even below a third node’s base', () => {
    const r = checkLogPrefix([cut(0, 4, all, all), cut(1, 0, ['a', 'b', 'X', 'd', 'e']), cut(2, 0, ['a', 'b', 'c'])]);
    expect(r.rule3).toEqual(['node 1 has different commit with node 2 at position 2']);
    // Above both bases too.
    expect(checkLogPrefix([cut(0, 4, all, all), cut(1, 2, ['a', 'b', 'c', 'd', 'Y'])]).rule3).toEqual(['node 0 has different commit with node 1 at position 4']);
  });

  it('a hole above a node’s base, and a commit above every base that nobody generated, are still violations', () => {
    const holed = cut(0, 4, all, all);
    holed.committed = holed.committed.filter((c) => c.slot !== 4);
    expect(checkLogPrefix([holed, cut(1, 4, all)]).rule3).toEqual(['node 0 has a hole at position 4 (max position 5)']);
    const r = checkLogPrefix([cut(0, 4, all, ['a', 'b', 'c', 'd', 'e']), cut(1, 4, all)]);
    expect(r.rule2).toEqual(['commit f has never been proposed!', 'commit f has never been proposed!']);
  });
});
