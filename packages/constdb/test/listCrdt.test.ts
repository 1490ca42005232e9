// Lists across replicas: random concurrent list commands converge (converge.ts), and the
// concurrent rules the README states.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TestNode } from './helpers.js';
import { convergesProperty } from './converge.js';

const KEYS = ['l1', 'l2'];
const V = ['a', 'b', 'c'];
const k = fc.constantFrom(...KEYS);
const v = fc.constantFrom(...V);
const i = fc.integer({ min: -3, max: 3 }).map(String);
const listCmd: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(fc.constantFrom('LPUSH', 'RPUSH'), k, v, fc.option(v)).map(([c, key, x, y]) => [c, key, x, ...(y ? [y] : [])]),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), k).map(([c, key]) => [c, key]),
  fc.tuple(k, i, v).map(([key, n, x]) => ['LSET', key, n, x]),
  fc.tuple(k, i, v).map(([key, n, x]) => ['LREM', key, n, x]),
  fc.tuple(k, i, i).map(([key, a, b]) => ['LTRIM', key, a, b]),
  fc.tuple(k, fc.constantFrom('BEFORE', 'AFTER'), v, v).map(([key, w, p, x]) => ['LINSERT', key, w, p, x]),
  fc.tuple(k, k, fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom('LEFT', 'RIGHT')).map(([a, b, x, y]) => ['LMOVE', a, b, x, y]),
  k.map((key) => ['DEL', key]),
  fc.tuple(k, fc.constantFrom('100', '1')).map(([key, s]) => ['EXPIRE', key, s]),
);

const sync = (from: TestNode, to: TestNode) => {
  for (const [key, d] of from.emitted.splice(0)) to.db.join(key, d);
};

describe('lists across replicas', () => {
  it('converge under random concurrent list commands, any delivery order, duplicates', () => {
    convergesProperty(listCmd, KEYS);
  });

  it('two nodes pushing at the same end keep both elements, in one order everywhere', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('RPUSH', 'l', 'x');
    sync(a, b);
    a.run('RPUSH', 'l', 'a1', 'a2');
    b.run('RPUSH', 'l', 'b1');
    sync(a, b);
    sync(b, a);
    const r = a.run('LRANGE', 'l', '0', '-1');
    expect(b.run('LRANGE', 'l', '0', '-1')).toBe(r);
    expect(a.run('LLEN', 'l')).toBe(':4\r\n');
    // a node's own pushes stay adjacent and in order
    expect(r).toMatch(/a1\r\n\$2\r\na2/);
    // and an LINSERT between the concurrent neighbours lands between them on both
    a.run('LINSERT', 'l', 'AFTER', 'a2', 'mid');
    b.run('LLEN', 'l');
    sync(a, b);
    expect(b.run('LRANGE', 'l', '0', '-1')).toBe(a.run('LRANGE', 'l', '0', '-1'));
    expect(a.run('LRANGE', 'l', '0', '-1')).toMatch(/a2\r\n\$3\r\nmid\r\n/);
    expect(a.run('LLEN', 'l')).toBe(':5\r\n');
  });

  it('two nodes popping the same head both return it; it is removed once', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('RPUSH', 'l', 'x', 'y', 'z');
    sync(a, b);
    expect(a.run('LPOP', 'l')).toBe('$1\r\nx\r\n');
    expect(b.run('LPOP', 'l')).toBe('$1\r\nx\r\n');
    sync(a, b);
    sync(b, a);
    expect(a.run('LRANGE', 'l', '0', '-1')).toBe('*2\r\n$1\r\ny\r\n$1\r\nz\r\n');
    expect(b.run('LRANGE', 'l', '0', '-1')).toBe('*2\r\n$1\r\ny\r\n$1\r\nz\r\n');
  });

  it('removal wins over a concurrent LSET; DEL keeps a concurrent push', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('RPUSH', 'l', 'x', 'y');
    sync(a, b);
    a.run('LSET', 'l', '0', 'X');
    b.run('LPOP', 'l');
    sync(a, b);
    sync(b, a);
    expect(a.run('LRANGE', 'l', '0', '-1')).toBe('*1\r\n$1\r\ny\r\n');
    expect(b.run('LRANGE', 'l', '0', '-1')).toBe('*1\r\n$1\r\ny\r\n');
    a.run('DEL', 'l');
    b.run('LPUSH', 'l', 'new');
    sync(a, b);
    sync(b, a);
    expect(a.run('LRANGE', 'l', '0', '-1')).toBe('*1\r\n$3\r\nnew\r\n');
    expect(b.run('LRANGE', 'l', '0', '-1')).toBe('*1\r\n$3\r\nnew\r\n');
  });

  it('removed elements are tombstones until stable, then collected', () => {
    const a = new TestNode(1);
    a.run('RPUSH', 'l', 'x', 'y');
    a.run('LPOP', 'l');
    expect(a.db.tombstones()).toBe(1);
    expect(a.db.gc(() => false)).toBe(0);
    expect(a.db.gc(() => true)).toBe(1);
    expect(a.run('LRANGE', 'l', '0', '-1')).toBe('*1\r\n$1\r\ny\r\n');
  });
});
