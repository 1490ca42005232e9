// Issue 20 item 13: expire times beyond 2^53 ms are exact, SET's repeated expire option
// counts the last one (Redis 7), and counter merges beyond int64 behave like Redis treats
// such a string — and never break the op encoding.
import { describe, expect, it } from 'vitest';
import { TestNode } from './helpers.js';
import { encodeOp, decodeOp, writeKeyRec, readKeyRec, Reader, Writer } from '../src/core/codec.js';
import { canon } from './helpers.js';

describe('big numbers', () => {
  it('PXAT / EX far beyond 2^53 ms keep exact TTLs (encoded exactly too)', () => {
    const n = new TestNode(1);
    expect(n.run('SET', 'k', 'v', 'PXAT', '9007199254740993')).toBe('+OK\r\n');
    expect(n.run('PTTL', 'k')).toBe(`:${9007199254740993n - BigInt(n.now)}\r\n`);
    expect(n.run('SET', 'k', 'v', 'EXAT', '9223372036854775')).toBe('+OK\r\n');
    expect(n.run('PTTL', 'k')).toBe(`:${9223372036854775000n - BigInt(n.now)}\r\n`);
    const [key, delta] = n.emitted.at(-1)!;
    expect(canon(decodeOp(encodeOp(7n, key, delta)).delta)).toBe(canon(delta));
    const w = new Writer(64);
    writeKeyRec(w, n.db.keys.get('k')!);
    expect(canon(readKeyRec(new Reader(w.result())))).toBe(canon(n.db.keys.get('k')!));
    expect(n.run('SET', 'k', 'v', 'EX', '9223372036854775')).toBe("-ERR invalid expire time in 'set' command\r\n");
    expect(n.run('PEXPIRE', 'k', '9223372036854770000')).toBe("-ERR invalid expire time in 'pexpire' command\r\n");
    expect(n.run('EXPIRE', 'k', '9223372036')).toBe(':1\r\n');
    expect(n.run('TTL', 'k')).toBe(':9223372036\r\n');
  });

  it('SET k v EX 10 EX 20: the last one counts; different expire options conflict', () => {
    const n = new TestNode(1);
    expect(n.run('SET', 'k', 'v', 'EX', '10', 'EX', '20')).toBe('+OK\r\n');
    expect(n.run('TTL', 'k')).toBe(':20\r\n');
    expect(n.run('SET', 'k', 'v', 'EX', 'abc', 'EX', '10')).toBe('+OK\r\n');
    expect(n.run('SET', 'k', 'v', 'EX', '10', 'PX', '5000')).toBe('-ERR syntax error\r\n');
    expect(n.run('SET', 'k', 'v', 'EX', '10', 'KEEPTTL')).toBe('-ERR syntax error\r\n');
  });

  it('concurrent INCRBYs merging beyond int64: exact string everywhere, INCR refuses like Redis', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('INCRBY', 'c', '9000000000000000000');
    b.run('INCRBY', 'c', '9000000000000000000');
    for (const [k, d] of a.emitted) b.db.join(k, d);
    for (const [k, d] of b.emitted) a.db.join(k, d);
    for (const n of [a, b]) {
      expect(n.run('GET', 'c')).toBe('$20\r\n18000000000000000000\r\n');
      expect(n.run('INCR', 'c')).toBe('-ERR value is not an integer or out of range\r\n');
      expect(n.run('DECRBY', 'c', '1')).toBe('-ERR value is not an integer or out of range\r\n');
    }
  });

  it("a node's cumulative counter beyond int64 still encodes (the visible value stays in range)", () => {
    const n = new TestNode(1);
    n.run('SET', 'c', '-9223372036854775808');
    expect(n.run('INCRBY', 'c', '9223372036854775807')).toBe(':-1\r\n');
    expect(n.run('INCRBY', 'c', '9223372036854775807')).toBe(':9223372036854775806\r\n');
    for (const [k, d] of n.emitted) expect(canon(decodeOp(encodeOp(1n, k, d)).delta)).toBe(canon(d));
    const w = new Writer(64);
    writeKeyRec(w, n.db.keys.get('c')!);
    const back = new TestNode(2);
    back.db.join('c', readKeyRec(new Reader(w.result())));
    expect(back.run('GET', 'c')).toBe('$19\r\n9223372036854775806\r\n');
  });
});
