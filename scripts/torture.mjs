#!/usr/bin/env node
// npm run torture -- --minutes N [--explore-depth D] [system ...]
// Longer runs than CI affords: first each system's exhaustive explorer tests with D (default 2)
// more steps than CI explores (EXPLORE_DEPTH), then its deterministic simulations with many more seeds
// (fresh random seed bases each round), then its real-process e2e suites (nemesis runs) over
// and over, until its share of the time is used. Summarises seeds/operations checked and
// violations found, from the stats the harness appends to QUORUMKIT_TORTURE_STATS.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, installTeardown, makeTempDir } from './lib/procs.mjs';
import { printTable } from './lib/table.mjs';

const SYSTEMS = ['certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos'];
const argv = process.argv.slice(2);
const mi = argv.indexOf('--minutes');
const minutes = mi >= 0 ? Number(argv[mi + 1]) : 10;
if (!Number.isFinite(minutes) || minutes <= 0) {
  console.error('torture: --minutes must be a positive number');
  process.exit(2);
}
const di = argv.indexOf('--explore-depth');
const exploreDepth = di >= 0 ? Number(argv[di + 1]) : 2;
if (!Number.isInteger(exploreDepth) || exploreDepth < 0) {
  console.error('torture: --explore-depth must be a non-negative integer');
  process.exit(2);
}
const systems = argv.filter((a, i) => !a.startsWith('-') && i !== mi + 1 && i !== di + 1);
for (const s of systems) if (!SYSTEMS.includes(s)) { console.error(`torture: unknown system ${s}`); process.exit(2); }
const chosen = systems.length ? systems : SYSTEMS;
installTeardown();

const statsFile = join(makeTempDir('torture'), 'stats.jsonl');
const budgetMs = (minutes * 60_000) / chosen.length;

function vitest(cwd, files, env) {
  return new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run', ...files], { cwd, stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...env, QUORUMKIT_TORTURE_STATS: statsFile, QUORUMKIT_TORTURE_SYSTEM: env.SYSTEM } });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

const testFiles = (dir, re) => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).filter((f) => re.test(f)).map((f) => join(dir, f)) : []);

const summary = [];
for (const system of chosen) {
  const pkgDir = join(repoRoot, 'packages', system);
  const sims = testFiles(join(pkgDir, 'test'), /sim.*\.test\.ts$/);
  const explorers = testFiles(join(pkgDir, 'test'), /explore.*\.test\.ts$/);
  const e2es = testFiles(join(repoRoot, 'e2e', 'test'), new RegExp(`^${system}.*\\.e2e\\.test\\.ts$`));
  const deadline = Date.now() + budgetMs;
  let rounds = 0; let failures = 0;
  console.log(`\n=== torture ${system}: ${explorers.length} explorer, ${sims.length} simulation, ${e2es.length} e2e file(s), ${(budgetMs / 60_000).toFixed(1)} min ===`);
  if (explorers.length) failures += (await vitest(pkgDir, explorers, { SYSTEM: system, EXPLORE_DEPTH: String(exploreDepth), EXPLORE_MS: String(Math.max(60_000, budgetMs / 2)) })) ? 1 : 0;
  while (Date.now() < deadline) {
    const base = Math.floor(Math.random() * 2 ** 31);
    if (sims.length) failures += (await vitest(pkgDir, sims, { SYSTEM: system, SIM_SEEDS: '2000', SIM_SEED_BASE: String(base) })) ? 1 : 0;
    if (Date.now() < deadline && e2es.length) failures += (await vitest(join(repoRoot, 'e2e'), e2es, { SYSTEM: system, TORTURE: '1' })) ? 1 : 0;
    rounds += 1;
    if (!sims.length && !e2es.length) break;
  }
  summary.push({ system, rounds, failures });
}

const stats = existsSync(statsFile) ? readFileSync(statsFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
rmSync(statsFile, { force: true });
const rows = summary.map(({ system, rounds, failures }) => {
  const mine = stats.filter((s) => s.system === system);
  const seeds = mine.reduce((a, s) => a + (s.seeds ?? 0), 0);
  const ops = mine.reduce((a, s) => a + (s.ops ?? 0), 0);
  const violations = mine.reduce((a, s) => a + (s.violations ?? 0), 0);
  return [system, rounds, seeds, ops, violations, failures];
});
console.log('');
printTable(['system', 'rounds', 'sim seeds', 'history ops checked', 'violations', 'failed runs'], rows);
process.exit(summary.some((s) => s.failures) ? 1 : 0);
