// Issue 17 item 6: hot keys. Concurrent writes to one key inside one client are coalesced (one
// Paxos run per key at a time, each write at the next version, no duel with itself), and a
// writer that loses versions to other clients keeps backing off across versions instead of
// restarting its backoff at every version. Outcomes only (no timing asserted): with the client's
// default 5 s deadline every write completes, each at its own version.
import { afterEach, describe, expect, it } from 'vitest';
import { LimitError, PaxosKvClient } from '../src/index.js';
import { acceptors } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(n: number, opts: Partial<ConstructorParameters<typeof PaxosKvClient>[0]> = {}) {
  const c = await acceptors(3);
  cleanups.push(c.stop);
  const clients = Array.from({ length: n }, () => new PaxosKvClient({ acceptors: c.addresses, ...opts }));
  cleanups.push(() => clients.forEach((x) => x.close()));
  return clients;
}

const sortedVers = (rs: { ver: bigint }[]) => rs.map((r) => r.ver).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('hot keys (issue 17 item 6)', () => {
  it('64 writers on one key in one client: all complete, versions 0..191 each once, values as written', async () => {
    const [client] = await setup(1);
    const results = (
      await Promise.all(
        Array.from({ length: 64 }, async (_, w) => {
          const out = [];
          for (let i = 0; i < 3; i++) out.push(await client!.set('hot', `w${w}-${i}`));
          return out;
        }),
      )
    ).flat();
    expect(results.every((r) => r.written)).toBe(true);
    expect(sortedVers(results)).toEqual(Array.from({ length: 192 }, (_, i) => BigInt(i)));
    for (const r of results.slice(0, 8)) expect((await client!.get('hot', { ver: r.ver }))!.value).toBe(r.value);
    // a writer's writes land in the order it issued them
    const w0 = results.filter((r) => String(r.value).startsWith('w0-')).map((r) => r.ver);
    expect([...w0].sort((a, b) => (a < b ? -1 : 1))).toEqual(w0);
  }, 120_000);

  it('4 clients x 8 writers on one key: all complete, each at its own version', async () => {
    const clients = await setup(4, { deadlineMs: 20_000 });
    const results = (await Promise.all(clients.flatMap((c, ci) => Array.from({ length: 8 }, (_, w) => c.set('hot2', `c${ci}w${w}`))))).flat();
    expect(results.every((r) => r.written)).toBe(true);
    expect(sortedVers(results)).toEqual(Array.from({ length: 32 }, (_, i) => BigInt(i)));
  }, 120_000);

  it('writes queued on one key are capped: the one past the cap is refused at once, the others complete', async () => {
    const [client] = await setup(1, { keyWritersMax: 4 });
    const settled = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => client!.set('capped', BigInt(i))));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(4);
    const refused = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(LimitError);
    expect(String(refused.reason.message)).toMatch(/4 writes of key capped/);
  }, 60_000);
});
