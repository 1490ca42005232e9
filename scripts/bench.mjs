#!/usr/bin/env node
// npm run bench: runs every package's bench target one after another (they measure
// against real processes, so never two at once), collects bench-results/<package>.json
// and writes bench-results/report.html (charts) and bench-results/report.md (tables).
// It records the machine (cores, load, an fsync probe) in machine.json and appends the run's
// headline figures to history.json (capped). READMEs: node scripts/readme-figures.mjs.
// Usage: npm run bench [-- <project> ...]   |   node scripts/bench.mjs --report-only (re-render the JSON)
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { repoRoot, installTeardown } from './lib/procs.mjs';
import { otherJsonFiles, renderReport } from './lib/report.mjs';
import { headlineRows } from './lib/headlines.mjs';
import { detailMarkdown, headlineMarkdown, loadBenchSet } from './lib/figures-md.mjs';
import { machineInfo } from './lib/machine.mjs';
import { appendHistory, historyEntry, readHistory } from './lib/history.mjs';
import { etcdInstalled, measureEtcd } from './lib/etcd-anchor.mjs';

const PROJECTS = ['shared-storage', 'shared-transport', 'test-harness', 'certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos'];
const argv = process.argv.slice(2);
const dirArg = argv.includes('--dir') ? argv[argv.indexOf('--dir') + 1] : undefined;
const wanted = argv.filter((a, i) => !a.startsWith('-') && argv[i - 1] !== '--dir');
const reportOnly = argv.includes('--report-only');
// --dir re-renders another directory's JSON (fixtures, a copied run); the benches always
// write to <repo>/bench-results, so it only goes with --report-only
if (dirArg !== undefined && !reportOnly) {
  console.error('bench: --dir <path> needs --report-only (the benches write to bench-results/)');
  process.exit(2);
}
const projects = reportOnly ? [] : wanted.length ? wanted : PROJECTS;
const outDir = dirArg ? resolve(dirArg) : join(repoRoot, 'bench-results');
mkdirSync(outDir, { recursive: true });
installTeardown();
// measured before any bench starts, so the fsync probe sees the disk as the benches will
const machine = reportOnly ? undefined : machineInfo(outDir);

function runBench(project) {
  return new Promise((resolve) => {
    const child = spawn('npx', ['nx', 'run', `${project}:bench`, '--output-style=stream-without-prefixes'], {
      cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

const bar = process.stdout.isTTY ? new cliProgress.SingleBar({ format: ' bench {bar} {value}/{total} | {project}' }, cliProgress.Presets.shades_classic) : undefined;
const status = [];
// The etcd anchor (for paxoskv and certain) is measured in the same run, when installed.
if (!reportOnly && (!wanted.length || wanted.includes('paxoskv') || wanted.includes('certain'))) {
  if (etcdInstalled()) {
    console.log('=== anchor: etcd, 3 members on loopback, puts from Node (JSON gateway, keep-alive) ===');
    const rows = await measureEtcd({ seconds: 5 });
    for (const r of rows) console.log(`  ${r.clients} client(s): ${r.puts_per_s} puts/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`);
    writeFileSync(join(outDir, 'etcd-anchor.json'), JSON.stringify({ anchor: 'etcd 3.4 (Debian), 3 members, fsync on', date: new Date().toISOString(), puts: rows }, null, 2));
  } else {
    console.log('anchor: etcd is not installed (apt-get install etcd-server); paxoskv/certain are reported without it');
  }
}
for (const [i, project] of projects.entries()) {
  bar?.start(projects.length, i, { project });
  bar?.stop();
  console.log(`\n=== bench ${i + 1}/${projects.length}: ${project} ===`);
  const started = Date.now();
  const code = await runBench(project);
  status.push({ project, code, seconds: Math.round((Date.now() - started) / 1000) });
}

if (machine) writeFileSync(join(outDir, 'machine.json'), `${JSON.stringify(machine.finish(), null, 2)}\n`);
const { results, machine: machineFacts } = loadBenchSet(outDir);
const history = reportOnly ? readHistory(outDir) : appendHistory(outDir, historyEntry(new Date().toISOString(), machineFacts, headlineRows(results).filter((h) => status.some((s) => s.project === h.system)), status));
writeFileSync(join(outDir, 'report.html'), renderReport(results, status, { machine: machineFacts, history, otherFiles: otherJsonFiles(outDir, results) }));
const md = ['# quorumkit benchmark report', '', `Generated ${new Date().toISOString()}.`, ''];
const headlines = headlineRows(results);
if (headlines.length) md.push('## Headlines', '', headlineMarkdown(headlines), '');
for (const { project, data } of results) md.push(`## ${project}`, '', detailMarkdown(data), '');
writeFileSync(join(outDir, 'report.md'), md.join('\n'));
console.log(`\nbench: wrote ${join(outDir, 'report.html')} and report.md`);
for (const s of status) console.log(`  ${s.code === 0 ? 'ok  ' : 'FAIL'} ${s.project} (${s.seconds} s)`);
process.exit(status.some((s) => s.code !== 0) ? 1 : 0);
