import { describe, expect, it } from 'vitest';
import { History } from '../src/index.js';
import { checkAckedInLog, checkAckedKeysKept, checkCounterBounds } from '../src/faults/index.js';

function clockHistory() {
  let t = 0n;
  return new History({ clock: () => (t += 1n) });
}

describe('checkAckedInLog', () => {
  const h = clockHistory();
  h.invoke(1, 'append', 'a').ok();
  h.invoke(2, 'append', 'b').ok();
  h.invoke(3, 'append', 'c').info('timeout');
  h.invoke(4, 'append', 'd').fail('refused');

  it('accepts logs holding every acked write once (info may be either way)', () => {
    expect(checkAckedInLog(h, { r0: ['a', 'b', 'c'], r1: ['b', 'a'] })).toEqual({ ok: true, problems: [] });
  });
  it('reports a lost acked write, a duplicate and a failed write that took effect, naming the op', () => {
    const r = checkAckedInLog(h, { r0: ['a', 'a', 'd'], r1: ['a', 'b'] });
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      "duplicated write: op 0 (process 1, append \"a\", ok) appears 2 times in replica r0's final log",
      "lost acknowledged write: op 1 (process 2, append \"b\", ok) is missing from replica r0's final log",
      "failed write took effect: op 3 (process 4, append \"d\", fail) is in replica r0's final log",
    ]);
  });
  it('skips replicas that had not reached a write when told so', () => {
    const r = checkAckedInLog(h, { r0: ['a', 'b'], lagging: ['a'] }, { replicaReached: (rep, log) => rep !== 'lagging' || log.length > 1 });
    expect(r.ok).toBe(true);
  });
});

describe('checkCounterBounds', () => {
  const h = clockHistory();
  h.invoke(1, 'add', 5, 'x').ok();
  h.invoke(2, 'add', 3n, 'x').ok();
  h.invoke(3, 'add', 10, 'x').info();
  h.invoke(4, 'add', 100, 'x').fail();
  h.invoke(5, 'add', -2, 'y').ok();

  it('accepts acked sum plus any subset of info deltas', () => {
    expect(checkCounterBounds(h, { x: 8n, y: -2 }).ok).toBe(true);
    expect(checkCounterBounds(h, { x: 18, y: -2n }).ok).toBe(true);
  });
  it('reports a lost acked delta and an applied failed one', () => {
    const lost = checkCounterBounds(h, { x: 13n, y: -2n });
    expect(lost.ok).toBe(false);
    expect(lost.problems[0]).toMatch(/counter x: final value 13 is not initial \+ 2 acknowledged deltas \(= 8\).*\[10\]; last acknowledged: op 1/);
    expect(checkCounterBounds(h, { x: 108n, y: -2n }).ok).toBe(false);
    expect(checkCounterBounds(h, { x: 8n, y: 0n }).problems[0]).toMatch(/counter y/);
  });
});

describe('checkAckedKeysKept', () => {
  it('accepts kept keys, deleted keys, and keys whose delete had an unknown outcome', () => {
    const h = clockHistory();
    h.invoke(1, 'put', 'v1', 'a').ok();
    h.invoke(1, 'put', 'v2', 'a').ok();
    h.invoke(2, 'put', 'w', 'b').ok();
    h.invoke(2, 'delete', undefined, 'b').ok();
    h.invoke(3, 'put', 'z', 'c').ok();
    h.invoke(3, 'delete', undefined, 'c').info();
    expect(checkAckedKeysKept(h, { a: 'v2' })).toEqual({ ok: true, problems: [] });
  });
  it('reports a lost acked key and a value nobody wrote', () => {
    const h = clockHistory();
    h.invoke(1, 'put', 'v1', 'a').ok();
    h.invoke(2, 'put', 'q', 'b').ok();
    h.invoke(2, 'put', 'never', 'b').fail();
    const r = checkAckedKeysKept(h, { b: 'never' });
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      'lost acknowledged write: key a is missing; last acknowledged op 0 (process 1, put a "v1", ok) was not followed by a delete',
      'key b: final value "never" was never written (writes: "q")',
    ]);
  });
});
