// The acceptor over the wire: seed-shaped replies, copies, bad input rejected without change.
import { afterEach, describe, expect, it } from 'vitest';
import { callUnary, createGrpcClient } from '@quorumkit/shared-transport';
import { PROTO_PATH, SERVICE_NAME, serveAcceptors, type AcceptorServer } from '../src/index.js';

let servers: AcceptorServer[] = [];
let clients: { close(): void }[] = [];
afterEach(async () => {
  clients.forEach((c) => c.close());
  clients = [];
  await Promise.allSettled(servers.map((s) => s.close()));
  servers = [];
});

async function one() {
  servers = await serveAcceptors(1, { basePort: 0 });
  const client = createGrpcClient(PROTO_PATH, SERVICE_NAME, servers[0]!.address);
  clients.push(client);
  const call = (m: string, req: unknown) => callUnary<unknown, any>(client, m, req, { deadlineMs: 5000 });
  return { call };
}

const id = { Key: 'k', Ver: '0' };

describe('acceptor over gRPC', () => {
  it('untouched instance: Prepare replies zero ballots and no value', async () => {
    const { call } = await one();
    const r = await call('Prepare', { Id: id, Bal: { N: '1', ProposerId: '1' } });
    expect(r.LastBal).toEqual({ N: '0', ProposerId: '0' });
    expect(r.VBal).toEqual({ N: '0', ProposerId: '0' });
    expect(r.Val).toBeNull();
  });

  it('the reply of Accept is a copy: later changes to the stored state do not change it', async () => {
    // Checked where a shared object could leak: the store hands back the reply the core made,
    // and store.read returns the live cached state; mutating that state must not touch the reply
    // (over gRPC the reply is already serialised, so a wire-level check could never fail).
    const { call } = await one();
    await call('Prepare', { Id: id, Bal: { N: '7', ProposerId: '2' } });
    const store = servers[0]!.store;
    const { accept, ballot, i64Value } = await import('../src/core/index.js');
    const reply = await store.apply({ key: 'k', ver: 0n }, (s) => accept(s, ballot(1, 1), i64Value(5)));
    const live = await store.read({ key: 'k', ver: 0n });
    (live.lastBal as { n: bigint }).n = 1000n;
    expect(reply.lastBal).toEqual(ballot(7, 2));
    (live.lastBal as { n: bigint }).n = 7n; // put the state back as it was
    const r = await call('Accept', { Id: id, Bal: { N: '7', ProposerId: '2' }, Val: { Vi64: '6' } });
    expect(r.LastBal).toEqual({ N: '7', ProposerId: '2' });
    const again = await call('Prepare', { Id: id, Bal: { N: '8', ProposerId: '2' } });
    expect(again.Val.Vi64).toBe('6');
  });

  it('Batch carries many ops and answers them in order', async () => {
    const { call } = await one();
    const ops = Array.from({ length: 20 }, (_, i) => ({ Kind: 'PREPARE', Req: { Id: { Key: `b${i}`, Ver: '0' }, Bal: { N: '1', ProposerId: '3' } } }));
    ops.push({ Kind: 'ACCEPT', Req: { Id: { Key: 'b0', Ver: '0' }, Bal: { N: '1', ProposerId: '3' }, Val: { Vi64: '11' } } } as never);
    const r = await call('Batch', { Ops: ops });
    expect(r.Replies).toHaveLength(21);
    expect(r.Replies[0].LastBal).toEqual({ N: '0', ProposerId: '0' });
    expect(r.Replies[20].LastBal).toEqual({ N: '1', ProposerId: '3' });
    // ops in one Batch are independent; what depends on them goes in a later call
    const l = await call('Batch', { Ops: [{ Kind: 'LATEST', Req: { Id: { Key: 'b0', Ver: '0' } } }, { Kind: 'LATEST', Req: { Id: { Key: 'b1', Ver: '0' } } }] });
    expect(l.Replies[0].Ver).toBe('0');
    expect(l.Replies[0].Val.Vi64).toBe('11');
    expect(l.Replies[1].Ver).toBe('-1');
  });

  it('bad input gets a clear error and changes nothing', async () => {
    const { call } = await one();
    await expect(call('Prepare', { Bal: { N: '1', ProposerId: '1' } })).rejects.toThrow(/Id is missing/);
    await expect(call('Prepare', { Id: { Key: 'k', Ver: '-1' }, Bal: { N: '1' } })).rejects.toThrow(/Ver must be >= 0/);
    await expect(
      call('Batch', { Ops: [{ Kind: 'PREPARE', Req: { Id: id, Bal: { N: '9', ProposerId: '9' } } }, { Kind: 'ACCEPT', Req: { Bal: {} } }] }),
    ).rejects.toThrow(/Id is missing/);
    const r = await call('Prepare', { Id: id, Bal: { N: '0', ProposerId: '1' } });
    expect(r.LastBal).toEqual({ N: '0', ProposerId: '0' }); // the bad batch promised nothing
  });
});
