// Peer ops travel over one GRPCPeerStream per pair of servers: batches are applied in the
// order sent (pipelined writes are never reordered by concurrent calls), answered by batch
// number; a peer without the stream gets GRPCPeer calls; an unanswered batch answers ERROR.
import { createGrpcServer, type GrpcServer } from '@quorumkit/shared-transport';
import { afterEach, describe, expect, it } from 'vitest';
import { rrSeqProtoPath } from '../src/index.js';
import type { PeerOp, PeerResult } from '../src/core/index.js';
import { PeerClient, PEER_CLIENT_DEFAULTS } from '../src/server/peerClient.js';
import { peerStreamHandler } from '../src/server/peerStream.js';
import type { WirePeerOp } from '../src/server/wire.js';

const stops: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

const op = (id: string): PeerOp => ({ id, kind: 'READ', name: 'n', from: 0n, to: 0n, token: '', membership: '' });
const okResult = (w: WirePeerOp) => ({ id: w.id, status: 'OK', value: '7', token: 't', entries: [], empty: false });

async function peerServer(opts: { stream: boolean; hang?: boolean }): Promise<{ server: GrpcServer; applied: string[]; unaryCalls: () => number }> {
  const applied: string[] = [];
  let unary = 0;
  const apply = (req: { ops: WirePeerOp[] }) => {
    for (const w of req.ops) applied.push(w.id);
    // later batches answer first: replies may overtake each other, batch numbers match them
    const delay = req.ops[0]?.id === 'a1' ? 50 : 0;
    if (opts.hang) return new Promise<never>(() => {});
    return new Promise<{ results: ReturnType<typeof okResult>[] }>((resolve) => setTimeout(() => resolve({ results: req.ops.map(okResult) }), delay));
  };
  const server = await createGrpcServer({
    protoPath: rrSeqProtoPath(),
    service: 'pb.RRAPI',
    handlers: { GRPCPeer: (req: { ops: WirePeerOp[] }) => (unary++, apply(req)) },
    ...(opts.stream ? { bidiStreamHandlers: { GRPCPeerStream: peerStreamHandler(apply) } } : {}),
  });
  stops.push(() => server.close());
  return { server, applied, unaryCalls: () => unary };
}

function client(addr: string, deadlineMs = 10_000): { c: PeerClient; results: PeerResult[] } {
  const results: PeerResult[] = [];
  const c = new PeerClient(addr, rrSeqProtoPath(), 0, (r) => results.push(...r), { ...PEER_CLIENT_DEFAULTS, callDeadlineMs: deadlineMs });
  stops.push(() => c.close());
  return { c, results };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the peer link', () => {
  it('sends batches over the stream, applied in the order sent, every op answered', async () => {
    const p = await peerServer({ stream: true });
    const { c, results } = client(p.server.address);
    c.send([op('a1'), op('a2')]);
    c.send([op('b1')]);
    c.send([op('c1'), op('c2'), op('c3')]);
    await until(() => results.length === 6, 'six results');
    expect(p.applied).toEqual(['a1', 'a2', 'b1', 'c1', 'c2', 'c3']);
    expect(results.map((r) => r.id).sort()).toEqual(['a1', 'a2', 'b1', 'c1', 'c2', 'c3']);
    expect(results.every((r) => r.status === 'OK' && r.value === 7n)).toBe(true);
    expect(p.unaryCalls()).toBe(0);
  });

  it('falls back to GRPCPeer calls against a peer without the stream', async () => {
    const p = await peerServer({ stream: false });
    const { c, results } = client(p.server.address);
    c.send([op('a1')]);
    c.send([op('b1'), op('b2')]);
    await until(() => results.length === 3, 'three results');
    expect(results.every((r) => r.status === 'OK')).toBe(true);
    expect(p.unaryCalls()).toBe(2);
    c.send([op('c1')]);
    await until(() => results.length === 4, 'the fourth result');
    expect(p.unaryCalls()).toBe(3);
  });

  it('a batch unanswered within the deadline answers ERROR for each of its ops', async () => {
    const p = await peerServer({ stream: true, hang: true });
    const { c, results } = client(p.server.address, 300);
    c.send([op('x1'), op('x2')]);
    await until(() => results.length === 2, 'two ERROR results');
    expect(results.map((r) => `${r.id} ${r.status}`).sort()).toEqual(['x1 ERROR', 'x2 ERROR']);
  });
});
