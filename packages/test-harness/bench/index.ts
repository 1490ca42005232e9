import fs from 'node:fs';
import path from 'node:path';
import { checkLinearizable, kvModel, type Operation } from '../src/index.js';
import { genKvHistory } from './genHistory.js';

function repoRoot(): string {
  let dir = process.cwd();
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && 'workspaces' in JSON.parse(fs.readFileSync(pkg, 'utf8'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

interface Row {
  scenario: string;
  ops: number;
  keys: number;
  clients: number;
  result: string;
  ms: number;
}

function measure(scenario: string, ops: Operation[], keys: number, clients: number): Row {
  const t = performance.now();
  const r = checkLinearizable(ops, kvModel, { timeBudgetMs: 120_000 });
  const ms = performance.now() - t;
  return { scenario, ops: ops.length, keys, clients, result: String(r.ok), ms: Math.round(ms * 10) / 10 };
}

// Warm the JIT so the first row is not charged for it.
checkLinearizable(genKvHistory({ ops: 5_000, keys: 50, clients: 10, seed: 99 }), kvModel);

const rows: Row[] = [];
const base = { ops: 10_000, keys: 100, clients: 20, seed: 1 };
rows.push(measure('linearizable kv (10k ops, 100 keys)', genKvHistory(base), base.keys, base.clients));

const broken = genKvHistory(base);
const victim = broken.findLast((o) => o.f === 'get' && o.status === 'ok')!;
victim.output = 99; // a value never written: a stale/phantom read
rows.push(measure('one phantom read (10k ops, 100 keys)', broken, base.keys, base.clients));

const hot = { ops: 10_000, keys: 10, clients: 50, seed: 2 };
rows.push(measure('hot keys, 50 clients (10k ops, 10 keys)', genKvHistory(hot), hot.keys, hot.clients));

const lossy = { ops: 10_000, keys: 100, clients: 20, seed: 4, infoRate: 0.05 };
rows.push(measure('5% unknown outcomes (10k ops, 100 keys)', genKvHistory(lossy), lossy.keys, lossy.clients));

const single = { ops: 10_000, keys: 1, clients: 10, seed: 5 };
rows.push(measure('one key, 10 clients (10k ops)', genKvHistory(single), single.keys, single.clients));

const big = { ops: 100_000, keys: 1_000, clients: 20, seed: 3 };
rows.push(measure('linearizable kv (100k ops, 1000 keys)', genKvHistory(big), big.keys, big.clients));

console.table(rows);
const out = path.join(repoRoot(), 'bench-results', 'test-harness.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, `${JSON.stringify({ package: '@quorumkit/test-harness', node: process.version, date: new Date().toISOString(), checkLinearizable: rows }, null, 2)}\n`);
console.log(`wrote ${out}`);
