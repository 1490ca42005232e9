// Issue 23 (rrseq part): gRPC health for the whole server ('') follows pb.RRAPI: it never
// says SERVING while the replica cannot serve (blank, or recovering from its peers).
import { callUnary, createGrpcClient } from '@quorumkit/shared-transport';
import { freePorts } from '@quorumkit/test-harness';
import { protoPath as healthProto } from 'grpc-health-check';
import { afterEach, describe, expect, it } from 'vitest';
import { RRServer } from '../src/index.js';
import { waitUntil } from './helpers/cluster.js';

const stops: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

async function status(client: ReturnType<typeof createGrpcClient>, service: string): Promise<string> {
  return (await callUnary<unknown, { status: string }>(client, 'Check', { service }, { deadlineMs: 5_000 })).status;
}

describe('gRPC health', () => {
  it("'' says NOT_SERVING while the replica cannot serve, SERVING once it can", async () => {
    const ports = await freePorts(3);
    const addrs = ports.map((p) => `127.0.0.1:${p}`);
    const servers = await Promise.all(addrs.map((addr, i) => RRServer.start({ addr, path: '', peers: addrs.filter((_, j) => j !== i) })));
    for (const s of servers) stops.push(() => s.close());
    const health = createGrpcClient(healthProto, 'grpc.health.v1.Health', addrs[0]!);
    stops.push(() => health.close());
    // Blank servers (never bootstrapped) cannot serve.
    expect(await status(health, 'pb.RRAPI')).toBe('NOT_SERVING');
    expect(await status(health, '')).toBe('NOT_SERVING');
    expect(await status(health, 'pb.RRLease')).toBe('NOT_SERVING');
    const end = Date.now() + 20_000;
    while (!servers.every((s) => s.ready) && Date.now() < end) {
      const r = await servers[0]!.init();
      if (!r.ok) await new Promise((res) => setTimeout(res, 50));
    }
    await waitUntil(() => servers[0]!.ready, 20_000, 'the cluster to form');
    expect(await status(health, 'pb.RRAPI')).toBe('SERVING');
    expect(await status(health, '')).toBe('SERVING');
    expect(await status(health, 'pb.RRLease')).toBe('SERVING');
  }, 60_000);
});
