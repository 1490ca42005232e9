// certain bench. (1) the library: chosen writes/s and p50/p99 with 1, 10, 100 and 1000 hot
// entities, 3 replicas in separate processes, fsync on. (2) the card server: 3 card-srv
// processes, 1 and 64 clients over 1 and 1000 cards, against etcd (3 members, Node client
// on the leader) when installed. Prints a table, writes <repo>/bench-results/certain.json.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { Certain, CardClient, grpcTransport } from '../src/index.js';
import { closedLoop, type Figures } from './measure.js';
import { benchTempDir, etcdInstalled, freePorts, killProcesses, startEtcd, startReadyProcess } from '@quorumkit/test-harness';

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = existsSync(join(here, '../package.json')) ? resolve(here, '..') : resolve(here, '../..');
const repoRoot = resolve(pkgDir, '../..');
const DURATION_MS = Number(process.env.BENCH_MS ?? 4000);
const log = (s: string) => process.stderr.write(`${s}\n`);

async function libraryBench(): Promise<Record<string, Figures>> {
  const tmp = benchTempDir('certain-lib');
  const ports = await freePorts(3);
  const peers = ports.map((p) => `127.0.0.1:${p}`);
  const children: ChildProcess[] = [];
  const out: Record<string, Figures> = {};
  let c0: Certain | undefined;
  try {
    for (const i of [1, 2]) {
      children.push(await startReadyProcess(process.execPath, [join(pkgDir, 'dist/bench/replica.js'), String(i), peers.join(','), tmp.dir], /bench replica \d ready/));
    }
    c0 = new Certain({ acceptorId: 0, acceptorNum: 3, peers, transport: grpcTransport, bootstrap: true, path: tmp.dir, apply: (_e, _k, v, tx) => tx.put(new Uint8Array([1]), v) });
    await c0.start();
    const value = new Uint8Array(100).fill(7);
    let base = 0n;
    for (const entities of [1, 10, 100, 1000]) {
      log(`library: ${entities} hot entities, ${DURATION_MS} ms ...`);
      const first = base;
      base += BigInt(entities);
      const certain = c0;
      const syncs0 = certain.plog.syncCount;
      const f = await closedLoop(entities, DURATION_MS, async (w) => {
        const e = first + BigInt(w);
        await certain.write(e, (await certain.maxChosen(e)) + 1n, value);
      });
      out[`entities_${entities}`] = { ...f, ...{ fsyncs: certain.plog.syncCount - syncs0 } };
    }
  } finally {
    await c0?.stop();
    killProcesses(children);
    tmp.remove();
  }
  return out;
}

async function cardBench(): Promise<Record<string, Figures>> {
  const tmp = benchTempDir('certain-card');
  const ports6 = await freePorts(6);
  const peer = ports6.slice(0, 3);
  const card = ports6.slice(3);
  const children: ChildProcess[] = [];
  const out: Record<string, Figures> = {};
  const conf = join(tmp.dir, 'bench.conf');
  writeFileSync(conf, `ServerAddrs = ${peer.map((p) => `127.0.0.1:${p}`).join(',')}\nCardAddrs = ${card.map((p) => `127.0.0.1:${p}`).join(',')}\nAcceptorNum = 3\nLogLevel = warn\n`);
  try {
    for (const i of [0, 1, 2]) {
      children.push(await startReadyProcess(process.execPath, [join(pkgDir, 'dist/cli/card-srv.js'), '-c', conf, '-p', tmp.dir, '-i', String(i), '--log-level', 'info', '--bootstrap'], /card-srv \d ready/));
    }
    // all clients on server 0, as etcd's clients are all on its leader
    const clients = Array.from({ length: 8 }, () => new CardClient([`127.0.0.1:${card[0]}`]));
    const ids = Array.from({ length: 1000 }, (_, k) => BigInt(100_000 + k));
    await Promise.all(ids.map((id, k) => clients[k % 8]!.call('InsertCard', { cardId: id, card: { userName: new TextEncoder().encode('bench'), userId: id, balance: 1_000_000n } })));
    const cases: [string, number, bigint[]][] = [['clients_1_cards_1000', 1, ids], ['clients_64_cards_1', 64, [ids[0]!]], ['clients_64_cards_1000', 64, ids]];
    for (const [name, workers, pool] of cases) {
      log(`card: ${name}, ${DURATION_MS} ms ...`);
      let n = 0;
      out[name] = await closedLoop(workers, DURATION_MS, async (w) => {
        const r = await clients[w % 8]!.call('UpdateCard', { cardId: pool[n++ % pool.length]!, delta: 1n });
        if (!r.ok) throw new Error(r.msg);
      });
    }
    for (const c of clients) c.close();
  } finally {
    killProcesses(children);
    tmp.remove();
  }
  return out;
}

async function etcdBench(): Promise<Record<string, Figures> | undefined> {
  if (!etcdInstalled()) {
    log('etcd not installed: no anchor figures (apt-get install etcd-server)');
    return undefined;
  }
  const etcd = await startEtcd();
  const out: Record<string, Figures> = {};
  try {
    for (const workers of [1, 64]) {
      log(`etcd: ${workers} clients, ${DURATION_MS} ms ...`);
      let n = 0;
      out[`clients_${workers}`] = await closedLoop(workers, DURATION_MS, () => etcd.put(`card${n++ % 1000}`, 'x'.repeat(40)));
    }
  } finally {
    etcd.stop();
  }
  return out;
}

const row = (name: string, f: Figures) => `${name.padEnd(34)} ${String(f.opsPerSec).padStart(8)} ${f.p50Ms.toFixed(2).padStart(8)} ${f.p99Ms.toFixed(2).padStart(8)} ${String(f.errors).padStart(6)}`;

const library = await libraryBench();
const cardFigs = await cardBench();
const etcd = await etcdBench().catch((err: unknown) => {
  log(`etcd anchor failed: ${err instanceof Error ? err.message : String(err)}`);
  return undefined;
});
const header = `${'workload'.padEnd(34)} ${'ops/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(6)}`;
const lines = [header];
for (const [k, f] of Object.entries(library)) lines.push(row(`certain write, ${k.replace('_', ' ')}`, f));
for (const [k, f] of Object.entries(cardFigs)) lines.push(row(`card update, ${k.replaceAll('_', ' ')}`, f));
if (etcd) for (const [k, f] of Object.entries(etcd)) lines.push(row(`etcd put, ${k.replace('_', ' ')}`, f));
const ratios: Record<string, number> = {};
if (etcd) {
  ratios.clients64_cards1000_vs_etcd64 = +(cardFigs.clients_64_cards_1000!.opsPerSec / etcd.clients_64!.opsPerSec).toFixed(2);
  ratios.clients1_p50_vs_etcd1_p50 = +(cardFigs.clients_1_cards_1000!.p50Ms / etcd.clients_1!.p50Ms).toFixed(2);
  lines.push(`ratio 64 clients/1000 cards vs etcd 64 clients: ${ratios.clients64_cards1000_vs_etcd64}x (goal >= 2x)`);
  lines.push(`ratio 1-client p50 vs etcd 1-client p50: ${ratios.clients1_p50_vs_etcd1_p50} (goal <= 1)`);
}
process.stdout.write(`certain bench (3 replicas in separate processes on loopback, fsync on, ${DURATION_MS} ms per row)\n${lines.join('\n')}\n`);
const outDir = join(repoRoot, 'bench-results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'certain.json'),
  `${JSON.stringify({ when: new Date().toISOString(), durationMs: DURATION_MS, settings: { replicas: 3, fsync: true, valueBytes: 100 }, library, card: cardFigs, etcd: etcd ?? null, ratios }, null, 2)}\n`,
);
