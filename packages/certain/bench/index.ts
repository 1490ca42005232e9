// certain bench. (1) the library: chosen writes/s and p50/p99 with 1, 10, 100 and 1000 hot
// entities, 3 replicas in separate processes, fsync on. (2) the card server: 3 card-srv
// processes, 1 and 64 clients over 1 and 1000 cards, against etcd (3 members, Node client
// on the leader) when installed. Prints a table, writes <repo>/bench-results/certain.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Certain, CardClient, grpcTransport } from '../src/index.js';
import { closedLoop, type Figures } from './measure.js';
import { benchDirs, cardConf, insertCards, processCpuMs, startCardServers } from './cluster.js';
import { benchTempDir, etcdInstalled, freePorts, killProcesses, startEtcd, startReadyProcess } from '@quorumkit/test-harness';

const { pkgDir, repoRoot } = benchDirs;
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

/** Resource use of a card row, per update and per chosen entry (all three servers). */
export interface CardCosts {
  /** CPU ms per update, each server (process utime + stime over the row / updates). */
  cpuMsPerUpdate: number[];
  /** CPU ms per update of the bench client process. */
  clientCpuMsPerUpdate: number;
  peerMessagesPerEntry: number;
  peerBytesPerEntry: number;
  /** plog and data-store fsyncs, all servers, per update */
  fsyncsPerUpdate: number;
  /** entries chosen per update (below 1: updates share entries) */
  entriesPerUpdate: number;
  /** peer messages per entry by kind (paxos, chosen, probe, catchUpReq, ...) */
  peerMessagesPerEntryByKind: Record<string, number>;
}

async function scrape(addr: string): Promise<Record<string, number>> {
  const text = await (await fetch(`http://${addr}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+(?:\{kind="[A-Za-z]+"\})?) ([0-9.e+-]+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

async function cardBench(): Promise<{ figs: Record<string, Figures & { costs?: CardCosts }> }> {
  const tmp = benchTempDir('certain-card');
  const ports = await freePorts(9);
  const card = ports.slice(3, 6);
  const metricsAddrs = ports.slice(6).map((p) => `127.0.0.1:${p}`);
  let children: ChildProcess[] = [];
  const out: Record<string, Figures & { costs?: CardCosts }> = {};
  const conf = cardConf(tmp.dir, ports);
  try {
    children = await startCardServers(conf, tmp.dir, () => [], (i) => ['--metrics-addr', metricsAddrs[i]!]);
    // all clients on server 0, as etcd's clients are all on its leader
    const clients = Array.from({ length: 8 }, () => new CardClient([`127.0.0.1:${card[0]}`]));
    const ids = Array.from({ length: 1000 }, (_, k) => BigInt(100_000 + k));
    await insertCards(clients, ids);
    const cases: [string, number, bigint[]][] = [['clients_1_cards_1000', 1, ids], ['clients_64_cards_1', 64, [ids[0]!]], ['clients_64_cards_1000', 64, ids]];
    for (const [name, workers, pool] of cases) {
      log(`card: ${name}, ${DURATION_MS} ms ...`);
      let n = 0;
      const before = await Promise.all(metricsAddrs.map(scrape));
      const cpu0 = children.map((c) => processCpuMs(c.pid));
      const client0 = process.cpuUsage();
      const f = await closedLoop(workers, DURATION_MS, async (w) => {
        const r = await clients[w % 8]!.call('UpdateCard', { cardId: pool[n++ % pool.length]!, delta: 1n });
        if (!r.ok) throw new Error(`code ${r.code}: ${r.msg}`);
      });
      const clientCpu = process.cpuUsage(client0);
      const cpu1 = children.map((c) => processCpuMs(c.pid));
      const after = await Promise.all(metricsAddrs.map(scrape));
      const d = (k: string) => after.map((a, i) => (a[k] ?? 0) - (before[i]![k] ?? 0));
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const updates = Math.max(1, f.calls);
      const entries = Math.max(1, d('certain_chosen_entries_total')[0]!);
      const r2 = (x: number) => +x.toFixed(2);
      out[name] = {
        ...f,
        costs: {
          cpuMsPerUpdate: cpu0.map((c, i) => r2(((cpu1[i] ?? 0) - (c ?? 0)) / updates)),
          clientCpuMsPerUpdate: r2((clientCpu.user + clientCpu.system) / 1000 / updates),
          peerMessagesPerEntry: r2(sum(d('certain_peer_messages_sent_total')) / entries),
          peerBytesPerEntry: Math.round(sum(d('certain_peer_bytes_sent_total')) / entries),
          fsyncsPerUpdate: r2((sum(d('certain_plog_syncs_total')) + sum(d('certain_db_syncs_total'))) / updates),
          entriesPerUpdate: r2(entries / updates),
          peerMessagesPerEntryByKind: Object.fromEntries(Object.keys(after[0]!).filter((k) => k.startsWith('certain_peer_messages_by_kind_total{'))
            .map((k) => [/kind="(\w+)"/.exec(k)![1]!, r2(sum(d(k)) / entries)])),
        },
      };
    }
    for (const c of clients) c.close();
  } finally {
    killProcesses(children);
    tmp.remove();
  }
  return { figs: out };
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

const row = (name: string, f: Figures & { costs?: CardCosts }) => {
  const base = `${name.padEnd(34)} ${String(f.opsPerSec).padStart(8)} ${f.p50Ms.toFixed(2).padStart(8)} ${f.p99Ms.toFixed(2).padStart(8)} ${String(f.errors).padStart(6)}`;
  const c = f.costs;
  if (!c) return base;
  return `${base} ${c.cpuMsPerUpdate.map((x) => x.toFixed(2)).join('/').padStart(16)} ${c.clientCpuMsPerUpdate.toFixed(2).padStart(7)} ${c.peerMessagesPerEntry.toFixed(1).padStart(7)} ${String(c.peerBytesPerEntry).padStart(8)} ${c.fsyncsPerUpdate.toFixed(2).padStart(8)}`;
};

// BENCH_PARTS=card,etcd runs only those parts (a quick look while working; the README
// tables come from a full run)
const parts = new Set((process.env.BENCH_PARTS ?? 'library,card,etcd').split(','));
const library = parts.has('library') ? await libraryBench() : {};
const cardFigs = parts.has('card') ? (await cardBench()).figs : {};
const etcd = !parts.has('etcd') ? undefined : await etcdBench().catch((err: unknown) => {
  log(`etcd anchor failed: ${err instanceof Error ? err.message : String(err)}`);
  return undefined;
});
const header = `${'workload'.padEnd(34)} ${'ops/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(6)} ${'cpu ms/upd s0/s1/s2'.padStart(16)} ${'cli ms'.padStart(7)} ${'msg/ent'.padStart(7)} ${'B/entry'.padStart(8)} ${'fsync/up'.padStart(8)}`;
const lines = [header];
for (const [k, f] of Object.entries(library)) lines.push(row(`certain write, ${k.replace('_', ' ')}`, f));
for (const [k, f] of Object.entries(cardFigs)) {
  lines.push(row(`card update, ${k.replaceAll('_', ' ')}`, f));
  for (const [kind, count] of Object.entries(f.errorKinds)) lines.push(`  ${count} failed: ${kind}`);
}
if (etcd) for (const [k, f] of Object.entries(etcd)) lines.push(row(`etcd put, ${k.replace('_', ' ')}`, f));
const ratios: Record<string, number> = {};
if (etcd && cardFigs.clients_64_cards_1000 && cardFigs.clients_1_cards_1000) {
  ratios.clients64_cards1000_vs_etcd64 = +(cardFigs.clients_64_cards_1000!.opsPerSec / etcd.clients_64!.opsPerSec).toFixed(2);
  ratios.clients1_p50_vs_etcd1_p50 = +(cardFigs.clients_1_cards_1000!.p50Ms / etcd.clients_1!.p50Ms).toFixed(2);
  lines.push(`ratio 64 clients/1000 cards vs etcd 64 clients: ${ratios.clients64_cards1000_vs_etcd64}x (goal >= 2x)`);
  lines.push(`ratio 1-client p50 vs etcd 1-client p50: ${ratios.clients1_p50_vs_etcd1_p50} (goal <= 1)`);
}
process.stdout.write(`certain bench (3 replicas in separate processes on loopback, fsync on, ${DURATION_MS} ms per row)\n${lines.join('\n')}\n`);
const outDir = join(repoRoot, 'bench-results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  // a partial run must not replace the full run's figures the READMEs are generated from
  join(outDir, parts.size === 3 ? 'certain.json' : 'certain-partial.json'),
  `${JSON.stringify({ when: new Date().toISOString(), durationMs: DURATION_MS, settings: { replicas: 3, fsync: true, valueBytes: 100 }, library, card: cardFigs, etcd: etcd ?? null, ratios }, null, 2)}\n`,
);
