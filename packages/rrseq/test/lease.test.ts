// Issue 19 speed line: unbuffered clients fetch over one long-lived GRPCLease stream per
// server (many allocations, no unary call each); against a server without the stream (the
// original) they use GRPCNextID; a stream's in-flight limit refuses one request, never the
// stream or the server.
import { callUnary, createGrpcClient, createGrpcServer, uint64ToWire, type GrpcServer } from '@quorumkit/shared-transport';
import type * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { RRSeq, rrSeqProtoPath } from '../src/index.js';
import { startLocalCluster, type LocalCluster } from './helpers/cluster.js';

const stops: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

type Reply = { id: string; fromId: string; toId: string; error: string; more?: Reply[] };
/** One message may carry several replies (`more`): the replies it holds, in order. */
const flat = (r: Reply): Reply[] => [r, ...(r.more ?? [])];

async function counter(c: LocalCluster, metric: string): Promise<number> {
  let sum = 0;
  for (const s of c.servers) {
    const text = await s!.metrics.getSingleMetricAsString(metric);
    const m = /\s(\d+)\s*$/.exec(text.trim().split('\n').pop() ?? '');
    sum += m ? Number(m[1]) : 0;
  }
  return sum;
}

describe('the GRPCLease stream', () => {
  it('an unbuffered client takes its IDs over the stream, not by unary calls', async () => {
    const c = await startLocalCluster(3);
    stops.push(() => c.stop());
    const s = new RRSeq('lease', 0, c.addrs);
    stops.push(() => s.close());
    const got: bigint[] = [];
    for (let i = 0; i < 20; i++) got.push(await s.next());
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i + 1)));
    expect(await counter(c, 'rrseq_ranges_streamed_total')).toBeGreaterThanOrEqual(20);
    expect(await counter(c, 'rrseq_ranges_served_total')).toBe(await counter(c, 'rrseq_ranges_streamed_total'));
  }, 60_000);

  it('against a server without it (the original), the client falls back to GRPCNextID', async () => {
    let calls = 0;
    const server: GrpcServer = await createGrpcServer({
      protoPath: rrSeqProtoPath(),
      service: 'pb.RRAPI',
      address: '127.0.0.1:0',
      handlers: {
        GRPCNextID: () => {
          calls++;
          return { fromId: uint64ToWire(BigInt(calls)), toId: uint64ToWire(BigInt(calls + 1)) };
        },
      },
    });
    stops.push(() => server.close());
    const s = new RRSeq('old', 0, [server.address]);
    stops.push(() => s.close());
    expect([await s.next(), await s.next(), await s.next()]).toEqual([1n, 2n, 3n]);
    expect(calls).toBe(3);
  }, 30_000);

  it('a request beyond the stream in-flight limit is refused (ELEASELIMIT); the stream and the server go on', async () => {
    const c = await startLocalCluster(3, { leaseInFlightMax: 2, deadlineMs: 10_000 });
    stops.push(() => c.stop());
    const client = createGrpcClient(rrSeqProtoPath(), 'pb.RRLease', c.addrs[0]!);
    stops.push(() => client.close());
    const call = (client as unknown as { GRPCLease(): grpc.ClientDuplexStream<unknown, Reply> }).GRPCLease();
    stops.push(() => call.cancel());
    const replies: Reply[] = [];
    const all = new Promise<void>((resolve, reject) => {
      call.on('data', (r: Reply) => {
        replies.push(...flat(r));
        if (replies.length === 21) resolve();
      });
      call.on('error', reject);
    });
    for (let i = 1; i <= 20; i++) call.write({ id: String(i), name: 'lim', rangeSize: '1' });
    // Once the first 20 are answered, one more still works.
    await new Promise<void>((resolve, reject) => {
      const end = Date.now() + 30_000;
      const poll = (): void => {
        if (replies.length >= 20) resolve();
        else if (Date.now() > end) reject(new Error(`only ${replies.length} replies`));
        else setTimeout(poll, 20);
      };
      poll();
    });
    call.write({ id: '21', name: 'lim', rangeSize: '1' });
    await all;
    const refused = replies.filter((r) => r.error !== '');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => /ELEASELIMIT/.test(r.error) && r.fromId === '0' && r.toId === '0')).toBe(true);
    const last = replies.find((r) => r.id === '21')!;
    expect(last.error).toBe('');
    expect(BigInt(last.toId) - BigInt(last.fromId)).toBe(1n);
    const granted = replies.filter((r) => r.error === '').map((r) => BigInt(r.fromId));
    expect(new Set(granted).size).toBe(granted.length);
    const api = createGrpcClient(rrSeqProtoPath(), 'pb.RRAPI', c.addrs[0]!);
    stops.push(() => api.close());
    const cur = await callUnary<unknown, { curId: string }>(api, 'GRPCCurID', { name: 'lim' }, { deadlineMs: 5_000 });
    expect(BigInt(cur.curId)).toBeGreaterThan(1n);
  }, 60_000);

  it('a half-closed stream gets its in-flight replies, then OK; closing the server ends an open stream', async () => {
    const c = await startLocalCluster(3, { deadlineMs: 10_000 });
    stops.push(() => c.stop());
    const client = createGrpcClient(rrSeqProtoPath(), 'pb.RRLease', c.addrs[0]!);
    stops.push(() => client.close());
    const open = (): { call: grpc.ClientDuplexStream<unknown, Reply>; replies: Reply[]; status: Promise<number> } => {
      const call = (client as unknown as { GRPCLease(): grpc.ClientDuplexStream<unknown, Reply> }).GRPCLease();
      stops.push(() => call.cancel());
      const replies: Reply[] = [];
      call.on('data', (r: Reply) => replies.push(...flat(r)));
      call.on('error', () => {});
      const status = new Promise<number>((resolve) => call.on('status', (st: grpc.StatusObject) => resolve(st.code)));
      return { call, replies, status };
    };
    const a = open();
    for (let i = 1; i <= 3; i++) a.call.write({ id: String(i), name: 'half', rangeSize: '1' });
    a.call.end();
    expect(await a.status).toBe(0);
    expect(a.replies.map((r) => r.id).sort()).toEqual(['1', '2', '3']);
    expect(a.replies.every((r) => r.error === '')).toBe(true);

    const b = open();
    b.call.write({ id: '1', name: 'half', rangeSize: '1' });
    const end = Date.now() + 20_000;
    while (b.replies.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(b.replies).toHaveLength(1);
    await c.servers[0]!.close(); // the stream stays open on the client side until the server ends it
    await b.status;
  }, 60_000);
});
