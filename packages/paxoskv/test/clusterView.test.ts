// Issue 17 item 2: a client with a partial --acceptors list must not compute its own quorum
// and get two values acknowledged at one version. Every request carries the cluster id and
// the member count the client believes in; an acceptor refuses a mismatch with a clear error.
import { afterEach, describe, expect, it } from 'vitest';
import { callUnary, createGrpcClient } from '@quorumkit/shared-transport';
import { ClusterViewError, PROTO_PATH, PaxosKvClient, SERVICE_NAME, serveAcceptors, type AcceptorServer } from '../src/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function three(opts: { clusterId?: string; allowUnnamedClients?: boolean } = {}): Promise<AcceptorServer[]> {
  const servers = await serveAcceptors(3, { basePort: 0, ...opts });
  cleanups.push(async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
  });
  return servers;
}

function client(acceptors: string[], clusterId?: string): PaxosKvClient {
  const c = new PaxosKvClient({ acceptors, deadlineMs: 20_000, phaseTimeoutMs: 10_000, ...(clusterId ? { clusterId } : {}) });
  cleanups.push(() => c.close());
  return c;
}

describe('cluster identity and view (issue 17 item 2)', () => {
  it('refuses clients that hold a partial acceptor list: no split brain at version 0', async () => {
    const s = await three({ clusterId: 'c1' });
    const x = client([s[0]!.address], 'c1');
    const y = client([s[1]!.address], 'c1');
    await expect(x.set('sb', 'X')).rejects.toBeInstanceOf(ClusterViewError);
    await expect(y.set('sb', 'Y')).rejects.toThrow(/3 acceptors.*1|1.*3 acceptors/);
    // nothing was voted anywhere
    for (const a of s) expect((await a.store.read({ key: 'sb', ver: 0n })).val).toBeNull();
    const full = client(s.map((a) => a.address), 'c1');
    expect((await full.set('sb', 'Z')).ver).toBe(0n);
  });

  it('refuses a client of another cluster by name, fast', async () => {
    const s = await three({ clusterId: 'c1' });
    const other = client(s.map((a) => a.address), 'c2');
    const err = await other.set('k', 1n).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClusterViewError);
    expect((err as Error).message).toMatch(/cluster c2.*c1|c1.*c2/);
  });

  it('a request without a cluster id (a seed client) is served only when allowed', async () => {
    const req = { Id: { Key: 'seed', Ver: '0' }, Bal: { N: '1', ProposerId: '1' } };
    const open = await three({ clusterId: 'c1', allowUnnamedClients: true });
    const g1 = createGrpcClient(PROTO_PATH, SERVICE_NAME, open[0]!.address);
    cleanups.push(() => g1.close());
    const r = await callUnary<unknown, { LastBal: { N: string } }>(g1, 'Prepare', req, { deadlineMs: 10_000 });
    expect(r.LastBal.N).toBe('0');

    const closed = await three({ clusterId: 'c1', allowUnnamedClients: false });
    const g2 = createGrpcClient(PROTO_PATH, SERVICE_NAME, closed[0]!.address);
    cleanups.push(() => g2.close());
    await expect(callUnary(g2, 'Prepare', req, { deadlineMs: 10_000 })).rejects.toMatchObject({ code: 'ECLUSTERVIEW' });
    // a named request with the right view is served by the closed acceptor
    const named = { ...req, ClusterId: 'c1', Members: 3 };
    const ok = await callUnary<unknown, { LastBal: { N: string } }>(g2, 'Prepare', named, { deadlineMs: 10_000 });
    expect(ok.LastBal.N).toBe('0');
  });
});
