// Sorted sets across replicas: random concurrent commands converge (converge.ts), and the
// concurrent rules the README states (add wins, concurrent ZINCRBYs all count, a ZADD
// replaces the score and voids increments it had not seen).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TestNode } from './helpers.js';
import { convergesProperty } from './converge.js';

const KEYS = ['z1', 'z2'];
const k = fc.constantFrom(...KEYS);
const m = fc.constantFrom('a', 'b', 'c');
const s = fc.constantFrom('1', '2', '-1', '0.5', '3');
const zsetCmd: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(k, fc.constantFrom([], ['NX'], ['XX'], ['GT'], ['LT'], ['INCR']), s, m).map(([key, f, sc, mem]) => ['ZADD', key, ...f, sc, mem]),
  fc.tuple(k, s, m).map(([key, sc, mem]) => ['ZINCRBY', key, sc, mem]),
  fc.tuple(k, m).map(([key, mem]) => ['ZREM', key, mem]),
  fc.tuple(fc.constantFrom('ZPOPMIN', 'ZPOPMAX'), k).map(([c, key]) => [c, key]),
  fc.tuple(k, k).map(([a, b]) => ['ZUNIONSTORE', a, '2', a, b]),
  fc.tuple(k, k).map(([a, b]) => ['ZRANGESTORE', a, b, '0', '1']),
  k.map((key) => ['DEL', key]),
);

const sync = (from: TestNode, to: TestNode) => {
  for (const [key, d] of from.emitted.splice(0)) to.db.join(key, d);
};

describe('sorted sets across replicas', () => {
  it('converge under random concurrent commands, any delivery order, duplicates', () => {
    convergesProperty(zsetCmd, KEYS);
  });

  it('concurrent ZINCRBYs on three nodes all count', () => {
    const [a, b, c] = [new TestNode(1), new TestNode(2), new TestNode(3)];
    a.run('ZADD', 'z', '10', 'm');
    for (const [key, d] of a.emitted.splice(0)) for (const y of [b, c]) y.db.join(key, d);
    a.run('ZINCRBY', 'z', '1', 'm');
    b.run('ZINCRBY', 'z', '2', 'm');
    c.run('ZINCRBY', 'z', '4', 'm');
    for (const x of [a, b, c]) for (const y of [a, b, c]) if (x !== y) for (const [key, d] of x.emitted) y.db.join(key, d);
    for (const x of [a, b, c]) expect(x.run('ZSCORE', 'z', 'm')).toBe('$2\r\n17\r\n');
  });

  it('a ZADD replaces the score and voids increments it had not seen; add wins over a concurrent ZREM', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('ZADD', 'z', '1', 'm');
    sync(a, b);
    a.run('ZINCRBY', 'z', '5', 'm');
    b.run('ZADD', 'z', '100', 'm');
    sync(a, b);
    sync(b, a);
    expect(a.run('ZSCORE', 'z', 'm')).toBe('$3\r\n100\r\n');
    expect(b.run('ZSCORE', 'z', 'm')).toBe('$3\r\n100\r\n');
    a.run('ZREM', 'z', 'm');
    b.run('ZADD', 'z', '7', 'm');
    sync(a, b);
    sync(b, a);
    expect(a.run('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toBe('*2\r\n$1\r\nm\r\n$1\r\n7\r\n');
    expect(b.run('ZRANGE', 'z', '0', '-1', 'WITHSCORES')).toBe('*2\r\n$1\r\nm\r\n$1\r\n7\r\n');
  });

  it('two nodes popping the same minimum both return it; it is removed once', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('ZADD', 'z', '1', 'x', '2', 'y');
    sync(a, b);
    expect(a.run('ZPOPMIN', 'z')).toBe('*2\r\n$1\r\nx\r\n$1\r\n1\r\n');
    expect(b.run('ZPOPMIN', 'z')).toBe('*2\r\n$1\r\nx\r\n$1\r\n1\r\n');
    sync(a, b);
    sync(b, a);
    for (const n of [a, b]) expect(n.run('ZRANGE', 'z', '0', '-1')).toBe('*1\r\n$1\r\ny\r\n');
  });

  it('removed members are tombstones until stable, then collected', () => {
    const a = new TestNode(1);
    a.run('ZADD', 'z', '1', 'x', '2', 'y');
    a.run('ZREM', 'z', 'x');
    expect(a.db.tombstones()).toBe(1);
    expect(a.db.gc(() => false)).toBe(0);
    expect(a.db.gc(() => true)).toBe(1);
    expect(a.run('ZCARD', 'z')).toBe(':1\r\n');
  });
});
