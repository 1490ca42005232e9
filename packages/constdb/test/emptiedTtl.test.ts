// Issue 20 item 1: a TTL set on a collection must die with the collection. In Redis an
// emptied set or hash is deleted together with its TTL, so the next value of the key has
// no TTL. Here on one node, and across nodes when the emptying and the EXPIRE are
// concurrent (the emptying node had not seen the TTL).
import { describe, expect, it } from 'vitest';
import { TestNode } from './helpers.js';

const empties: Array<[string, string[][]]> = [
  ['SREM', [['SADD', 't', 'a'], ['EXPIRE', 't', '2'], ['SREM', 't', 'a']]],
  ['HDEL', [['HSET', 't', 'f', 'v'], ['EXPIRE', 't', '2'], ['HDEL', 't', 'f']]],
  ['SPOP', [['SADD', 't', 'a'], ['EXPIRE', 't', '2'], ['SPOP', 't']]],
];
const nextWrites: string[][] = [['SET', 't', 'newvalue'], ['INCR', 't'], ['SADD', 't', 'x'], ['HSET', 't', 'g', 'w'], ['MSET', 't', 'newvalue']];

describe('a TTL does not outlive an emptied collection', () => {
  for (const [how, prefix] of empties) {
    for (const w of nextWrites) {
      it(`${how} empties the key, then ${w[0]}: no TTL, the value stays`, () => {
        const n = new TestNode(1);
        for (const c of prefix) n.run(...c);
        expect(n.run('TTL', 't')).toBe(':-2\r\n');
        expect(n.run('EXISTS', 't')).toBe(':0\r\n');
        n.run(...w);
        expect(n.run('TTL', 't')).toBe(':-1\r\n');
        n.now += 2500;
        n.db.expireCycle(n.now, 100);
        expect(n.run('EXISTS', 't')).toBe(':1\r\n');
        expect(n.run('TTL', 't')).toBe(':-1\r\n');
      });
    }
  }

  it('the emptied record is garbage: nothing of it stays once stable', () => {
    const n = new TestNode(1);
    n.run('SADD', 't', 'a');
    n.run('EXPIRE', 't', '2');
    n.run('SREM', 't', 'a');
    n.db.gc(() => true);
    expect(n.db.keys.has('t')).toBe(false);
    expect(n.db.expiring.has('t')).toBe(false);
  });

  it('replicated: the emptying op clears the TTL on the other node too', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('SADD', 't', 'a');
    a.run('EXPIRE', 't', '2');
    a.run('SREM', 't', 'a');
    for (const [k, d] of a.emitted) b.db.join(k, d);
    b.now = a.now;
    b.run('SET', 't', 'newvalue');
    expect(b.run('TTL', 't')).toBe(':-1\r\n');
    for (const [k, d] of b.emitted) a.db.join(k, d);
    expect(a.run('TTL', 't')).toBe(':-1\r\n');
    a.now += 2500;
    b.now += 2500;
    expect(a.run('GET', 't')).toBe('$8\r\nnewvalue\r\n');
    expect(b.run('GET', 't')).toBe('$8\r\nnewvalue\r\n');
  });

  it('concurrent: an EXPIRE the emptying node had not seen does not kill the next value', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('SADD', 't', 'a');
    for (const [k, d] of a.emitted) b.db.join(k, d);
    a.emitted.length = 0;
    b.now = a.now;
    a.run('EXPIRE', 't', '2'); // concurrent with B's SREM
    b.run('SREM', 't', 'a');
    for (const [k, d] of a.emitted) b.db.join(k, d);
    for (const [k, d] of b.emitted) a.db.join(k, d);
    a.emitted.length = 0;
    b.emitted.length = 0;
    // both nodes now hold an empty set with a live expiry entry
    expect(a.run('EXISTS', 't')).toBe(':0\r\n');
    a.run('SET', 't', 'newvalue');
    expect(a.run('TTL', 't')).toBe(':-1\r\n');
    for (const [k, d] of a.emitted) b.db.join(k, d);
    expect(b.run('TTL', 't')).toBe(':-1\r\n');
    a.now += 2500;
    b.now += 2500;
    expect(a.run('GET', 't')).toBe('$8\r\nnewvalue\r\n');
    expect(b.run('GET', 't')).toBe('$8\r\nnewvalue\r\n');
  });
});
