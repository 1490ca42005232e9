import { describe, expect, it } from 'vitest';
import { checkLogs, parseInstanceLog } from '../src/core/check.js';

const gen = (k: string, s: number): string => `generate Instance[${k}] in seq ${s} at 1700000000000`;
const com = (k: string, s: number): string => `commit Instance[${k}] in seq ${s} at 1700000000001`;

function logs(texts: string[][]) {
  return texts.map((lines, i) => parseInstanceLog(i, lines.join('\n') + '\n'));
}

describe('checker (the seed report, rules 1-3)', () => {
  it('passes agreeing logs and prints the seed report line for line', () => {
    const a = [gen('aa', 0), gen('bb', 1), com('aa', 0), com('bb', 1)];
    const b = [com('aa', 0)];
    const r = checkLogs(logs([a, b]));
    expect(r.ok).toBe(true);
    expect(r.report.split('\n')).toEqual([
      '----------begin to check------------',
      'node 0 commits 2 times',
      'node 1 commits 1 times',
      '---------- check validity ------------',
      'pass',
      '---------- check safety --------------',
      'pass',
      '---------- end -----------------------',
    ]);
  });

  it('rule 2: a commit that was never generated, and a node that never commits', () => {
    const r = checkLogs(logs([[gen('aa', 0), com('aa', 0), com('zz', 1)], []]));
    expect(r.ok).toBe(false);
    expect(r.validity).toContain('commit zz has never been proposed!');
    expect(r.validity).toContain('node 1 never commits');
    expect(r.report).toContain('commit zz has never been proposed!');
    // The seed's verdict follows the violating lines of the failed section; safety still passes.
    const lines = r.report.split('\n');
    expect(lines[lines.indexOf('---------- check safety --------------') - 1]).toBe('not pass');
    expect(lines[lines.indexOf('---------- check safety --------------') + 1]).toBe('pass');
  });

  it('rule 1: one slot committed twice on a node', () => {
    const r = checkLogs(logs([[gen('aa', 0), gen('bb', 0), com('aa', 0), com('bb', 0)]]));
    expect(r.validity).toContain('node 0 commited 0 more than once');
  });

  it('rule 3: different values, or a hole, below the smaller max slot', () => {
    const g = [gen('aa', 0), gen('bb', 1), gen('cc', 1), gen('dd', 2)];
    const r = checkLogs(logs([[...g, com('aa', 0), com('bb', 1)], [com('aa', 0), com('cc', 1), com('dd', 2)]]));
    expect(r.safety).toContain('node 0 has different commit with node 1 at position 1');
    const h = checkLogs(logs([[...g, com('aa', 0), com('dd', 2)], [com('aa', 0), com('bb', 1), com('dd', 2)]]));
    expect(h.safety).toContain('node 0 has different commit with node 1 at position 1');
    expect(h.safety).toContain('node 0 has a hole at position 1');
  });

  it('lag line: a node that never caught up passes rule 3 but not --lag-max', () => {
    const g = [gen('aa', 0), gen('bb', 1), gen('cc', 2)];
    const ls = logs([[...g, com('aa', 0), com('bb', 1), com('cc', 2)], [com('aa', 0)]]);
    expect(checkLogs(ls).ok).toBe(true);
    const r = checkLogs(ls, { lagMax: 1 });
    expect(r.ok).toBe(false);
    expect(r.lag).toEqual(['node 1 ends 2 slots behind node 0 (lag max 1)']);
    expect(r.report).toContain('---------- check lag -----------------');
    expect(checkLogs(ls, { lagMax: 2 }).ok).toBe(true);
    expect(checkLogs(ls, { lagMax: 1, liveNodes: [0] }).ok).toBe(true);
  });

  it('flags lines that do not match the regexes (e.g. a non-integer timestamp)', () => {
    const r = checkLogs(logs([[gen('aa', 0), com('aa', 0), 'commit Instance[aa] in seq 1 at 2023-01-01 10:00:00']]));
    expect(r.ok).toBe(false);
    expect(r.validity[0]).toMatch(/malformed line/);
  });

  it('handles long logs (hundreds of thousands of slots)', () => {
    const n = 300_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(gen(`k${i}`, i), com(`k${i}`, i));
    const r = checkLogs(logs([lines, lines.slice(0, n)]));
    expect(r.ok, r.report).toBe(true);
  });
});

describe('checker over truncated logs (a base per node)', () => {
  const text = (lines: string[]): string => lines.join('\n') + '\n';
  it('compares from the larger base, looks for holes from a node own base, skips rule 2 below the largest base', () => {
    // Node 0 was cut at 2 (its generate lines of 0-1 are gone); node 1 keeps everything.
    const n0 = parseInstanceLog(0, text([com('aa', 1), gen('cc', 2), com('cc', 2), com('dd', 3)]), 2);
    const n1 = parseInstanceLog(1, text([com('aa', 0), com('bb', 1), com('cc', 2), com('dd', 3), gen('dd', 3)]));
    expect(n0.committed.map((c) => c.slot)).toEqual([2, 3]);
    const ok = checkLogs([n0, n1], { lagMax: 0 });
    expect(ok.ok, ok.report).toBe(true);
    // A disagreement above both bases is still found, and a hole above a node's base.
    const bad = parseInstanceLog(2, text([com('xx', 2), com('dd', 3)]), 2);
    const r = checkLogs([n0, n1, bad]);
    expect(r.safety).toContain('node 0 has different commit with node 2 at position 2');
    const holed = parseInstanceLog(2, text([com('dd', 3)]), 2);
    expect(checkLogs([n1, holed]).safety).toContain('node 2 has a hole at position 2');
    // A node whose log is empty above its base committed (below it): not "never commits".
    expect(checkLogs([n1, parseInstanceLog(2, '', 4)]).validity).toEqual([]);
  });
});
