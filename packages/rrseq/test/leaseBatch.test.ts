// Issue 19 speed line, batching: requests that arrive together share one allocation round
// (Engine.nextIds; RRServer hands over each event-loop turn's requests at once), a
// GRPCLease message may carry many requests (`more`) and the replies ready together leave
// in one message, and the RRSeq clients of one process share one lease stream per server,
// sending the requests of one turn in one message, to a server that says it reads them.
import { createGrpcClient, createGrpcServer, uint64ToWire, type GrpcServer } from '@quorumkit/shared-transport';
import type * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { RRSeq, rrSeqProtoPath } from '../src/index.js';
import { startLocalCluster, waitUntil } from './helpers/cluster.js';
import { LocalNet } from './helpers/localNet.js';
import { fakeLeaseServer, type LeaseReq } from './helpers/fakeLeaseServer.js';

const stops: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

type Req = { id: string; name: string; rangeSize: string; more?: Req[] };
type Reply = { id: string; fromId: string; toId: string; error: string; more?: Reply[]; batches?: boolean };
const flat = (r: Reply): Reply[] => [r, ...(r.more ?? [])];

describe('requests handed over together', () => {
  it('share one allocation round (Engine.nextIds), each its own part of the range', () => {
    const net = new LocalNet(3);
    net.bootstrap();
    net.engines[0]!.nextIds([
      { req: 1, name: 'seq', size: 1n },
      { req: 2, name: 'seq', size: 3n },
      { req: 3, name: 'other', size: 2n },
      { req: 4, name: 'seq', size: 1n },
    ]);
    net.settle();
    expect(net.done.get(1)).toEqual({ from: 1n, to: 2n });
    expect(net.done.get(2)).toEqual({ from: 2n, to: 5n });
    expect(net.done.get(4)).toEqual({ from: 5n, to: 6n });
    expect(net.done.get(3)).toEqual({ from: 1n, to: 3n });
    // One attempt per name, where one nextId after the other starts one for the first alone.
    expect(net.engines[0]!.coordinator.stats.attempts).toBe(2);
  });
});

describe('GRPCLease messages carrying many requests', () => {
  it('every carried request is answered by id; replies of one round leave in one message', async () => {
    const c = await startLocalCluster(3, { deadlineMs: 10_000 });
    stops.push(() => c.stop());
    const client = createGrpcClient(rrSeqProtoPath(), 'pb.RRLease', c.addrs[0]!);
    stops.push(() => client.close());
    const call = (client as unknown as { GRPCLease(): grpc.ClientDuplexStream<Req, Reply> }).GRPCLease();
    stops.push(() => call.cancel());
    const messages: Reply[] = [];
    call.on('data', (r: Reply) => messages.push(r));
    call.on('error', () => {});
    const more: Req[] = Array.from({ length: 9 }, (_, i) => ({ id: String(i + 2), name: 'many', rangeSize: '1' }));
    // A request carried inside a carried one is ignored (only one level is read).
    more[0]!.more = [{ id: '99', name: 'many', rangeSize: '1' }];
    call.write({ id: '1', name: 'many', rangeSize: '1', more });
    await waitUntil(() => messages.flatMap(flat).length >= 10, 30_000, '10 replies');
    const replies = messages.flatMap(flat);
    expect(replies.map((r) => r.id).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 10 }, (_, i) => String(i + 1)));
    expect(replies.every((r) => r.error === '' && BigInt(r.toId) - BigInt(r.fromId) === 1n)).toBe(true);
    expect(new Set(replies.map((r) => r.fromId)).size).toBe(10);
    // Handed over together, served by one round, answered together.
    expect(messages).toHaveLength(1);
    expect(messages[0]!.batches).toBe(true);
    let attempts = 0;
    for (const s of c.servers) {
      const m = /\s(\d+)\s*$/.exec((await s!.metrics.getSingleMetricAsString('rrseq_allocation_attempts_total')).trim());
      attempts += m ? Number(m[1]) : 0;
    }
    expect(attempts).toBe(1);
  }, 60_000);
});

describe('RRSeq clients of one process', () => {
  /** A stand-in server: records every GRPCLease message; `batches` says whether it claims to read `more`. */
  async function fakeServer(batches: boolean): Promise<{ server: GrpcServer; received: LeaseReq[] }> {
    const { server, messages } = await fakeLeaseServer({ batches });
    return { server, received: messages };
  }

  it('share one stream and send the requests of one turn in one message', async () => {
    const { server, received } = await fakeServer(true);
    stops.push(() => server.close());
    // Eight names (requests of one name would be combined into one: leaseCombine.test.ts).
    const seqs = Array.from({ length: 8 }, (_, i) => new RRSeq(`shared${i}`, 0, [server.address]));
    for (const s of seqs) stops.push(() => s.close());
    // The first turn goes one message per request (the server has not said it batches).
    const first = await Promise.all(seqs.map((s) => s.next()));
    expect(received).toHaveLength(8);
    const second = await Promise.all(seqs.map((s) => s.next()));
    expect(received).toHaveLength(9);
    expect(received[8]!.more).toHaveLength(7);
    const all = [...first, ...second];
    expect(new Set(all).size).toBe(16);
    // One client closing leaves the shared stream to the others.
    await seqs[0]!.close();
    expect(await seqs[1]!.next({ timeoutMs: 10_000 })).toBeGreaterThan(0n);
  }, 60_000);

  it('never send carried requests to a server that does not say it reads them', async () => {
    const { server, received } = await fakeServer(false);
    stops.push(() => server.close());
    const seqs = Array.from({ length: 4 }, (_, i) => new RRSeq(`old${i}`, 0, [server.address]));
    for (const s of seqs) stops.push(() => s.close());
    for (let round = 0; round < 3; round++) await Promise.all(seqs.map((s) => s.next({ timeoutMs: 10_000 })));
    expect(received).toHaveLength(12);
    expect(received.every((r) => (r.more ?? []).length === 0)).toBe(true);
  }, 60_000);
});

describe('a client moved off its first server by a failure', () => {
  function fnv1a(s: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h;
  }

  it('goes back to it later (where the other clients of its name batch), not only on the next failure', async () => {
    // Two stand-ins for GRPCNextID (no lease stream: the client falls back to unary calls);
    // the first server of the name fails its first 2 calls (calls[] counts who was asked).
    const calls = [0, 0];
    const servers: GrpcServer[] = [];
    for (const k of [0, 1]) {
      let next = k === 0 ? 1_000_000_000n : 1n;
      servers.push(
        await createGrpcServer({
          protoPath: rrSeqProtoPath(),
          service: 'pb.RRAPI',
          address: '127.0.0.1:0',
          handlers: {
            GRPCNextID: () => {
              calls[k]! += 1;
              if (k === 0 && calls[0]! <= 2) return { fromId: '0', toId: '0' };
              const from = next;
              next += 1n;
              return { fromId: uint64ToWire(from), toId: uint64ToWire(next) };
            },
          },
        }),
      );
    }
    for (const s of servers) stops.push(() => s.close());
    // Pick a name whose first server (sorted addresses, name hash) is servers[0].
    const sorted = servers.map((s) => s.address).sort();
    let name = 'back';
    for (let i = 0; sorted[fnv1a(name) % 2] !== servers[0]!.address; i++) name = `back${i}`;
    const seq = new RRSeq(name, 0, servers.map((s) => s.address), { preferredRetryMs: 50, backoffBaseMs: 1, backoffMaxMs: 5 });
    stops.push(() => seq.close());
    const got: bigint[] = [];
    const end = Date.now() + 20_000;
    while (calls[0]! < 3 && Date.now() < end) {
      got.push(await seq.next({ timeoutMs: 10_000 }));
      await new Promise((r) => setTimeout(r, 10));
    }
    // Served by the other server meanwhile, then asked its first server again (and again
    // after that one failed once more), which served it.
    expect(calls[1]).toBeGreaterThan(0);
    expect(calls[0]).toBeGreaterThanOrEqual(3);
    expect(got.some((id) => id >= 1_000_000_000n)).toBe(true);
  }, 60_000);
});
