// Issue 19 item 7: next({ signal, timeoutMs }) gives up cleanly (named errors), leaving
// the client usable; nothing is handed out to a caller that gave up.
import { freePorts } from '@quorumkit/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { RRSeq } from '../src/index.js';
import { startLocalCluster, type LocalCluster } from './helpers/cluster.js';

describe('RRSeq.next options', () => {
  const stops: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });

  it('timeoutMs rejects with ETIMEDOUT and an aborted signal with EABORTED when no server answers', async () => {
    const [port] = await freePorts(1);
    const s = new RRSeq('t', 0, [`127.0.0.1:${port}`], { backoffMaxMs: 50 });
    stops.push(() => s.close());
    await expect(s.next({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const ac = new AbortController();
    const p = s.next({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'EABORTED' });
    const pre = new AbortController();
    pre.abort();
    await expect(s.next({ signal: pre.signal })).rejects.toMatchObject({ code: 'EABORTED' });
  });

  it('a caller that gave up does not take an ID: the next caller gets the first one', async () => {
    const c: LocalCluster = await startLocalCluster(3);
    stops.push(() => c.stop());
    const s = new RRSeq('g', 0, c.addrs);
    stops.push(() => s.close());
    const ac = new AbortController();
    const gaveUp = s.next({ signal: ac.signal });
    ac.abort();
    await expect(gaveUp).rejects.toMatchObject({ code: 'EABORTED' });
    const id = await s.next({ timeoutMs: 10_000 });
    expect(id).toBeGreaterThanOrEqual(1n);
    expect(await s.next()).toBe(id + 1n);
  }, 60_000);
});

describe('prefetch with small buffers', () => {
  it('buffer 2 fetches the next range ahead of need (after the first of two IDs is taken)', async () => {
    const { waitUntil } = await import('./helpers/cluster.js');
    const c: LocalCluster = await startLocalCluster(3);
    const s = new RRSeq('p2', 2, c.addrs);
    try {
      expect(await s.next()).toBe(1n);
      // One ID left of [1,3): the next range must arrive without anyone waiting for it.
      await waitUntil(() => s.buffered() >= 3n, 20_000, 'the next range to be prefetched');
      expect(await s.next()).toBe(2n);
      expect(await s.next()).toBe(3n);
    } finally {
      await s.close();
      await c.stop();
    }
  }, 60_000);
});
