// Issue 19 item 3: a range at or below what a client already held is proof that the
// cluster re-issued IDs. The client must not swallow it: ERANGEREGRESSION through onError,
// a metric, and (in the CLI) an `Error:` line. The overlapping part is never handed out.
import { createGrpcServer, uint64ToWire, type GrpcServer } from '@quorumkit/shared-transport';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { RangeBuffer } from '../src/core/index.js';
import { RRSeq, rrSeqProtoPath, type RRSeqError } from '../src/index.js';

describe('RangeBuffer regressions', () => {
  it('reports a range that starts below the highest ID held, and keeps only the part above it', () => {
    const b = new RangeBuffer();
    expect(b.push(1n, 11n)).toBeUndefined();
    expect(b.push(5n, 15n)).toEqual({ from: 5n, to: 15n, high: 11n });
    expect(b.push(3n, 8n)).toEqual({ from: 3n, to: 8n, high: 15n });
    expect(b.push(15n, 16n)).toBeUndefined();
    const out: bigint[] = [];
    for (let id = b.take(); id !== undefined; id = b.take()) out.push(id);
    expect(out).toEqual([...Array.from({ length: 15 }, (_, i) => BigInt(i + 1))]);
  });
});

describe('RRSeq against a server that re-issues a range', () => {
  let server: GrpcServer | undefined;
  const seqs: RRSeq[] = [];
  afterEach(async () => {
    await Promise.all(seqs.splice(0).map((s) => s.close()));
    await server?.close();
    server = undefined;
  });

  it('calls onError with ERANGEREGRESSION, counts it, and never hands out an ID twice', async () => {
    // Answers [1,3), then [2,5) (overlaps), then [5,6).
    const ranges: Array<[bigint, bigint]> = [
      [1n, 3n],
      [2n, 5n],
      [5n, 6n],
    ];
    let call = 0;
    server = await createGrpcServer({
      protoPath: rrSeqProtoPath(),
      service: 'pb.RRAPI',
      address: '127.0.0.1:0',
      handlers: {
        GRPCNextID: () => {
          const r = ranges[Math.min(call++, ranges.length - 1)]!;
          return { fromId: uint64ToWire(r[0]), toId: uint64ToWire(r[1]) };
        },
        GRPCCurID: () => ({ curId: '1' }),
        GRPCSetID: () => ({ success: false }),
        GRPCPeer: () => ({ results: [] }),
      },
    });
    const errors: RRSeqError[] = [];
    const registry = new Registry();
    const s = new RRSeq('x', 0, [server.address], { onError: (e) => errors.push(e), registry });
    seqs.push(s);
    const got: bigint[] = [];
    for (let i = 0; i < 4; i++) got.push(await s.next());
    expect(got).toEqual([1n, 2n, 3n, 4n]);
    expect(new Set(got).size).toBe(got.length);
    const reg = errors.filter((e) => e.code === 'ERANGEREGRESSION');
    expect(reg).toHaveLength(1);
    expect(reg[0]!.message).toMatch(/\[2,5\).*up to 2/);
    const metric = await registry.getSingleMetricAsString('rrseq_client_range_regressions_total');
    expect(metric).toMatch(/rrseq_client_range_regressions_total\{sequence="x"\} 1/);
  }, 30_000);
});
