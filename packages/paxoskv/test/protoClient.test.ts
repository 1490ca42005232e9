// A client built ONLY from a .proto (@grpc/proto-loader + grpc-js, none of our TS client
// code) runs the seed's slide-33 scenario against 3 real acceptor processes started
// through the built CLI, and sees exactly the replies the seed's acceptors give. The
// proto is the SEED's, verbatim from the spec (not ours with its added fields), so this
// is what any client generated from the original contract sees.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '@quorumkit/test-harness';

const SEED_PROTO = `syntax = "proto3";
package paxoskv;
service PaxosKV { rpc Prepare (Proposer) returns (Acceptor) {} rpc Accept (Proposer) returns (Acceptor) {} }
message BallotNum       { int64 N = 1; int64 ProposerId = 2; }
message Value           { int64 Vi64 = 1; }
message PaxosInstanceId { string Key = 1; int64 Ver = 2; }
message Acceptor        { BallotNum LastBal = 1; Value Val = 2; BallotNum VBal = 3; }
message Proposer        { PaxosInstanceId Id = 1; BallotNum Bal = 2; Value Val = 3; }
`;
const CLI = fileURLToPath(new URL('../dist/cli/paxoskv.js', import.meta.url));

interface Bal {
  N: string;
  ProposerId: string;
}
interface Reply {
  LastBal: Bal | null;
  Val: { Vi64: string } | null;
  VBal: Bal | null;
}

let cluster: Cluster | undefined;
let dataDir: string | undefined;
let clients: grpc.Client[] = [];

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (flock /tmp/quorumkit-build.lock npx nx run paxoskv:build)`);
  dataDir = mkdtempSync(join(tmpdir(), 'paxoskv-proto-'));
  cluster = await startCluster({
    nodes: 3,
    dataDir,
    spec: (i, ports) => ({
      command: process.execPath,
      args: [CLI, 'serve', '--id', String(i), '--listen', `127.0.0.1:${ports[i]![0]}`, '--data', join(dataDir!, `node${i}`, 'acceptor'), '--bootstrap', '--peers', ports.map((p) => `127.0.0.1:${p[0]}`).join(',')],
    }),
    readyWhen: /listening on/,
  });
  // exactly what a user of the seed's proto would do (keepCase: field names as written)
  const protoPath = join(dataDir, 'seed-paxoskv.proto');
  writeFileSync(protoPath, SEED_PROTO);
  const def = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as any;
  clients = cluster.ports.map((p) => new pkg.paxoskv.PaxosKV(`127.0.0.1:${p[0]}`, grpc.credentials.createInsecure()));
}, 90_000);

afterAll(async () => {
  clients.forEach((c) => c.close());
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function rpc(i: number, method: 'Prepare' | 'Accept', req: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    (clients[i] as any)[method](req, { deadline: Date.now() + 10_000 }, (err: Error | null, res: Reply) => (err ? reject(err) : resolve(res)));
  });
}

const id = { Key: 'i', Ver: '0' };
const X1 = { N: '1', ProposerId: '10' };
const Y = { N: '2', ProposerId: '11' };
const X3 = { N: '3', ProposerId: '10' };
const ZERO = { N: '0', ProposerId: '0' };

describe('proto-only client against real acceptors (slide 33/34)', () => {
  it('sees the seed acceptors replies step by step', async () => {
    // X phase1 (1,10) on {0, 1}: untouched instances, zero ballots and no value
    for (const i of [0, 1]) expect(await rpc(i, 'Prepare', { Id: id, Bal: X1 })).toEqual({ LastBal: ZERO, Val: null, VBal: ZERO });

    // Y phase1 (2,11) on {1, 2}: acceptor 1 reports X's promise (lower: still OK for Y)
    expect(await rpc(1, 'Prepare', { Id: id, Bal: Y })).toEqual({ LastBal: X1, Val: null, VBal: ZERO });
    expect(await rpc(2, 'Prepare', { Id: id, Bal: Y })).toEqual({ LastBal: ZERO, Val: null, VBal: ZERO });

    // X phase2 value 100 on {0, 1}: 0 accepts, 1 rejects with Y's ballot => higherBal == Y.Bal
    const a0 = await rpc(0, 'Accept', { Id: id, Bal: X1, Val: { Vi64: '100' } });
    const a1 = await rpc(1, 'Accept', { Id: id, Bal: X1, Val: { Vi64: '100' } });
    expect(a0).toEqual({ LastBal: X1, Val: null, VBal: null });
    expect(a1).toEqual({ LastBal: Y, Val: null, VBal: null });
    const ge = (a: Bal, b: Bal) => BigInt(a.N) > BigInt(b.N) || (a.N === b.N && BigInt(a.ProposerId) >= BigInt(b.ProposerId));
    const oks = [a0, a1].filter((r) => ge(X1, r.LastBal!));
    const higher = [a0, a1].filter((r) => !ge(X1, r.LastBal!)).map((r) => r.LastBal);
    expect(oks).toHaveLength(1); // NotEnoughQuorum
    expect(higher).toEqual([Y]);

    // Y phase2 value 200 on {1, 2}: both accept
    for (const i of [1, 2]) expect(await rpc(i, 'Accept', { Id: id, Bal: Y, Val: { Vi64: '200' } })).toEqual({ LastBal: Y, Val: null, VBal: null });

    // X retries with (3,10) on {0, 1}: sees 100 voted at (1,10) and 200 voted at (2,11)
    const p0 = await rpc(0, 'Prepare', { Id: id, Bal: X3 });
    const p1 = await rpc(1, 'Prepare', { Id: id, Bal: X3 });
    expect(p0).toEqual({ LastBal: X1, Val: { Vi64: '100' }, VBal: X1 });
    expect(p1).toEqual({ LastBal: Y, Val: { Vi64: '200' }, VBal: Y });
    const latest = [p0, p1].reduce((a, b) => (ge(b.VBal!, a.VBal!) ? b : a));
    expect(latest.Val!.Vi64).toBe('200');

    // X phase2 with the value it read: ok on both
    for (const i of [0, 1]) expect(await rpc(i, 'Accept', { Id: id, Bal: X3, Val: latest.Val })).toEqual({ LastBal: X3, Val: null, VBal: null });
  });

  it('the acceptors serve gRPC health', async () => {
    const healthDef = protoLoader.loadSync(fileURLToPath(new URL('../../../node_modules/grpc-health-check/proto/health/v1/health.proto', import.meta.url)), { keepCase: true });
    const health = grpc.loadPackageDefinition(healthDef) as any;
    const h = new health.grpc.health.v1.Health(`127.0.0.1:${cluster!.ports[0]![0]}`, grpc.credentials.createInsecure());
    const res = await new Promise<any>((resolve, reject) =>
      h.Check({ service: 'paxoskv.PaxosKV' }, { deadline: Date.now() + 10_000 }, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))),
    );
    h.close();
    expect(res.status).toBe(1); // SERVING
  });

  it('the acceptors serve gRPC reflection listing paxoskv.PaxosKV', async () => {
    const reflPath = fileURLToPath(new URL('../../../node_modules/@grpc/reflection/build/proto/grpc/reflection/v1alpha/reflection.proto', import.meta.url));
    const refl = grpc.loadPackageDefinition(protoLoader.loadSync(reflPath, { keepCase: true })) as any;
    const r = new refl.grpc.reflection.v1alpha.ServerReflection(`127.0.0.1:${cluster!.ports[1]![0]}`, grpc.credentials.createInsecure());
    const services = await new Promise<string[]>((resolve, reject) => {
      const call = r.ServerReflectionInfo({ deadline: Date.now() + 10_000 });
      call.on('data', (msg: any) => {
        resolve((msg.list_services_response?.service ?? []).map((s: { name: string }) => s.name));
        call.end();
      });
      call.on('error', reject);
      call.write({ list_services: '' });
    });
    r.close();
    expect(services).toContain('paxoskv.PaxosKV');
  });
});
