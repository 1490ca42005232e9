// rrseq-client against a server that re-issues IDs (issue 19 item 3): the CLI prints an
// `Error: ERANGEREGRESSION ...` line and never prints an ID twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterEach, describe, expect, it } from 'vitest';

const CLIENT = fileURLToPath(new URL('../../packages/rrseq/dist/cli/rrseq-client.js', import.meta.url));
const PROTO = fileURLToPath(new URL('../../packages/rrseq/proto/rr_seq.proto', import.meta.url));

describe('rrseq-client and a regressing server', () => {
  let server: grpc.Server | undefined;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    child?.kill('SIGKILL');
    child = undefined;
    await new Promise<void>((r) => (server ? server.tryShutdown(() => r()) : r()));
    server = undefined;
  });

  it('prints Error: ERANGEREGRESSION and hands out only IDs above what it held', async () => {
    const def = protoLoader.loadSync(PROTO, { longs: String, defaults: true });
    const pb = (grpc.loadPackageDefinition(def) as unknown as { pb: { RRAPI: grpc.ServiceClientConstructor } }).pb;
    const ranges = [
      ['1', '3'],
      ['2', '5'],
      ['5', '1000000'],
    ];
    let call = 0;
    server = new grpc.Server();
    server.addService(pb.RRAPI.service, {
      GRPCNextID: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => {
        const [fromId, toId] = ranges[Math.min(call++, ranges.length - 1)]!;
        cb(null, { fromId, toId });
      },
      GRPCCurID: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { curId: '1' }),
      GRPCSetID: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { success: false }),
      GRPCPeer: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { results: [] }),
      GRPCAdmin: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { ok: false, message: '' }),
    });
    const port = await new Promise<number>((res, rej) => server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    child = spawn(process.execPath, [CLIENT, 'seq', '1', '2', `127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const end = Date.now() + 60_000;
    while (!(/^Error: ERANGEREGRESSION/m.test(out) && (out.match(/^Got: /gm) ?? []).length >= 6) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).toMatch(/^Error: ERANGEREGRESSION: .*\[2,5\)/m);
    const got = (out.match(/^Got: \d+$/gm) ?? []).map((l) => BigInt(l.slice(5)));
    expect(got.length).toBeGreaterThanOrEqual(6);
    expect(new Set(got).size).toBe(got.length);
    for (let i = 1; i < got.length; i++) expect(got[i]! > got[i - 1]!).toBe(true);
  });
});
