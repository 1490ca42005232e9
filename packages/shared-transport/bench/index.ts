// shared-transport bench: messages/s between two processes, one unary call per message vs
// PeerLink batches. Prints a table and writes <repo root>/bench-results/shared-transport.json.
// Usage: node dist/bench/index.js [--seconds 3]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesCodec, callUnary, createGrpcClient, PeerLink } from '../src/index.js';
import { serve } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));

function findUp(from: string, rel: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, rel))) return dir;
    if (dirname(dir) === dir) throw new Error(`${rel} not found above ${from}`);
  }
}

const packageDir = findUp(here, 'bench/bench.proto');
const protoPath = join(packageDir, 'bench/bench.proto');
const repoRoot = findUp(packageDir, 'nx.json');

interface Row {
  workload: string;
  outstanding_calls: number;
  msgs_per_call: number;
  msgs_per_s: number;
  calls_per_s: number;
  ratio_vs_unary_64: number;
}

function argSeconds(): number {
  const i = process.argv.indexOf('--seconds');
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number(process.env.BENCH_SECONDS ?? 3);
  return Number.isFinite(v) && v > 0 ? v : 3;
}

function startServerProcess(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('bench server did not start within 30 s')), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

const payload = new Uint8Array(64).fill(7);

async function unary(address: string, outstanding: number, seconds: number): Promise<{ msgs: number; calls: number; secs: number }> {
  const client = createGrpcClient(protoPath, 'quorumkit.bench.Bench', address);
  const run = async (ms: number): Promise<number> => {
    const end = Date.now() + ms;
    let n = 0;
    await Promise.all(
      Array.from({ length: outstanding }, async () => {
        while (Date.now() < end) {
          await callUnary(client, 'Echo', { payload }, { deadlineMs: 10_000 });
          n++;
        }
      }),
    );
    return n;
  };
  await run(500); // warm-up: connection, JIT
  const t0 = performance.now();
  const n = await run(seconds * 1000);
  const secs = (performance.now() - t0) / 1000;
  client.close();
  return { msgs: n, calls: n, secs };
}

async function batched(
  address: string,
  batchCountMax: number,
  inFlightMax: number,
  seconds: number,
): Promise<{ msgs: number; calls: number; secs: number }> {
  const link = new PeerLink<Uint8Array>({ address, from: 'bench', codec: bytesCodec, batchCountMax, inFlightMax });
  // keep enough queued that every free call slot leaves with a full batch
  const keepQueued = batchCountMax * inFlightMax * 2;
  const feed = async (ms: number): Promise<void> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      while (link.queued < keepQueued) link.send(payload);
      await new Promise((r) => setImmediate(r));
    }
  };
  await feed(500);
  const m0 = link.stats.messagesDelivered;
  const c0 = link.stats.batchesSent;
  const t0 = performance.now();
  await feed(seconds * 1000);
  const secs = (performance.now() - t0) / 1000;
  const msgs = link.stats.messagesDelivered - m0;
  const calls = link.stats.batchesSent - c0;
  await link.close();
  return { msgs, calls, secs };
}

async function main(): Promise<void> {
  const seconds = argSeconds();
  const { child, port } = await startServerProcess();
  const address = `127.0.0.1:${port}`;
  const kill = (): void => {
    child.stdin?.end();
    child.kill('SIGTERM');
  };
  process.on('exit', kill);
  console.log(`shared-transport bench: 64-byte messages, client and server in two Node processes, ${seconds} s per workload`);
  const plans: { workload: string; outstanding: number; per: number; run: () => Promise<{ msgs: number; calls: number; secs: number }> }[] = [
    { workload: 'unary call per message', outstanding: 1, per: 1, run: () => unary(address, 1, seconds) },
    { workload: 'unary call per message', outstanding: 64, per: 1, run: () => unary(address, 64, seconds) },
    { workload: 'PeerLink batch', outstanding: 8, per: 64, run: () => batched(address, 64, 8, seconds) },
    { workload: 'PeerLink batch', outstanding: 8, per: 256, run: () => batched(address, 256, 8, seconds) },
    { workload: 'PeerLink batch', outstanding: 1, per: 256, run: () => batched(address, 256, 1, seconds) },
  ];
  const rows: Row[] = [];
  for (const [i, p] of plans.entries()) {
    process.stderr.write(`  [${i + 1}/${plans.length}] ${p.workload}, ${p.outstanding} outstanding, up to ${p.per}/call ...\n`);
    const r = await p.run();
    rows.push({
      workload: p.workload,
      outstanding_calls: p.outstanding,
      msgs_per_call: Math.round((r.msgs / Math.max(1, r.calls)) * 10) / 10,
      msgs_per_s: Math.round(r.msgs / r.secs),
      calls_per_s: Math.round(r.calls / r.secs),
      ratio_vs_unary_64: 0,
    });
  }
  const base = rows[1]!.msgs_per_s || 1;
  for (const r of rows) r.ratio_vs_unary_64 = Math.round((r.msgs_per_s / base) * 10) / 10;

  const headers = ['workload', 'outstanding', 'msgs/call', 'msgs/s', 'calls/s', 'x unary@64'];
  const table = rows.map((r) => [r.workload, r.outstanding_calls, r.msgs_per_call, r.msgs_per_s, r.calls_per_s, r.ratio_vs_unary_64].map(String));
  const widths = headers.map((h, c) => Math.max(h.length, ...table.map((t) => t[c]!.length)));
  const line = (cells: string[]): string => cells.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const t of table) console.log(line(t));

  const outDir = join(repoRoot, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, 'shared-transport.json');
  writeFileSync(
    out,
    JSON.stringify(
      {
        package: '@quorumkit/shared-transport',
        workload: 'messages/s between two Node processes over loopback gRPC, 64-byte payloads',
        seconds_per_workload: seconds,
        node: process.version,
        when: new Date().toISOString(),
        results: rows,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${out}`);
  kill();
}

if (process.argv.includes('--serve')) {
  void serve(protoPath);
} else {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
