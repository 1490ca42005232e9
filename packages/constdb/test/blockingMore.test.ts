// BLMOVE, BRPOPLPUSH, BZPOPMIN and BZPOPMAX on real nodes (issue 22): immediate moves/pops,
// Redis's errors, a client blocked on one node served by a write made on the other node
// (replicated), and both nodes converging on the result (the moved element in the
// destination, the popped member gone).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, waitFor } from '@quorumkit/test-harness';
import { RawClient, startConstdb, type Proc } from './proc.js';

describe('BLMOVE / BRPOPLPUSH / BZPOPMIN / BZPOPMAX', () => {
  const nodes: Proc[] = [];
  const cs: RawClient[] = [];
  beforeAll(async () => {
    const ports = await freePorts(2);
    nodes.push(await startConstdb(ports[0]!, ['--node-id', '1']));
    nodes.push(await startConstdb(ports[1]!, ['--node-id', '2']));
    const c = await RawClient.open(ports[0]!);
    cs.push(c);
    expect(await c.call('MEET', `127.0.0.1:${ports[1]}`)).toBe(1n);
  }, 60_000);
  afterAll(async () => {
    for (const c of cs) c.close();
    for (const n of nodes) await n.stop('SIGKILL');
  });
  const open = async (i: number) => {
    const c = await RawClient.open(nodes[i]!.port);
    cs.push(c);
    return c;
  };

  it('move and pop at once when there is something; errors like Redis', async () => {
    const c = await open(0);
    await c.call('RPUSH', 'm:src', 'a', 'b');
    expect(await c.call('BLMOVE', 'm:src', 'm:dst', 'LEFT', 'RIGHT', '1')).toBe('a');
    expect(await c.call('BRPOPLPUSH', 'm:src', 'm:dst', '1')).toBe('b');
    expect(await c.call('LRANGE', 'm:dst', '0', '-1')).toEqual(['b', 'a']);
    expect(await c.call('BLMOVE', 'm:src', 'm:dst', 'UP', 'RIGHT', '1')).toEqual({ err: 'ERR syntax error' });
    expect(await c.call('BLMOVE', 'm:src', 'm:dst', 'LEFT', 'RIGHT', 'x')).toEqual({ err: 'ERR timeout is not a float or out of range' });
    await c.call('ZADD', 'm:z', '1', 'one', '2', 'two', '3', 'three');
    expect(await c.call('BZPOPMIN', 'm:none', 'm:z', '1')).toEqual(['m:z', 'one', '1']);
    expect(await c.call('BZPOPMAX', 'm:z', '1')).toEqual(['m:z', 'three', '3']);
    await c.call('SET', 'm:s', 'v');
    expect(await c.call('BZPOPMIN', 'm:s', '1')).toEqual({ err: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
    expect(await c.call('BLMOVE', 'm:s', 'm:dst', 'LEFT', 'LEFT', '1')).toEqual({ err: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
    expect(await c.call('BZPOPMIN', 'm:z', '-1')).toEqual({ err: 'ERR timeout is negative' });
    expect(await c.call('MULTI')).toBe('OK');
    await c.call('BLMOVE', 'm:none', 'm:dst', 'LEFT', 'LEFT', '0');
    await c.call('BZPOPMAX', 'm:none', '0');
    expect(await c.call('EXEC')).toEqual([null, null]);
    expect(await c.call('BZPOPMIN', 'm:never', '0.1')).toBe(null);
    expect(await c.call('BLMOVE', 'm:never', 'm:dst', 'LEFT', 'LEFT', '0.1')).toBe(null);
  });

  it('a client blocked on node 1 is served by a write replicated from node 2; both converge', async () => {
    const a = await open(0);
    const b = await open(0);
    const w = await open(1);
    const moved = a.call('BLMOVE', 'r:src', 'r:dst', 'RIGHT', 'LEFT', '0');
    const popped = b.call('BZPOPMAX', 'r:z', '0');
    await new Promise((r) => setTimeout(r, 100));
    expect(await w.call('RPUSH', 'r:src', 'x')).toBe(1n);
    expect(await w.call('ZADD', 'r:z', '5', 'five', '7', 'seven')).toBe(2n);
    expect(await moved).toBe('x');
    expect(await popped).toEqual(['r:z', 'seven', '7']);
    const c1 = await open(0);
    await waitFor(async () => {
      const v = await Promise.all([c1, w].map(async (c) => JSON.stringify([await c.call('LRANGE', 'r:src', '0', '-1'),
        await c.call('LRANGE', 'r:dst', '0', '-1'), await c.call('ZRANGE', 'r:z', '0', '-1', 'WITHSCORES')])));
      return v[0] === v[1] && v[0] === JSON.stringify([[], ['x'], ['five', '5']]);
    }, { timeoutMs: 20_000, what: 'both nodes agree on the moved element and the popped member' });
  }, 60_000);
});
