// shared-storage bench: synced writes/s with one batch per write vs GroupCommitWriter at several
// concurrency levels, and writeFileAtomic replacements/s. Everything is fsynced for real.
// Prints a table and writes <repo root>/bench-results/shared-storage.json.
// Usage: node dist/bench/index.js [--seconds 2]
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GroupCommitWriter, encodeBigintKey, openStore, writeFileAtomic, type Store } from '../src/index.js';

interface Row {
  workload: string;
  concurrency: number;
  writes_per_s: number;
  batches_per_s: number;
  writes_per_batch: number;
  p50_ms: number;
  p99_ms: number;
}

const VALUE_BYTES = 256;
const CONCURRENCY = [1, 16, 64, 256];

function argSeconds(): number {
  const i = process.argv.indexOf('--seconds');
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number(process.env.BENCH_SECONDS ?? 2);
  return Number.isFinite(v) && v > 0 ? v : 2;
}

function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('nx.json not found: run the bench inside the repo');
  }
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** Run `concurrency` loops of `once` for `seconds`; `syncs` counts synced batches (store.write calls). */
async function measure(
  workload: string,
  concurrency: number,
  seconds: number,
  syncs: () => number,
  once: (i: number) => Promise<void>,
): Promise<Row> {
  const latencies: number[] = [];
  const syncsBefore = syncs();
  const start = performance.now();
  const end = start + seconds * 1000;
  let next = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await once(next++);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsedS = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const synced = syncs() - syncsBefore;
  return {
    workload,
    concurrency,
    writes_per_s: Math.round(latencies.length / elapsedS),
    batches_per_s: Math.round(synced / elapsedS),
    writes_per_batch: synced ? Number((latencies.length / synced).toFixed(1)) : 0,
    p50_ms: Number(quantile(latencies, 0.5).toFixed(2)),
    p99_ms: Number(quantile(latencies, 0.99).toFixed(2)),
  };
}

async function storeRows(dir: string, seconds: number): Promise<Row[]> {
  const store: Store = await openStore(join(dir, 'db'));
  const value = new Uint8Array(VALUE_BYTES).fill(7);
  const rows: Row[] = [];
  try {
    for (const c of CONCURRENCY) {
      const ks = store.keyspace(`direct${c}`);
      rows.push(await measure('store.write (1 op, own fsync)', c, seconds, () => store.syncCount, (i) => store.write([ks.put(encodeBigintKey(BigInt(i)), value)])));
    }
    for (const c of CONCURRENCY) {
      const ks = store.keyspace(`group${c}`);
      const writer = new GroupCommitWriter(store);
      rows.push(await measure('GroupCommitWriter (1 op)', c, seconds, () => writer.syncCount, (i) => writer.write([ks.put(encodeBigintKey(BigInt(i)), value)])));
      await writer.close();
    }
  } finally {
    await store.close();
  }
  return rows;
}

async function fileRow(dir: string, seconds: number): Promise<Row> {
  const payload = new Uint8Array(1024).fill(1);
  let files = 0;
  return measure('writeFileAtomic (1 KiB)', 1, seconds, () => files, async () => {
    await writeFileAtomic(join(dir, 'state.bin'), payload);
    files++;
  });
}

function printTable(rows: Row[]): void {
  const headers = Object.keys(rows[0]!) as (keyof Row)[];
  const cells = [headers.map(String), ...rows.map((r) => headers.map((h) => String(r[h])))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  for (const [n, row] of cells.entries()) {
    console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

async function main(): Promise<void> {
  const seconds = argSeconds();
  const dir = mkdtempSync(join(tmpdir(), 'qk-storage-bench-'));
  try {
    console.log(`shared-storage bench: ${seconds} s per row, ${VALUE_BYTES}-byte values, data in ${dir}`);
    const rows = [...(await storeRows(dir, seconds)), await fileRow(dir, seconds)];
    printTable(rows);
    const out = join(repoRoot(), 'bench-results');
    mkdirSync(out, { recursive: true });
    const result = { package: 'shared-storage', date: new Date().toISOString(), seconds_per_row: seconds, value_bytes: VALUE_BYTES, results: { writes: rows } };
    writeFileSync(join(out, 'shared-storage.json'), JSON.stringify(result, null, 2));
    console.log(`wrote ${join(out, 'shared-storage.json')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
