import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@quorumkit/test-harness';
import {
  LinkTransport,
  NoQuorumReachableError,
  PaxosDeadlineError,
  PaxosKvClient,
  Proposer,
  ballot,
  i64Value,
  serveAcceptors,
  startAcceptor,
} from '../src/index.js';
import { SLOW_OK, acceptors } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function cluster(n = 3, data?: string) {
  const c = await acceptors(n, data);
  cleanups.push(c.stop);
  const client = new PaxosKvClient({ acceptors: c.addresses, deadlineMs: 60_000, phaseTimeoutMs: 20_000 });
  cleanups.push(() => client.close());
  return { ...c, client };
}

describe('KV API', () => {
  it('set writes the next free version; get returns the latest; get(ver) a given one', async () => {
    const { client } = await cluster();
    expect(await client.get('foo')).toBeNull();
    expect((await client.set('foo', 5n)).ver).toBe(0n);
    expect((await client.set('foo', 'six')).ver).toBe(1n);
    expect((await client.set('foo', new Uint8Array([0xff, 0x00]))).ver).toBe(2n);
    const latest = await client.get('foo');
    expect(latest).toMatchObject({ key: 'foo', ver: 2n, value: new Uint8Array([0xff, 0x00]) });
    expect((await client.get('foo', { ver: 0n }))!.value).toBe(5n);
    expect((await client.get('foo', { ver: 1n }))!.value).toBe('six');
    expect(await client.get('foo', { ver: 9n })).toBeNull();
    expect(await client.get('bar')).toBeNull();
  });

  it('int64 values keep all 64 bits', async () => {
    const { client } = await cluster();
    const big = -(2n ** 63n);
    await client.set('big', big);
    expect((await client.get('big'))!.value).toBe(big);
    await expect(client.set('big', 2n ** 63n)).rejects.toThrow(/int64/);
  });

  it('a read of a chosen version takes one round (commit/learn)', async () => {
    const { client, servers } = await cluster();
    await client.set('k', 1n);
    // the COMMIT broadcast is fire-and-forget: wait (bounded) until every acceptor learned it
    await waitFor(async () => (await Promise.all(servers.map((s) => s.store.read({ key: 'k', ver: 0n })))).every((st) => st.chosen !== null), {
      timeoutMs: 20_000,
      what: 'COMMIT reached every acceptor',
    });
    const latest = await client.get('k');
    expect(latest!.rounds).toBe(1);
    const byVer = await client.get('k', { ver: 0n });
    expect(byVer!.rounds).toBe(1);
  });

  it('a client that keeps writing a key needs one round per set (phase 1 ran ahead)', async () => {
    const { addresses } = await cluster();
    const client = new PaxosKvClient({ acceptors: addresses, deadlineMs: 30_000, phaseTimeoutMs: 20_000 }); // no timeouts on a loaded box
    cleanups.push(() => client.close());
    expect((await client.set('s', 1n)).ver).toBe(0n);
    const second = await client.set('s', 2n);
    expect(second).toMatchObject({ ver: 1n, rounds: 1, written: true });
    expect((await client.get('s'))!.value).toBe(2n);
  });

  it('a read of a voted but unlearned version makes it safe and returns it', async () => {
    const c = await cluster();
    // a seed-style proposer: votes at a quorum, never commits
    await new Proposer(c.transport, { key: 'u', ver: 0n }, ballot(1, 77), SLOW_OK).runPaxos([0, 1, 2], i64Value(42));
    const r = await c.client.get('u');
    expect(r).toMatchObject({ ver: 0n, value: 42n });
    expect(r!.rounds).toBeGreaterThan(1);
    expect((await c.client.set('u', 43n)).ver).toBe(1n);
  });

  it('explicit versions work the seed way: the first value chosen wins', async () => {
    const { client } = await cluster();
    expect(await client.set('e', 5n, { ver: 3n })).toMatchObject({ ver: 3n, written: true, value: 5n });
    expect(await client.set('e', 6n, { ver: 3n })).toMatchObject({ ver: 3n, written: false, value: 5n });
    expect((await client.get('e'))!.value).toBe(5n);
  });

  it('concurrent writers on one key each get a distinct version', async () => {
    const { addresses } = await cluster();
    const clients = Array.from({ length: 4 }, () => new PaxosKvClient({ acceptors: addresses, deadlineMs: 20_000 }));
    cleanups.push(() => clients.forEach((c) => c.close()));
    const results = await Promise.all(clients.flatMap((c, i) => [0, 1].map((j) => c.set('hot', BigInt(i * 10 + j)))));
    const vers = results.map((r) => r.ver).sort((a, b) => (a < b ? -1 : 1));
    expect(vers).toEqual(Array.from({ length: 8 }, (_, i) => BigInt(i)));
    for (const r of results) expect((await clients[0]!.get('hot', { ver: r.ver }))!.value).toBe(r.value);
  });

  it('values read back as written: valid-UTF-8 bytes stay bytes, strings strings, a safe integer number an int64 (issue 17 item 9)', async () => {
    const { client } = await cluster();
    await client.set('b', new TextEncoder().encode('abc'));
    await client.set('s', 'abc');
    await client.set('n', 5);
    expect((await client.get('b'))!.value).toEqual(new TextEncoder().encode('abc'));
    expect((await client.get('s'))!.value).toBe('abc');
    expect((await client.get('n'))!.value).toBe(5n);
    // read through a Paxos round (no COMMIT learned) too
    expect((await client.get('b', { ver: 0n }))!.value).toBeInstanceOf(Uint8Array);
  });

  it('works with one acceptor down and fails with a clear error when a quorum is down', async () => {
    const c = await cluster();
    await c.servers[2]!.close();
    expect((await c.client.set('d', 1n)).ver).toBe(0n);
    await c.servers[1]!.close();
    const slow = new PaxosKvClient({ acceptors: c.addresses, deadlineMs: 600, phaseTimeoutMs: 200 });
    cleanups.push(() => slow.close());
    await expect(slow.get('d')).rejects.toBeInstanceOf(NoQuorumReachableError);
    await expect(slow.set('d', 2n, { ver: 1n })).rejects.toSatisfy(
      (e: unknown) => e instanceof PaxosDeadlineError && /no quorum reachable/.test((e as Error).message),
    );
  });
});

describe('durable acceptors', () => {
  it('a restarted acceptor keeps its promises and votes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paxoskv-dur-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    let servers = await serveAcceptors(3, { basePort: 0, data: dir });
    const addrs = servers.map((s) => s.address);
    let client = new PaxosKvClient({ acceptors: addrs, deadlineMs: 60_000, phaseTimeoutMs: 20_000 });
    await client.set('p', 9n);
    const prop = new Proposer(new LinkTransport(client.links), { key: 'q', ver: 0n }, ballot(50, 5), SLOW_OK);
    expect((await prop.phase1([0, 1, 2], 2)).err).toBeNull();
    client.close();
    await Promise.all(servers.map((s) => s.close()));
    // restart on the same ports and data
    servers = await Promise.all(addrs.map((a, i) => startAcceptor({ id: i, address: a, data: join(dir, `acceptor${i}`) })));
    cleanups.push(async () => {
      await Promise.all(servers.map((s) => s.close()));
    });
    client = new PaxosKvClient({ acceptors: addrs, deadlineMs: 60_000, phaseTimeoutMs: 20_000 });
    cleanups.push(() => client.close());
    expect((await client.get('p'))!.value).toBe(9n);
    const low = new Proposer(new LinkTransport(client.links), { key: 'q', ver: 0n }, ballot(49, 6), SLOW_OK);
    const r = await low.phase1([0, 1, 2], 2);
    expect(r.err).not.toBeNull();
    expect(r.higherBal).toEqual(ballot(50, 5));
  });
});
