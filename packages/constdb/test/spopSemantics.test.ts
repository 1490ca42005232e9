// Issue 20 item 11: SPOP's active-active semantics, as documented in the README. Each node
// pops from what it has seen, without coordination, so two nodes that pop concurrently can
// hand the same member to two clients (as Redis Enterprise documents for its Active-Active
// databases). What is guaranteed, and checked here: every node converges to the set minus
// everything any node popped; a member popped once replicated is never popped again; a
// concurrent SADD of a popped member survives (add-wins), as for SREM.
import { describe, expect, it } from 'vitest';
import { TestNode } from './helpers.js';
import { keyClone } from '../src/core/keyrec.js';

function ship(from: TestNode, to: TestNode): void {
  for (const [k, d] of from.emitted.splice(0)) to.db.join(k, keyClone(d));
}

describe('SPOP across nodes', () => {
  it('concurrent pops of a one-member set both return it; the set is empty everywhere after', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('SADD', 's', 'only');
    ship(a, b);
    expect(a.run('SPOP', 's')).toBe('$4\r\nonly\r\n');
    expect(b.run('SPOP', 's')).toBe('$4\r\nonly\r\n'); // the documented double hand-out
    ship(a, b);
    ship(b, a);
    for (const n of [a, b]) {
      expect(n.run('SCARD', 's')).toBe(':0\r\n');
      expect(n.run('SPOP', 's')).toBe('$-1\r\n');
    }
  });

  it('after replication a popped member is never popped again, and every pop is counted once', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    const members = Array.from({ length: 40 }, (_, i) => `m${i}`);
    a.run('SADD', 's', ...members);
    ship(a, b);
    const popped = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const n = i % 2 ? a : b;
      const r = n.run('SPOP', 's');
      const m = /^\$\d+\r\n(.*)\r\n$/.exec(r)![1]!;
      expect(popped.has(m)).toBe(false);
      popped.add(m);
      ship(n, n === a ? b : a); // replicated before the next pop
    }
    expect(popped.size).toBe(40);
    expect(a.run('SCARD', 's')).toBe(':0\r\n');
    expect(b.run('SCARD', 's')).toBe(':0\r\n');
  });

  it('a concurrent SADD of the popped member survives the pop (add-wins)', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('SADD', 's', 'x');
    ship(a, b);
    a.run('SPOP', 's');
    b.run('SADD', 's', 'x');
    ship(a, b);
    ship(b, a);
    expect(a.run('SMEMBERS', 's')).toBe('*1\r\n$1\r\nx\r\n');
    expect(b.run('SMEMBERS', 's')).toBe('*1\r\n$1\r\nx\r\n');
  });
});
