// The tour (`npm start`) is what a new user runs first: it must pass on every system, print
// its summary table, and leave no process behind. Also the report and torture front doors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const node = (args: string[], timeout: number) => spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout, env: { ...process.env, FORCE_COLOR: '0' } });

describe('tour', () => {
  it('runs every system\'s walkthrough against real clusters and prints the summary', () => {
    const r = node(['scripts/tour.mjs'], 300_000);
    const out = r.stdout + r.stderr;
    expect(out, out.slice(-3000)).toMatch(/all 6 scenarios passed/);
    expect(r.status).toBe(0);
    for (const system of ['certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos']) expect(out).toMatch(new RegExp(`^${system}\\s+.*\\bpass\\b`, 'm'));
    expect(out).toContain('user_name=rock user_id=20170001 balance=200');
    expect(out).toMatch(/read: {4}5;/);
    // csp-paxos: the same (client, seq) proposed through two nodes is committed once
    expect(out.match(/^\s*\d+ \S+ "hello tour"$/gm) ?? []).toHaveLength(1);
    // nothing the tour started is still running
    const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
    expect(ps).not.toMatch(/quorumkit-(certain|paxoskv|rrseq|constdb|csp-paxos)-/);
  }, 320_000);

  it('refuses an unknown system with a clear line and exit 2', () => {
    const r = node(['scripts/tour.mjs', 'nosuch'], 30_000);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown system nosuch; choose from certain, paxoskv, rrseq, constdb, csp-paxos/);
  });
});

describe('bench report', () => {
  it('renders every system\'s JSON as tables and charts in one self-contained page', async () => {
    const { renderReport, tablesOf } = await import('../../scripts/lib/report.mjs');
    const results = [
      { project: 'paxoskv', data: { workload: 'writes', rows: [{ clients: 1, ops_per_s: 700, p50_ms: 1.2 }, { clients: 64, ops_per_s: 3000, p50_ms: 15 }] } },
      { project: 'constdb', data: { table: [{ test: 'SET', pipeline: 1, constdb_ops_per_s: 50000, redis_ops_per_s: 70000 }] } },
    ];
    expect(tablesOf(results[0]!.data)).toHaveLength(1);
    const html = renderReport(results, [{ project: 'paxoskv', code: 0, seconds: 3 }]);
    const dir = mkdtempSync(join(tmpdir(), 'qk-report-'));
    writeFileSync(join(dir, 'report.html'), html);
    const page = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<section id="paxoskv">');
    expect(page).toContain('<section id="constdb">');
    expect((page.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(page).not.toMatch(/<script|https?:\/\//);
  });
});

describe('torture', () => {
  it('rejects a bad --minutes and an unknown system before running anything', () => {
    expect(node(['scripts/torture.mjs', '--minutes', 'abc'], 30_000).status).toBe(2);
    const r = node(['scripts/torture.mjs', '--minutes', '1', 'nosuch'], 30_000);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown system nosuch');
  });
});
