// Issue 19 item 7 (rest): `await seq.ready()`, and an unbuffered client polled with
// tryNext() (what `rrseq-client NAME 0 D` does every D ms) keeps one ID on the way, so
// every poll after the first finds one instead of every second poll.
import { freePorts } from '@quorumkit/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { RRSeq } from '../src/index.js';
import { startLocalCluster, waitUntil, type LocalCluster } from './helpers/cluster.js';

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

describe('RRSeq.ready', () => {
  it('resolves once the cluster granted a range; the IDs stay for next()', async () => {
    const c: LocalCluster = await startLocalCluster(3);
    stops.push(() => c.stop());
    for (const buf of [0, 5]) {
      const s = new RRSeq(`r${buf}`, buf, c.addrs);
      stops.push(() => s.close());
      await s.ready({ timeoutMs: 20_000 });
      expect(s.buffered()).toBeGreaterThan(0n);
      expect(await s.next()).toBe(1n);
      await s.ready();
    }
  }, 60_000);

  it('with no server reachable: timeoutMs rejects ETIMEDOUT, a signal EABORTED, after close ECLOSED', async () => {
    const [port] = await freePorts(1);
    const s = new RRSeq('t', 0, [`127.0.0.1:${port}`], { backoffMaxMs: 50 });
    stops.push(() => s.close());
    await expect(s.ready({ timeoutMs: 300 })).rejects.toMatchObject({ code: 'ETIMEDOUT', message: expect.stringMatching(/no range within 300 ms/) });
    const ac = new AbortController();
    const p = s.ready({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'EABORTED' });
    const waiting = s.ready();
    await s.close();
    await expect(waiting).rejects.toMatchObject({ code: 'ECLOSED' });
    await expect(s.ready()).rejects.toMatchObject({ code: 'ECLOSED' });
  }, 30_000);
});

describe('tryNext with buffer 0', () => {
  it('after taking an ID it fetches the next one, so the next poll finds it', async () => {
    const c: LocalCluster = await startLocalCluster(3);
    stops.push(() => c.stop());
    const s = new RRSeq('poll', 0, c.addrs);
    stops.push(() => s.close());
    expect(s.tryNext()).toBeUndefined();
    let prev = 0n;
    for (let i = 0; i < 3; i++) {
      await waitUntil(() => s.buffered() === 1n, 20_000, 'the next ID to arrive without a miss');
      const id = s.tryNext();
      expect(id).toBeGreaterThan(prev);
      prev = id!;
    }
    // Unbuffered means one at a time: never more than one ID held.
    await waitUntil(() => s.buffered() === 1n, 20_000, 'one ID on the way');
    expect(s.buffered()).toBe(1n);
  }, 60_000);
});
