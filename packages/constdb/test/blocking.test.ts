// BLPOP/BRPOP on a real node (issue 22): immediate pops, a blocked client served by a later
// push from another client (first key with elements, oldest waiter first), timeouts, errors,
// MULTI, and a closed blocked client dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '@quorumkit/test-harness';
import { RawClient, startConstdb, type Proc } from './proc.js';

describe('BLPOP / BRPOP', () => {
  let node: Proc;
  const cs: RawClient[] = [];
  beforeAll(async () => {
    const [port] = await freePorts(1);
    node = await startConstdb(port!);
  }, 60_000);
  afterAll(async () => {
    for (const c of cs) c.close();
    await node?.stop('SIGKILL');
  });
  const open = async () => {
    const c = await RawClient.open(node.port);
    cs.push(c);
    return c;
  };

  it('pops at once when a key has elements; errors like Redis', async () => {
    const c = await open();
    await c.call('RPUSH', 'b:l2', 'x', 'y');
    expect(await c.call('BLPOP', 'b:none', 'b:l2', '1')).toEqual(['b:l2', 'x']);
    expect(await c.call('BRPOP', 'b:l2', '0')).toEqual(['b:l2', 'y']);
    expect(await c.call('EXISTS', 'b:l2')).toBe(0n);
    await c.call('SET', 'b:s', 'v');
    expect(await c.call('BLPOP', 'b:s', '1')).toEqual({ err: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
    expect(await c.call('BLPOP', 'b:l', 'x')).toEqual({ err: 'ERR timeout is not a float or out of range' });
    expect(await c.call('BLPOP', 'b:l', '-1')).toEqual({ err: 'ERR timeout is negative' });
    expect(await c.call('MULTI')).toBe('OK');
    await c.call('BLPOP', 'b:none', '0');
    expect(await c.call('EXEC')).toEqual([null]);
  });

  it('a blocked client is served by a later push; the oldest waiter first; timeouts answer nil', async () => {
    const a = await open();
    const b = await open();
    const p = await open();
    const ra = a.call('BLPOP', 'b:q', '0');
    await new Promise((r) => setTimeout(r, 100));
    const rb = b.call('BRPOP', 'b:q', '0');
    await new Promise((r) => setTimeout(r, 100));
    expect(await p.call('RPUSH', 'b:q', 'one')).toBe(1n);
    expect(await ra).toEqual(['b:q', 'one']);
    expect(await p.call('LPUSH', 'b:q', 'two')).toBe(1n);
    expect(await rb).toEqual(['b:q', 'two']);
    expect(await p.call('EXISTS', 'b:q')).toBe(0n);
    const t0 = Date.now();
    expect(await a.call('BLPOP', 'b:never', '0.2')).toBe(null);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    // the client answers other commands again after its wait
    expect(await a.call('PING')).toBe('PONG');
  });

  it('a closed blocked client is dropped: a later push stays in the list', async () => {
    const a = await open();
    const p = await open();
    void a.call('BLPOP', 'b:gone', '0').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    a.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(await p.call('RPUSH', 'b:gone', 'kept')).toBe(1n);
    await new Promise((r) => setTimeout(r, 100));
    expect(await p.call('LRANGE', 'b:gone', '0', '-1')).toEqual(['kept']);
  });
});
