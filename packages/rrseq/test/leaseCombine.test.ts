// Issue 19 speed, buffer 1024: the requests of one name made in one turn by the RRSeq
// clients of a process leave as one lease request for the sum of their sizes, and the
// granted range is cut in request order (LeaseStream.combine / split). Each caller gets
// exactly its size, the pieces never overlap, and a combined request that fails is sent
// again as its callers' own requests.
import { afterEach, describe, expect, it } from 'vitest';
import { RRSeq } from '../src/index.js';
import { startLocalCluster } from './helpers/cluster.js';
import { fakeLeaseServer, type FakeLeaseServer, type LeaseReq } from './helpers/fakeLeaseServer.js';

const stops: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

/** A fake lease server (closed after the test) that refuses requests larger than `largest`. */
async function fakeServer(largest?: number): Promise<{ server: FakeLeaseServer['server']; received: LeaseReq[] }> {
  const { server, items } = await fakeLeaseServer(largest === undefined ? {} : { largest });
  stops.push(() => server.close());
  return { server, received: items };
}

function clients(n: number, name: string, buf: number, addrs: string[]): RRSeq[] {
  const seqs = Array.from({ length: n }, () => new RRSeq(name, buf, addrs));
  for (const s of seqs) stops.push(() => s.close());
  return seqs;
}

describe('requests of one name in one turn', () => {
  it('leave as one request for the sum, each caller getting its own IDs', async () => {
    const { server, received } = await fakeServer();
    const seqs = clients(8, 'one', 0, [server.address]);
    const first = await Promise.all(seqs.map((s) => s.next({ timeoutMs: 10_000 })));
    const second = await Promise.all(seqs.map((s) => s.next({ timeoutMs: 10_000 })));
    // One request of 8 IDs per turn, not 8 requests (carried or not) of 1.
    expect(received.map((r) => r.rangeSize)).toEqual(['8', '8']);
    expect([...first, ...second].sort((a, b) => (a < b ? -1 : 1))).toEqual(Array.from({ length: 16 }, (_, i) => BigInt(i + 1)));
  }, 60_000);

  it('cut the granted range in pieces of each caller size, disjoint (buffered clients)', async () => {
    const { server, received } = await fakeServer();
    const seqs = clients(4, 'buffered', 16, [server.address]);
    await Promise.all(seqs.map((s) => s.ready({ timeoutMs: 10_000 })));
    expect(received[0]).toMatchObject({ name: 'buffered', rangeSize: '64' });
    // Each client holds exactly its 16, consecutive, and no ID is held by two clients.
    const held = await Promise.all(seqs.map(async (s) => Promise.all(Array.from({ length: 16 }, () => s.next({ timeoutMs: 10_000 })))));
    for (const ids of held) expect(ids.map((id) => id - ids[0]!)).toEqual(Array.from({ length: 16 }, (_, i) => BigInt(i)));
    expect(new Set(held.flat()).size).toBe(64);
  }, 60_000);

  it('are sent again one by one when the combined request fails', async () => {
    // A server that grants no more than 1 ID at a time refuses the combination of 4.
    const { server, received } = await fakeServer(1);
    const errors: string[] = [];
    const seqs = Array.from({ length: 4 }, () => new RRSeq('refused', 0, [server.address], { onError: (e) => errors.push(e.code) }));
    for (const s of seqs) stops.push(() => s.close());
    const ids = await Promise.all(seqs.map((s) => s.next({ timeoutMs: 10_000 })));
    expect(new Set(ids).size).toBe(4);
    expect(received.map((r) => r.rangeSize)).toEqual(['4', '1', '1', '1', '1']);
    // The callers never saw the refusal of a request they did not make.
    expect(errors).toEqual([]);
  }, 60_000);
});

describe('32 buffered clients of one name on a real cluster', () => {
  it('never hold an ID twice; each stream strictly increasing', async () => {
    const c = await startLocalCluster(3, { deadlineMs: 10_000 });
    stops.push(() => c.stop());
    const seqs = clients(32, 'shared-range', 8, c.addrs);
    const streams = await Promise.all(
      seqs.map(async (s) => {
        const ids: bigint[] = [];
        for (let i = 0; i < 40; i++) ids.push(await s.next({ timeoutMs: 20_000 }));
        return ids;
      }),
    );
    for (const ids of streams) for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
    expect(new Set(streams.flat()).size).toBe(32 * 40);
  }, 120_000);
});
