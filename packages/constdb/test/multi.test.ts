// Issue 20 item 4: MULTI/EXEC/DISCARD/WATCH with Redis's semantics on the pure core. A
// transaction refused while queuing applies nothing; EXEC's ops leave as one unit.
import { describe, expect, it } from 'vitest';
import { Db } from '../src/core/db.js';
import { ReplyBuffer } from '../src/core/encode.js';
import { dispatch } from '../src/core/commands.js';
import type { Session } from '../src/core/context.js';
import { unwatchAll } from '../src/core/multi.js';
import { TestNode, hooks } from './helpers.js';

/** A second client on the same node. */
function client(n: TestNode, id: number): (...args: string[]) => string {
  const out = new ReplyBuffer();
  const sess: Session = { id, authed: true, lastWrite: 0n };
  return (...args) => {
    const r = dispatch({ db: n.db, now: n.now, out, sess, server: hooks }, args.map((a) => Buffer.from(a, 'latin1')));
    if (r) throw new Error('async');
    return out.take().toString('latin1');
  };
}

describe('MULTI / EXEC', () => {
  it('queues, then runs everything at once with each reply in an array', () => {
    const n = new TestNode(1);
    expect(n.run('MULTI')).toBe('+OK\r\n');
    expect(n.run('SET', 'a', '1')).toBe('+QUEUED\r\n');
    expect(n.run('INCR', 'a')).toBe('+QUEUED\r\n');
    expect(n.run('SADD', 'a', 'x')).toBe('+QUEUED\r\n');
    expect(n.emitted).toHaveLength(0);
    expect(n.run('EXEC')).toBe('*3\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
    expect(n.run('GET', 'a')).toBe('$1\r\n2\r\n');
  });

  it('a command refused while queuing makes EXEC apply nothing (EXECABORT)', () => {
    for (const bad of [['NOSUCH'], ['GET'], ['SAVE']]) {
      const n = new TestNode(1);
      n.run('SET', 'c', '10');
      n.emitted.length = 0;
      n.run('MULTI');
      n.run('INCR', 'c');
      expect(n.run(...bad)).toMatch(/^-ERR /);
      n.run('INCR', 'c');
      expect(n.run('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
      expect(n.run('GET', 'c')).toBe('$2\r\n10\r\n');
      expect(n.emitted).toHaveLength(0);
      expect(n.run('EXEC')).toBe('-ERR EXEC without MULTI\r\n');
    }
  });

  it('DISCARD drops the queue; nesting and misuse answer like Redis', () => {
    const n = new TestNode(1);
    expect(n.run('EXEC')).toBe('-ERR EXEC without MULTI\r\n');
    expect(n.run('DISCARD')).toBe('-ERR DISCARD without MULTI\r\n');
    n.run('MULTI');
    expect(n.run('MULTI')).toBe('-ERR MULTI calls can not be nested\r\n');
    expect(n.run('WATCH', 'x')).toBe('-ERR WATCH inside MULTI is not allowed\r\n');
    n.run('SET', 'a', '1');
    expect(n.run('DISCARD')).toBe('+OK\r\n');
    expect(n.run('GET', 'a')).toBe('$-1\r\n');
    // neither nested MULTI nor WATCH-in-MULTI dooms the transaction
    n.run('MULTI');
    n.run('MULTI');
    n.run('SET', 'a', '1');
    expect(n.run('EXEC')).toBe('*1\r\n+OK\r\n');
  });

  it('a queue over multi_bytes_max is refused and the transaction aborted', () => {
    const n = new TestNode(1);
    const small = { ...hooks, multiBytesMax: 120 };
    const run = (...args: string[]) => {
      dispatch({ db: n.db, now: n.now, out: n.out, sess: n.sess, server: small }, args.map((a) => Buffer.from(a)));
      return n.out.take().toString();
    };
    run('MULTI');
    expect(run('SET', 'a', 'x'.repeat(50))).toBe('+QUEUED\r\n');
    expect(run('SET', 'b', 'x'.repeat(50))).toMatch(/^-ERR transaction queue limit/);
    expect(run('EXEC')).toMatch(/^-EXECABORT/);
    expect(run('GET', 'a')).toBe('$-1\r\n');
  });

  it("EXEC's ops are emitted as one unit (all but the last marked `more`)", () => {
    const db = new Db(1);
    const marks: boolean[] = [];
    db.emit = (_k, _d, more) => marks.push(more);
    const out = new ReplyBuffer();
    const sess: Session = { id: 1, authed: true, lastWrite: 0n };
    const run = (...a: string[]) => dispatch({ db, now: 1000, out, sess, server: hooks }, a.map((x) => Buffer.from(x)));
    run('SET', 'solo', '1');
    run('MULTI');
    run('SET', 'a', '1');
    run('SADD', 's', 'x');
    run('HSET', 'h', 'f', 'v');
    run('EXEC');
    expect(marks).toEqual([false, true, true, false]);
  });
});

describe('WATCH', () => {
  it('another client writing a watched key makes EXEC answer a null array and apply nothing', () => {
    const n = new TestNode(1);
    const other = client(n, 2);
    n.run('SET', 'w', '1');
    expect(n.run('WATCH', 'w', 'z')).toBe('+OK\r\n');
    other('SET', 'w', '2');
    n.run('MULTI');
    n.run('SET', 'w', '3');
    expect(n.run('EXEC')).toBe('*-1\r\n');
    expect(n.run('GET', 'w')).toBe('$1\r\n2\r\n');
    // EXEC unwatched: the next transaction runs
    n.run('MULTI');
    n.run('SET', 'w', '3');
    expect(n.run('EXEC')).toBe('*1\r\n+OK\r\n');
  });

  it('a replicated op on a watched key (from a peer) fails EXEC too', () => {
    const n = new TestNode(1);
    const peer = new TestNode(2);
    peer.run('INCR', 'w');
    n.run('WATCH', 'w');
    for (const [k, d] of peer.emitted) n.db.join(k, d);
    n.run('MULTI');
    n.run('INCR', 'w');
    expect(n.run('EXEC')).toBe('*-1\r\n');
    expect(n.run('GET', 'w')).toBe('$1\r\n1\r\n');
  });

  it('a watched key that expires fails EXEC; an untouched one does not; UNWATCH and DISCARD forget', () => {
    const n = new TestNode(1);
    n.run('SET', 'e', 'v', 'PX', '100');
    n.run('WATCH', 'e');
    n.now += 200;
    n.run('MULTI');
    n.run('PING');
    expect(n.run('EXEC')).toBe('*-1\r\n');
    n.run('SET', 'u', 'v');
    n.run('WATCH', 'u', 'missing');
    n.run('MULTI');
    n.run('PING');
    expect(n.run('EXEC')).toBe('*1\r\n+PONG\r\n');
    n.run('WATCH', 'u');
    n.run('UNWATCH');
    client(n, 3)('SET', 'u', 'x');
    n.run('MULTI');
    n.run('PING');
    expect(n.run('EXEC')).toBe('*1\r\n+PONG\r\n');
  });

  it('a closed client leaves no watcher behind', () => {
    const n = new TestNode(1);
    n.run('WATCH', 'a', 'b');
    unwatchAll(n.db, n.sess);
    expect((n.db as unknown as { watchers: Map<string, unknown> }).watchers.size).toBe(0);
  });
});
