// Foreign gRPC clients: Python clients built only from the .proto files (stubs generated at
// test time with grpc_tools.protoc, never committed) drive real paxoskv, certain and rrseq
// processes started from the built CLIs. The Python scripts (e2e/python/) print what they
// saw as JSON; the assertions live here.
//
// Needs Debian's python3-grpcio and python3-grpc-tools (/usr/bin/python3 is tried first,
// then python3 on PATH, or QUORUMKIT_PYTHON). Without them every test is skipped with a
// printed reason.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startCluster, stopAllClusters, type Cluster, type ClusterOptions } from '@quorumkit/test-harness';

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const PY_DIR = repo('e2e/python');
const PAXOSKV = repo('packages/paxoskv/dist/cli/paxoskv.js');
const CARD_SRV = repo('packages/certain/dist/cli/card-srv.js');
const RRSEQ_SERVER = repo('packages/rrseq/dist/cli/rrseq-server.js');
const PROTO_DIRS = ['paxoskv', 'certain', 'rrseq'].map((p) => repo(`packages/${p}/proto`));
const PY_TIMEOUT_MS = 60_000;

// grpc.health.v1 as published by grpc; Debian ships no Python health stubs
// (grpcio-health-checking is not packaged), so the client compiles this copy.
const HEALTH_PROTO = `syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
`;

/** A python3 that imports grpc and grpc_tools, or why there is none. */
function findPython(): { python: string } | { missing: string } {
  const candidates = [process.env.QUORUMKIT_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  const imports = (py: string, mod: string): boolean | undefined => {
    const r = spawnSync(py, ['-c', `import ${mod}`], { timeout: 30_000, stdio: 'ignore' });
    return r.error ? undefined : r.status === 0;
  };
  let missing: string | undefined;
  for (const py of candidates) {
    const grpc = imports(py, 'grpc');
    if (grpc === undefined) continue; // no such interpreter
    const tools = imports(py, 'grpc_tools.protoc');
    if (grpc && tools) return { python: py };
    missing ??= [grpc ? '' : 'python3-grpcio', tools ? '' : 'python3-grpc-tools'].filter(Boolean).join(' and ');
  }
  return { missing: missing ?? 'python3 (and python3-grpcio, python3-grpc-tools)' };
}

const found = findPython();
const python = 'python' in found ? found.python : undefined;
if (!python) {
  console.warn(`interop e2e skipped: missing Debian package ${'missing' in found ? found.missing : ''} (apt-get install -y python3-grpcio python3-grpc-tools)`);
}

const dirs: string[] = [];
const clusters: Cluster[] = [];
let stubs: string | undefined;

afterAll(async () => {
  await Promise.allSettled(clusters.map((c) => c.stop()));
  await stopAllClusters();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

function run(args: string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      python!,
      args,
      { cwd: PY_DIR, timeout: PY_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 << 20, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } },
      (err, stdout, stderr) => (err ? reject(new Error(`${what} failed: ${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

/** Python stubs for every proto of the three packages plus grpc.health.v1, generated once. */
async function generatedStubs(): Promise<string> {
  if (stubs) return stubs;
  const out = tempDir('interop-stubs-');
  const healthDir = tempDir('interop-health-');
  writeFileSync(join(healthDir, 'health.proto'), HEALTH_PROTO);
  for (const dir of [...PROTO_DIRS, healthDir]) {
    const protos = readdirSync(dir).filter((f) => f.endsWith('.proto')).map((f) => join(dir, f));
    await run(['-m', 'grpc_tools.protoc', `-I${dir}`, `--python_out=${out}`, `--grpc_python_out=${out}`, ...protos], `protoc ${dir}`);
  }
  stubs = out;
  return out;
}

async function pyClient<T>(script: string, addrs: string[]): Promise<T> {
  const stdout = await run(['-B', join(PY_DIR, script), '--stubs', await generatedStubs(), ...addrs], script);
  return JSON.parse(stdout) as T;
}

async function cluster(opts: ClusterOptions): Promise<Cluster> {
  const c = await startCluster({ readyTimeoutMs: 60_000, ...opts });
  clusters.push(c);
  return c;
}

/** Three card-srv processes sharing one conf (`ServerAddrs` on free ports) and -p DIR. */
async function cardCluster(): Promise<Cluster> {
  const data = tempDir('interop-certain-');
  const conf = join(data, 'interop.conf');
  return cluster({
    nodes: 3,
    ports: 2, // [0] peers (ServerAddrs), [1] card service
    dataDir: data,
    spec: (i, ports) => {
      writeFileSync(
        conf,
        [
          '# written by the interop e2e test',
          `ServerAddrs = ${ports.map((p) => `127.0.0.1:${p[0]}`).join(', ')}`,
          'AcceptorNum = 3',
          'EnablePreAuth = true',
          'LocalAcceptFirst = true',
          'CmdTimeoutMS = 5000',
          'LogLevel = info',
          '',
        ].join('\n'),
      );
      return { command: process.execPath, args: [CARD_SRV, '-c', conf, '-p', data, '-i', String(i), '--card-addr', `127.0.0.1:${ports[i]![1]}`, '--bootstrap'] };
    },
    readyWhen: /card-srv \d ready/,
  });
}

type Bal = [number, number] | null;
interface PaxosReply { acceptor: number; LastBal: Bal; VBal: Bal; Val: number | null }
interface PaxosStep { step: string; replies: PaxosReply[]; result: { err: string | null; higherBal: Bal; value?: number | null } }

describe('foreign gRPC clients (Python, stubs from the .proto files only)', () => {
  it.skipIf(!python)('paxoskv: the seed slide-33/34 scenario with raw Prepare/Accept on 3 acceptor processes', async () => {
    const data = tempDir('interop-paxoskv-');
    const c = await cluster({
      nodes: 3,
      dataDir: data,
      spec: (i, ports) => ({
        command: process.execPath,
        args: [PAXOSKV, 'serve', '--id', String(i), '--listen', `127.0.0.1:${ports[i]![0]}`, '--data', join(data, `node${i}`, 'acceptor'),
          '--bootstrap', '--peers', ports.map((p) => `127.0.0.1:${p[0]}`).join(',')],
      }),
      readyWhen: /listening on/,
    });
    const r = await pyClient<{ steps: PaxosStep[]; final: PaxosReply[] }>('paxoskv_slides.py', c.ports.map((p) => `127.0.0.1:${p[0]}`));
    await c.stop(); // free the machine for the next scenario (afterAll stops it on failure)
    const step = (name: string): PaxosStep => {
      const s = r.steps.find((x) => x.step === name);
      if (!s) throw new Error(`no step ${name} in ${JSON.stringify(r)}`);
      return s;
    };
    const lastBals = (s: PaxosStep) => s.replies.map((x) => [x.acceptor, x.LastBal]);

    // X (1,10) phase 1 on {0,1}: untouched instance, zero ballots, no value.
    expect(step('X phase1').result).toEqual({ err: null, higherBal: null, value: null });
    expect(lastBals(step('X phase1'))).toEqual([[0, [0, 0]], [1, [0, 0]]]);
    expect(step('X phase1').replies.every((x) => x.Val === null)).toBe(true);
    // Y (2,11) phase 1 on {1,2}: acceptor 1 had promised X, its reply is the copy before the update.
    expect(step('Y phase1').result).toEqual({ err: null, higherBal: null, value: null });
    expect(lastBals(step('Y phase1'))).toEqual([[1, [1, 10]], [2, [0, 0]]]);
    // X phase 2 with 100 on {0,1}: acceptor 1 promised Y, so no quorum and the higher ballot is Y's.
    expect(step('X phase2').result).toEqual({ err: 'NotEnoughQuorum', higherBal: [2, 11] });
    expect(lastBals(step('X phase2'))).toEqual([[0, [1, 10]], [1, [2, 11]]]);
    // Y phase 2 with 200 on {1,2}: ok.
    expect(step('Y phase2').result).toEqual({ err: null, higherBal: null });
    expect(lastBals(step('Y phase2'))).toEqual([[1, [2, 11]], [2, [2, 11]]]);
    // X retries with (3,10) on {0,1}: sees 100 voted at (1,10) and 200 at (2,11); keeps 200.
    const retry = step('X retry phase1');
    expect(retry.result).toEqual({ err: null, higherBal: null, value: 200 });
    expect(retry.replies).toEqual([
      { acceptor: 0, LastBal: [1, 10], VBal: [1, 10], Val: 100 },
      { acceptor: 1, LastBal: [2, 11], VBal: [2, 11], Val: 200 },
    ]);
    expect(step('X retry phase2').result).toEqual({ err: null, higherBal: null });
    expect(lastBals(step('X retry phase2'))).toEqual([[0, [3, 10]], [1, [3, 10]]]);
    // Every acceptor now holds 200; a zero-ballot Prepare changed nothing.
    expect(r.final).toEqual([
      { acceptor: 0, LastBal: [3, 10], VBal: [3, 10], Val: 200 },
      { acceptor: 1, LastBal: [3, 10], VBal: [3, 10], Val: 200 },
      { acceptor: 2, LastBal: [2, 11], VBal: [2, 11], Val: 200 },
    ]);
  });

  interface CardInfo { user_name: string; user_id: string; balance: string; last_modified_time: number }
  interface CardOp { server: number; ok?: { card_info: CardInfo | null }; error?: { code: string; details: string; trailers: Record<string, string> } }

  it.skipIf(!python)('certain: card service business codes in x-card-code, uint64 fields and health on 3 card-srv processes', async () => {
    const c = await cardCluster();
    const r = await pyClient<{ health: Array<{ server: number; service: string; status: string }>; ops: Record<string, CardOp> }>(
      'card_client.py',
      c.ports.map((p) => `127.0.0.1:${p[1]}`),
    );
    await c.stop(); // free the machine for the next scenario (afterAll stops it on failure)

    expect(r.health).toHaveLength(6);
    for (const h of r.health) expect(h, JSON.stringify(h)).toMatchObject({ status: 'SERVING' });

    const ok = (label: string): CardInfo | null => {
      const o = r.ops[label];
      expect(o?.ok, `${label}: ${JSON.stringify(o)}`).toBeDefined();
      return o!.ok!.card_info;
    };
    const failed = (label: string, status: string, code: string, details: string): void => {
      const e = r.ops[label]?.error;
      expect(e, `${label}: ${JSON.stringify(r.ops[label])}`).toBeDefined();
      expect({ status: e!.code, code: e!.trailers['x-card-code'], details: e!.details }, label).toEqual({ status, code, details });
    };
    const rock = (balance: string) => ({ user_name: 'rock', user_id: '20170001', balance });

    expect(ok('insert')).toMatchObject(rock('200'));
    failed('insert again', 'ALREADY_EXISTS', '8002', 'card exists');
    failed('select missing', 'NOT_FOUND', '8001', 'card not exist');
    failed('update missing', 'NOT_FOUND', '8001', 'card not exist');
    failed('delete missing', 'NOT_FOUND', '8001', 'card not exist');
    failed('update below zero', 'FAILED_PRECONDITION', '8000', 'card balance not enough');
    expect(ok('update +10')).toMatchObject(rock('210'));
    for (const i of [0, 1, 2]) {
      const card = ok(`select on ${i}`);
      expect(card).toMatchObject(rock('210'));
      expect(card!.last_modified_time).toBeGreaterThan(0);
    }
    const big = { user_name: 'zoë', user_id: '18446744073709551615' };
    expect(ok('insert big')).toMatchObject({ ...big, balance: '9007199254740993' });
    expect(ok('update big +2')).toMatchObject({ ...big, balance: '9007199254740995' });
    expect(ok('select big')).toMatchObject({ ...big, balance: '9007199254740995' });
    ok('delete');
    failed('select deleted', 'NOT_FOUND', '8001', 'card not exist');
  });

  // Found by this suite (certain owner to fix): one InsertCard with a ~500 KB user_name
  // makes the other two replicas log "plog write failed; stopping" (their PaxosCmd reply
  // carries the value twice, JSON/base64, ~1.78 MB > the peer link's batchBytesMax 1 MiB),
  // so the whole card service stops (UNAVAILABLE "store is closed" / DEADLINE_EXCEEDED for
  // every card) while health still answers SERVING. One request must never do that.
  it.skipIf(!python)('certain: one oversized InsertCard does not stop the card service', async () => {
    const c = await cardCluster();
    const r = await pyClient<Record<string, unknown>>('card_oversized.py', c.ports.map((p) => `127.0.0.1:${p[1]}`));
    await c.stop(); // free the machine for the next scenario (afterAll stops it on failure)
    const seen = JSON.stringify(r);
    for (const i of [0, 1, 2]) {
      expect(r[`insert on ${i}`], `insert on ${i} after the oversized insert: ${seen}`).toEqual({ ok: true });
      expect(r[`select on ${i}`], `select on ${i} after the oversized insert: ${seen}`).toEqual({ balance: String(70 + i) });
      expect(r[`health of ${i}`], seen).toBe('SERVING');
    }
  });

  it.skipIf(!python)('rrseq: GRPCNextID / GRPCCurID / GRPCSetID with uint64 values on 3 rrseq-server processes', async () => {
    const data = tempDir('interop-rrseq-');
    const c = await cluster({
      nodes: 3,
      dataDir: data,
      spec: (i, ports) => ({
        command: process.execPath,
        // Server 0 forms the cluster (--init); the others join it.
        args: [RRSEQ_SERVER, ...(i === 0 ? ['--init'] : []), `:${ports[i]![0]}`, join(data, `node${i}`, `serv${i + 1}_persist`), ...ports.filter((_, j) => j !== i).map((p) => `:${p[0]}`)],
      }),
      readyWhen: /^serving$/m,
    });
    const r = await pyClient<Record<string, string[] | boolean[]>>('rrseq_client.py', c.ports.map((p) => `127.0.0.1:${p[0]}`));
    await c.stop(); // free the machine for the next scenario (afterAll stops it on failure)
    const B = 2n ** 53n + 1n;
    const T = 2n ** 64n - 3n;
    const s = (v: bigint) => v.toString();
    // A value a majority must hold after an allocation; the other replica may still lag
    // behind (its ADVANCE may be in flight) but never be ahead or below `floor`.
    const majorityAt = (label: string, want: bigint, floor: bigint): void => {
      const vals = (r[label] as string[]).map(BigInt);
      expect(vals.filter((v) => v === want).length, `${label}: ${vals}`).toBeGreaterThanOrEqual(2);
      for (const v of vals) expect(v >= floor && v <= want, `${label}: ${vals}`).toBe(true);
    };

    expect(r['cur unknown']).toEqual(['1', '1', '1']);
    // The first range starts at 1, and ranges from different servers follow on.
    expect(r['next 5 on 0']).toEqual(['1', '6']);
    expect(r['next 3 on 1']).toEqual(['6', '9']);
    expect(r['next 1 on 2']).toEqual(['9', '10']);
    majorityAt('cur interop', 10n, 1n);
    // As in the original, a range_size below 1 means 1 (its buffer-0 client sends 0).
    expect(r['next size 0']).toEqual(['10', '11']);
    expect(r['next size -1']).toEqual(['11', '12']);
    // [0,0) means failure: an empty name.
    expect(r['next empty name']).toEqual(['0', '0']);
    // SetID above 2^53 on every replica round-trips exactly, and NextID continues from it.
    expect(r['set big']).toEqual([true, true, true]);
    expect(r['cur big']).toEqual([s(B), s(B), s(B)]);
    expect(r['next 2 big']).toEqual([s(B), s(B + 2n)]);
    // SetID never lowers a value, and as in the original it answers false when it did not raise.
    expect(r['set big lower']).toEqual([false, false, false]);
    majorityAt('cur big after lower', B + 2n, B);
    // Just below 2^64: allocate up to 2^64-1, then a range that would pass 2^64-1 fails.
    expect(r['set top']).toEqual([true, true, true]);
    expect(r['cur top']).toEqual([s(T), s(T), s(T)]);
    expect(r['next 2 top']).toEqual([s(T), s(T + 2n)]);
    expect(r['next 5 top (overflow)']).toEqual(['0', '0']);
    majorityAt('cur top after', T + 2n, T);
    // SetID raises only the replica it is sent to.
    expect(r['set solo on 2']).toEqual([true]);
    expect(r['cur solo']).toEqual(['1', '1', '1000']);
  });
});
