// Issue 20 item 10: in the lossy fsync modes a node can crash after its increments reached a
// peer but before they were durable locally. Its next life rebuilds its running total from
// what it recovered; if that total superseded the one the peer holds (same node, newer
// uuid), the increments the peer kept would be wiped out everywhere. Counter contributions
// are keyed by (node, epoch): a new life that may have lost ops writes under a new epoch,
// and the old life's entry, held by peers, keeps counting.
import { scalarCnt } from '../src/core/scalar.js';
import { describe, expect, it } from 'vitest';
import { TestNode, canon } from './helpers.js';
import { keyClone } from '../src/core/keyrec.js';
import { encodeOp, decodeOp, maxUuid } from '../src/core/codec.js';

/** The restarted node: the durable part of its old state, a clock above everything the old life used, a new epoch. */
function restart(old: TestNode, durable: Array<[string, ReturnType<typeof keyClone>]>, epoch: bigint): TestNode {
  const n = new TestNode(old.db.node);
  for (const [k, rec] of durable) n.db.join(k, keyClone(rec));
  n.db.clock.observe(old.db.clock.current + 1000n);
  n.db.epoch = epoch;
  n.now = old.now + 10;
  return n;
}

/** Ships every emitted op of `from` (through the wire codec) to `to`. */
function ship(from: TestNode, to: TestNode): void {
  for (const [k, d] of from.emitted.splice(0)) {
    const op = decodeOp(encodeOp(1n, k, d));
    to.db.clock.observe(maxUuid(op.delta));
    to.db.join(op.key, op.delta);
  }
}

function durableOf(n: TestNode): Array<[string, ReturnType<typeof keyClone>]> {
  return [...n.db.keys].map(([k, r]) => [k, keyClone(r)]);
}

describe('counter contributions keyed by node epoch', () => {
  it('INCR after a lossy restart: the increments a peer holds still count', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('INCR', 'k');
    const snap = durableOf(a); // the last durable snapshot holds 1
    a.run('INCR', 'k');
    a.run('INCR', 'k');
    ship(a, b); // b holds all three
    expect(b.run('GET', 'k')).toBe('$1\r\n3\r\n');
    const a2 = restart(a, snap, 7n); // crash: a lost two increments
    expect(a2.run('INCR', 'k')).toBe(':2\r\n');
    ship(a2, b);
    for (const [k, rec] of b.db.keys) a2.db.join(k, keyClone(rec)); // b gives a2 its state back
    expect(b.run('GET', 'k')).toBe('$1\r\n4\r\n');
    expect(a2.run('GET', 'k')).toBe('$1\r\n4\r\n');
    expect(canon(a2.db.keys.get('k')!)).toBe(canon(b.db.keys.get('k')!));
  });

  it('HINCRBY after a lossy restart keeps the peer-held increments too', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('HINCRBY', 'h', 'f', '5');
    const snap = durableOf(a);
    a.run('HINCRBY', 'h', 'f', '10');
    ship(a, b);
    const a2 = restart(a, snap, 9n);
    a2.run('HINCRBY', 'h', 'f', '1');
    ship(a2, b);
    for (const [k, rec] of b.db.keys) a2.db.join(k, keyClone(rec));
    expect(b.run('HGET', 'h', 'f')).toBe('$2\r\n16\r\n');
    expect(a2.run('HGET', 'h', 'f')).toBe('$2\r\n16\r\n');
  });

  it('a SET after the restart still clears every epoch it observed, and a concurrent INCR of the old epoch survives it', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('INCRBY', 'k', '10');
    const snap = durableOf(a);
    a.run('INCRBY', 'k', '5');
    ship(a, b);
    const a2 = restart(a, snap, 3n);
    a2.run('INCR', 'k');
    for (const [k, rec] of b.db.keys) a2.db.join(k, keyClone(rec));
    ship(a2, b);
    expect(a2.run('GET', 'k')).toBe('$2\r\n16\r\n');
    b.now = a2.now;
    b.run('SET', 'k', '100');
    a2.run('INCR', 'k'); // concurrent with the SET: counts on top of it
    ship(b, a2);
    ship(a2, b);
    expect(a2.run('GET', 'k')).toBe('$3\r\n101\r\n');
    expect(b.run('GET', 'k')).toBe('$3\r\n101\r\n');
    a2.run('INCR', 'k');
    ship(a2, b);
    expect(b.run('GET', 'k')).toBe('$3\r\n102\r\n');
  });

  it('the same life keeps one entry per node (no growth without restarts)', () => {
    const a = new TestNode(1);
    a.db.epoch = 5n;
    for (let i = 0; i < 50; i++) a.run('INCR', 'k');
    // one node life only: the compact form (scalar.ts), read as the Map it stands for
    const str = a.db.keys.get('k')!.str!;
    expect(str.k).toBeDefined();
    const cnt = scalarCnt(str)!;
    expect(cnt.size).toBe(1);
    expect(cnt.get(1)!.size).toBe(1);
  });
});
