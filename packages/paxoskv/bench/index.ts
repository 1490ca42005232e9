// nx run paxoskv:bench — writes/s and p50/p99 with 1, 16 and 64 concurrent clients on
// distinct keys against 3 acceptor processes (fsync on), then reads of chosen versions;
// etcd (3 members, same client process) as the anchor when it is installed, its rows alternating
// with paxoskv's.
// Env: BENCH_SECONDS (default 5) per row.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PaxosKvClient } from '../src/client/kvClient.js';
import { type Row, closedLoop } from './measure.js';
import { benchTempDir, commandExists, freePorts, killProcesses, startEtcd, startReadyProcess } from '@quorumkit/test-harness';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const CLIENTS = [1, 16, 64];

function repoRoot(): string {
  let d = here;
  while (d !== dirname(d)) {
    if (existsSync(join(d, 'nx.json'))) return d;
    d = dirname(d);
  }
  return process.cwd();
}

function cliPath(): string {
  for (const c of [join(here, '../cli/paxoskv.js'), join(here, '../dist/cli/paxoskv.js')]) if (existsSync(c)) return resolve(c);
  throw new Error('dist/cli/paxoskv.js not found: build first (nx run paxoskv:build)');
}

type Etcd = Awaited<ReturnType<typeof startEtcd>>;

function line(what: string, n: number, row: Row): void {
  process.stdout.write(`  ${what} ${String(n).padStart(2)} clients: ${row.ops_per_s} ops/s${row.errors ? `, ${row.errors} failures` : ''}\n`);
}

/**
 * paxoskv and etcd run side by side and their rows alternate (paxoskv n clients, then etcd n
 * clients): on the shared machine the load moves within a minute, and a ratio of two rows
 * measured a minute apart said more about that than about the systems.
 */
async function bench(rows: Row[]): Promise<boolean> {
  const tmp = benchTempDir('paxoskv');
  const children: ChildProcess[] = [];
  let etcd: Etcd | null = null;
  try {
    const ports = await freePorts(3);
    for (const [i, port] of ports.entries()) {
      const args = [cliPath(), 'serve', '--id', String(i), '--listen', `127.0.0.1:${port}`, '--data', join(tmp.dir, `acceptor${i}`), '--bootstrap', '--peers', ports.map((p) => `127.0.0.1:${p}`).join(',')];
      children.push(await startReadyProcess(process.execPath, args, /listening on/));
    }
    if (commandExists('etcd')) etcd = await startEtcd();
    else process.stdout.write('anchor: etcd is not installed (apt-get install etcd-server): no anchor figures\n');
    const client = new PaxosKvClient({ acceptors: ports.map((p) => `127.0.0.1:${p}`), deadlineMs: 10_000 });
    try {
      await closedLoop('warmup', 'set', 16, 1, (c, i) => client.set(`warm-${c}`, BigInt(i)));
      if (etcd) await closedLoop('warmup', 'put', 16, 1, (c, i) => etcd!.put(`warm-${c}-${i}`, 'x'));
      for (const n of CLIENTS) {
        const row = await closedLoop('paxoskv', 'set (distinct keys)', n, seconds, (c, i) => client.set(`w${n}-${c}`, BigInt(i)));
        rows.push(row);
        line('paxoskv set  ', n, row);
        if (etcd) {
          const e = await closedLoop('etcd (3 members)', 'put (distinct keys)', n, seconds, (c, i) => etcd!.put(`w${n}-${c}`, String(i)));
          rows.push(e);
          line('etcd    put  ', n, e);
        }
      }
      // issue 17 item 6: 64 writers on ONE key (coalesced inside the client; 0 failures is the goal)
      const hot = await closedLoop('paxoskv', 'set (one hot key)', 64, seconds, (c, i) => client.set('hot', `${c}-${i}`));
      rows.push(hot);
      process.stdout.write(`  paxoskv set   64 writers on one key: ${hot.ops_per_s} ops/s, ${hot.errors} failures\n`);
      // and 4 client objects x 16 writers on one key: the clients duel for versions
      const others = Array.from({ length: 3 }, () => new PaxosKvClient({ acceptors: ports.map((p) => `127.0.0.1:${p}`), deadlineMs: 10_000 }));
      try {
        const all = [client, ...others];
        const duel = await closedLoop('paxoskv', 'set (one hot key, 4 clients)', 64, seconds, (c, i) => all[c % 4]!.set('hot4', `${c}-${i}`));
        rows.push(duel);
        process.stdout.write(`  paxoskv set   4 clients x 16 writers on one key: ${duel.ops_per_s} ops/s, ${duel.errors} failures\n`);
      } finally {
        others.forEach((o) => o.close());
      }
      for (const n of [1, 64]) {
        const row = await closedLoop('paxoskv', 'get latest (chosen)', n, seconds, (c) => client.get(`w64-${c}`));
        rows.push(row);
        line('paxoskv get  ', n, row);
        if (etcd) {
          const e = await closedLoop('etcd (3 members)', 'linearizable get', n, seconds, (c) => etcd!.get(`w64-${c}`));
          rows.push(e);
          line('etcd    get  ', n, e);
        }
      }
    } finally {
      client.close();
    }
  } finally {
    etcd?.stop();
    killProcesses(children);
    tmp.remove();
  }
  return etcd !== null;
}

function table(rows: Row[]): string {
  const head = ['system', 'workload', 'clients', 'ops/s', 'p50 ms', 'p99 ms', 'errors'];
  const body = rows.map((r) => [r.system, r.workload, String(r.clients), String(r.ops_per_s), r.p50_ms.toFixed(2), r.p99_ms.toFixed(2), String(r.errors)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(w[i]!)).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

const rows: Row[] = [];
process.stdout.write(`paxoskv bench: 3 acceptor processes on 127.0.0.1, fsync on (group commit), ${seconds} s per row, one client process\n`);
const anchored = await bench(rows);
const ratios = CLIENTS.map((n) => {
  const ours = rows.find((r) => r.system === 'paxoskv' && r.workload.startsWith('set') && r.clients === n);
  const theirs = rows.find((r) => r.system.startsWith('etcd') && r.workload.startsWith('put') && r.clients === n);
  return { clients: n, ratio: ours && theirs && theirs.ops_per_s > 0 ? +(ours.ops_per_s / theirs.ops_per_s).toFixed(2) : null };
});
process.stdout.write('\n' + table(rows) + '\n');
if (anchored) for (const r of ratios) process.stdout.write(`ratio paxoskv/etcd writes, ${r.clients} clients: ${r.ratio}x\n`);
const outDir = join(repoRoot(), 'bench-results');
mkdirSync(outDir, { recursive: true });
const out = {
  package: 'paxoskv',
  settings: { acceptors: 3, processes: 'separate', fsync: true, seconds, host: '127.0.0.1' },
  anchor: anchored ? 'etcd (Debian), 3 members on loopback, JSON gateway, same client process' : 'etcd not installed',
  rows,
  ratios: anchored ? ratios : [],
  measuredAt: new Date().toISOString(),
};
writeFileSync(join(outDir, 'paxoskv.json'), JSON.stringify(out, null, 2) + '\n');
process.stdout.write(`wrote ${join(outDir, 'paxoskv.json')}\n`);
process.exit(0);
