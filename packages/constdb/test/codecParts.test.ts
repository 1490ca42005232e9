// The list and sorted-set parts survive the record encoding (snapshot, AOF, replication):
// decode(encode(rec)) is the same record, its derived order rebuilt by the join, and the
// allocation-free skipper stops exactly where the record ends.
import { describe, expect, it } from 'vitest';
import { Writer, Reader, writeKeyRec, readKeyRec } from '../src/core/codec.js';
import { skipKeyRec } from '../src/core/codecSkip.js';
import { Db } from '../src/core/db.js';
import { TestNode, canon, view } from './helpers.js';

describe('list and zset record encoding', () => {
  it('round-trips records made by list and sorted-set commands, tombstones included', () => {
    const a = new TestNode(1);
    a.run('RPUSH', 'l', 'a', 'b', 'c', 'd');
    a.run('LPUSH', 'l', 'x');
    a.run('LINSERT', 'l', 'BEFORE', 'c', 'mid');
    a.run('LSET', 'l', '0', 'X');
    a.run('LPOP', 'l');
    a.run('ZADD', 'z', '1', 'm', '2.5', 'n', '-inf', 'o');
    a.run('ZINCRBY', 'z', '0.25', 'm');
    a.run('ZREM', 'z', 'n');
    a.run('EXPIRE', 'z', '100');
    const b = new Db(2);
    for (const key of ['l', 'z']) {
      const w = new Writer(16);
      writeKeyRec(w, a.db.keys.get(key)!);
      writeKeyRec(w, a.db.keys.get(key)!);
      const buf = w.result();
      const r = new Reader(buf);
      const rec = readKeyRec(r);
      const end = r.pos;
      const s = new Reader(buf);
      skipKeyRec(s);
      expect(s.pos).toBe(end);
      expect(canon(rec)).toBe(canon(a.db.keys.get(key)!));
      b.join(key, rec);
    }
    expect(JSON.stringify(view(b, a.now))).toBe(JSON.stringify(view(a.db, a.now)));
    expect(view(b, a.now)).toEqual({ l: { list: ['a', 'b', 'mid', 'c', 'd'] }, z: { zset: [['o', -Infinity], ['m', 1.25]] } });
    expect(b.tombstones()).toBe(a.db.tombstones());
  });
});
