// Issue 22's common commands on the pure core where exact values matter (the differential
// test against redis-server compares relative expiry times only as "positive"), and their
// replicated effect on a second node.
import { describe, expect, it } from 'vitest';
import { TestNode } from './helpers.js';
import { keyClone } from '../src/core/keyrec.js';

describe('common commands', () => {
  it('EXPIREAT / PEXPIREAT / EXPIRETIME / PEXPIRETIME are exact', () => {
    const n = new TestNode(1);
    n.run('SET', 'k', 'v');
    expect(n.run('EXPIRETIME', 'k')).toBe(':-1\r\n');
    expect(n.run('EXPIRETIME', 'nokey')).toBe(':-2\r\n');
    expect(n.run('EXPIREAT', 'k', '4102444800')).toBe(':1\r\n');
    expect(n.run('EXPIRETIME', 'k')).toBe(':4102444800\r\n');
    expect(n.run('PEXPIRETIME', 'k')).toBe(':4102444800000\r\n');
    expect(n.run('PEXPIREAT', 'k', '4102444800123')).toBe(':1\r\n');
    expect(n.run('PEXPIRETIME', 'k')).toBe(':4102444800123\r\n');
    expect(n.run('EXPIREAT', 'k', '1')).toBe(':1\r\n'); // in the past: deleted
    expect(n.run('EXISTS', 'k')).toBe(':0\r\n');
  });

  it('APPEND keeps the TTL; GETDEL and GETSET replicate as DEL and SET; HMGET/HSETNX/SMISMEMBER', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('SETEX', 's', '100', 'ab');
    expect(a.run('APPEND', 's', 'cd')).toBe(':4\r\n');
    expect(a.run('TTL', 's')).toBe(':100\r\n');
    expect(a.run('GETRANGE', 's', '1', '-2')).toBe('$2\r\nbc\r\n');
    expect(a.run('GETSET', 'g', '1')).toBe('$-1\r\n');
    expect(a.run('GETDEL', 's')).toBe('$4\r\nabcd\r\n');
    a.run('HSET', 'h', 'f', 'v');
    expect(a.run('HSETNX', 'h', 'f', 'w')).toBe(':0\r\n');
    expect(a.run('HSETNX', 'h', 'g', 'w')).toBe(':1\r\n');
    expect(a.run('HMGET', 'h', 'f', 'x', 'g')).toBe('*3\r\n$1\r\nv\r\n$-1\r\n$1\r\nw\r\n');
    a.run('SADD', 'set', 'm');
    expect(a.run('SMISMEMBER', 'set', 'm', 'n')).toBe('*2\r\n:1\r\n:0\r\n');
    for (const [k, d] of a.emitted) b.db.join(k, keyClone(d));
    b.now = a.now;
    expect(b.run('EXISTS', 's')).toBe(':0\r\n');
    expect(b.run('GET', 'g')).toBe('$1\r\n1\r\n');
    expect(b.run('HMGET', 'h', 'f', 'g')).toBe('*2\r\n$1\r\nv\r\n$1\r\nw\r\n');
  });

  it('SUNIONSTORE overwrites what it observed of the destination; a concurrent SADD there survives', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('SADD', 'x', '1', '2');
    a.run('SADD', 'dst', 'old');
    a.run('EXPIRE', 'dst', '100');
    for (const [k, d] of a.emitted.splice(0)) b.db.join(k, keyClone(d));
    b.now = a.now;
    expect(a.run('SUNIONSTORE', 'dst', 'x', 'nokey')).toBe(':2\r\n');
    expect(a.run('TTL', 'dst')).toBe(':-1\r\n');
    b.run('SADD', 'dst', 'concurrent');
    for (const [k, d] of a.emitted.splice(0)) b.db.join(k, keyClone(d));
    for (const [k, d] of b.emitted.splice(0)) a.db.join(k, keyClone(d));
    for (const n of [a, b]) expect(n.run('SMEMBERS', 'dst').split('\r\n').filter((l) => !/^[*$]/.test(l) && l).sort()).toEqual(['1', '2', 'concurrent']);
    expect(a.run('SMOVE', 'x', 'y', '1')).toBe(':1\r\n');
    expect(a.run('SINTER', 'x', 'y')).toBe('*0\r\n');
  });

  it('RENAME carries the visible value and the TTL; the source is deleted on every node', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('HINCRBY', 'h', 'n', '5');
    a.run('HSET', 'h', 'f', 'v');
    a.run('EXPIRE', 'h', '100');
    expect(a.run('RENAME', 'h', 'h2')).toBe('+OK\r\n');
    expect(a.run('RENAME', 'nokey', 'x')).toBe('-ERR no such key\r\n');
    for (const [k, d] of a.emitted.splice(0)) b.db.join(k, keyClone(d));
    b.now = a.now;
    for (const n of [a, b]) {
      expect(n.run('EXISTS', 'h')).toBe(':0\r\n');
      expect(n.run('HMGET', 'h2', 'n', 'f')).toBe('*2\r\n$1\r\n5\r\n$1\r\nv\r\n');
      expect(n.run('TTL', 'h2')).toBe(':100\r\n');
    }
    expect(b.run('HINCRBY', 'h2', 'n', '1')).toBe(':6\r\n');
    expect(b.run('COPY', 'h2', 'h3')).toBe(':1\r\n');
    expect(b.run('COPY', 'h2', 'h3')).toBe(':0\r\n');
    expect(b.run('HGET', 'h3', 'n')).toBe('$1\r\n6\r\n');
  });
});
