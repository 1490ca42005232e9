#!/usr/bin/env node
// npm run bench: runs every package's bench target one after another (they measure
// against real processes, so never two at once), collects bench-results/<package>.json
// and writes bench-results/report.html (charts) and bench-results/report.md (tables).
// Usage: npm run bench [-- <project> ...]   |   node scripts/bench.mjs --report-only (re-render the JSON)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { repoRoot, installTeardown } from './lib/procs.mjs';
import { renderReport, tablesOf } from './lib/report.mjs';
import { markdownTable } from './lib/table.mjs';
import { etcdInstalled, measureEtcd } from './lib/etcd-anchor.mjs';

const PROJECTS = ['shared-storage', 'shared-transport', 'test-harness', 'certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos'];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const reportOnly = process.argv.includes('--report-only');
const projects = reportOnly ? [] : wanted.length ? wanted : PROJECTS;
const outDir = join(repoRoot, 'bench-results');
mkdirSync(outDir, { recursive: true });
installTeardown();

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
    writeFileSync(join(outDir, 'etcd-anchor.json'), JSON.stringify({ anchor: 'etcd 3.4 (Debian), 3 members, fsync on', puts: rows }, null, 2));
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

const results = [];
for (const project of ['etcd-anchor', ...PROJECTS]) {
  const f = join(outDir, `${project}.json`);
  if (existsSync(f)) results.push({ project, data: JSON.parse(readFileSync(f, 'utf8')) });
}
writeFileSync(join(outDir, 'report.html'), renderReport(results, status));
const md = ['# quorumkit benchmark report', '', `Generated ${new Date().toISOString()}.`, ''];
for (const { project, data } of results) {
  md.push(`## ${project}`, '');
  for (const t of tablesOf(data)) md.push(`**${t.title}**`, '', markdownTable(t.headers, t.rows), '');
}
writeFileSync(join(outDir, 'report.md'), md.join('\n'));
console.log(`\nbench: wrote ${join(outDir, 'report.html')} and report.md`);
for (const s of status) console.log(`  ${s.code === 0 ? 'ok  ' : 'FAIL'} ${s.project} (${s.seconds} s)`);
process.exit(status.some((s) => s.code !== 0) ? 1 : 0);
