// The bench report and the README figure tables, from the fixture JSON in
// scripts/fixtures/bench-run/ (the shapes every bench writes): nothing in a JSON file is
// left out of the report, each headline has quorumkit next to its anchor with the goal and a
// verdict, and readme-figures rewrites only the text between the markers, the same rows in
// the root README and the package README, refusing broken markers and mixed runs.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { otherJsonFiles, renderReport } from '../../scripts/lib/report.mjs';
import { headlineRows, num, verdictText } from '../../scripts/lib/headlines.mjs';
import { coveredLeaves, fmt, leafPaths } from '../../scripts/lib/tables.mjs';
import { esc } from '../../scripts/lib/svg.mjs';
import { loadBenchSet } from '../../scripts/lib/figures-md.mjs';
import { HISTORY_CAP, appendHistory, placeInRun, readHistory, runWindow } from '../../scripts/lib/history.mjs';
import { MarkerError, planReadmes } from '../../scripts/readme-figures.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(root, 'scripts', 'fixtures', 'bench-run');
const set = loadBenchSet(fixtures);
const temps: string[] = [];
const temp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `qk-${name}-`));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
const PACKAGES = ['shared-storage', 'shared-transport', 'test-harness', 'certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos'];

describe('bench report', () => {
  it('has a fixture for every bench', () => {
    expect(set.results.map((r) => r.project).sort()).toEqual(['etcd-anchor', ...PACKAGES].sort());
    expect(set.machine?.cores).toBe(2);
  });

  it.each(set.results.map((r) => [r.project, r.data] as const))('shows every value of %s.json in a table or its meta', (_p, data) => {
    const covered = coveredLeaves(data);
    const missing = leafPaths(data).map(([p]) => p).filter((p) => !covered.has(p));
    expect(missing).toEqual([]);
  });

  it('renders machine, headlines with goal lines and verdicts, history and every project', () => {
    const headlines = headlineRows(set.results);
    const history = [
      { date: '2026-12-01T10:00:00.000Z', machine: { cores: 2, loadAverageAtStart: [9.1] }, status: [], headlines: headlines.map((h) => ({ ...h, ratio: typeof h.ratio === 'number' ? h.ratio / 2 : h.ratio })) },
      { date: '2026-12-03T10:00:00.000Z', machine: { cores: 2, loadAverageAtStart: [1.5] }, status: [], headlines },
    ];
    const html = renderReport(set.results, [{ project: 'paxoskv', code: 0, seconds: 40 }, { project: 'rrseq', code: 1, seconds: 12 }], { machine: set.machine, history });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\//);
    for (const id of ['machine', 'headlines', 'history', ...PACKAGES, 'etcd-anchor']) expect(html).toContain(`<section id="${id}">`);
    // machine facts and the fsync probe
    expect(html).toContain('<td>cores</td><td>2</td>');
    expect(html).toMatch(/fsync probe<\/td><td>40 x 4096 B write\+fsync in bench-results: p50 2\.1 ms, p99 14\.8 ms/);
    expect(html).toContain('<td>load average at end</td><td>2.4, 2, 1.6</td>');
    expect(html).toContain('The load average was above the core count');
    expect(html).toContain('rrseq: failed (exit 1) in 12 s');
    // side by side, goal line, verdicts
    expect(html).toMatch(/<td>paxoskv<\/td><td>set, 64 clients, distinct keys[^<]*<\/td><td>626 writes\/s \(p50 97\.5 ms\)<\/td><td>etcd 2,764 puts\/s<\/td><td>0\.23x<\/td><td>&gt;= 2x etcd<\/td><td class="fail">FAIL<\/td>/);
    expect(html).toMatch(/<td>constdb<\/td><td>replication lag[^<]*<\/td><td>p50 0\.42 ms, p99 2\.4 ms<\/td><td><\/td><td><\/td><td>p99 &lt; 50 ms<\/td><td class="pass">pass<\/td>/);
    expect((html.match(/stroke-dasharray/g) ?? []).length).toBe(headlines.filter((h) => h.goal).length);
    expect(html).toContain('goal &gt;= 2x etcd');
    // history: both runs, the trend line
    expect(html).toContain('2026-12-01 10:00 (2 cores, load 9.1)');
    expect(html).toMatch(/<section id="history">.*<path d="M/s);
    // what the old report dropped: constdb's headline table has a chart, certain's ratios and settings are shown
    expect(html).toContain('<figcaption>singleNode: constdb</figcaption>');
    expect(html).toContain('<figcaption>singleNode: ratio</figcaption>');
    expect(html).toMatch(/<h3>ratios<\/h3><table class="fields"><tr><th>field<\/th><th>value<\/th><\/tr><tr><td>clients64_cards1000_vs_etcd64<\/td><td>0\.170<\/td>/);
    expect(html).toMatch(/<h3>settings<\/h3>/);
    expect(html).toContain('<li>loadAverage: 1.820, 1.640, 1.400</li>');
  });

  it('headlines: the ratio, the goal and the verdict follow the figures; a missing anchor is "not measured"', () => {
    const rows = headlineRows(set.results);
    const set64 = rows.find((r) => r.system === 'paxoskv' && r.workload.startsWith('set'))!;
    expect(set64.ratio).toBeCloseTo(626 / 2764, 5);
    expect(set64.pass).toBe(false);
    const fo = rows.filter((r) => r.system === 'csp-paxos' && r.workload.startsWith('leader fail-over'));
    expect(fo.map((r) => r.pass)).toEqual([true, false]);
    const dyn = rows.find((r) => r.system === 'rrseq' && r.workload.includes('dynamic'))!;
    expect(dyn.pass).toBe(true);
    const paxoskv = set.results.find((r) => r.project === 'paxoskv')!.data as { rows: { system: string }[] };
    const noEtcd = [{ project: 'paxoskv', data: { ...paxoskv, rows: paxoskv.rows.filter((r) => r.system === 'paxoskv') } }];
    const lone = headlineRows(noEtcd)[0]!;
    expect(lone.anchorText).toBe('etcd: not measured');
    expect(verdictText(lone)).toBe('not measured');
    // the bench's own etcd rows are missing, the run's etcd anchor file fills in
    const withAnchor = headlineRows([...noEtcd, set.results.find((r) => r.project === 'etcd-anchor')!])[0]!;
    expect(withAnchor.anchorText).toBe('etcd 2,166 puts/s');
  });

  // The section of the page that shows one result (up to the next section).
  const sectionOf = (html: string, id: string) => html.split(`<section id="${id}">`)[1]?.split('<section id=')[0] ?? '';
  const history2 = (hl = headlineRows(set.results)) => [
    { date: '2026-12-01T10:00:00.000Z', machine: { cores: 2, loadAverageAtStart: [9.1], loadAverageAtEnd: [11.2], fsyncP50Ms: 6.5 }, status: [{ project: 'rrseq', code: 1, seconds: 12 }, { project: 'paxoskv', code: 0, seconds: 40 }], headlines: hl },
    { date: '2026-12-03T10:00:00.000Z', machine: { cores: 2, loadAverageAtStart: [1.5] }, status: [{ project: 'paxoskv', code: 0, seconds: 41 }], headlines: hl },
  ];

  /** Leaves of data whose name or value is not in the section (array indexes have no name). */
  const lostLeaves = (sec: string, data: unknown) => leafPaths(data).filter(([p, v]) => {
    const name = String(p.split('.').at(-1));
    const named = /^\d+$/.test(name) || sec.includes(`>${esc(name)}<`) || sec.includes(`${esc(name)}: `);
    return !named || !sec.includes(esc(fmt(v)));
  });

  it.each(set.results.map((r) => [r.project, r.data] as const))('the rendered page shows every field of %s.json: its name and its value, in its section', (project, data) => {
    const sec = sectionOf(renderReport(set.results, [], { machine: set.machine, history: history2() }), project);
    expect(sec).not.toBe('');
    expect(lostLeaves(sec, data)).toEqual([]);
  });

  // The benches' real output in bench-results/ (read only; not committed, so CI has none and
  // this adds no test there): run locally after `npm run bench`, a new shape a bench writes is caught.
  const real = loadBenchSet(join(root, 'bench-results'));
  it.each(real.results.map((r) => [r.project, r.data] as const))('and every field of the committed bench-results/%s.json', (project, data) => {
    const sec = sectionOf(renderReport(real.results, [], { machine: real.machine, history: readHistory(join(root, 'bench-results')) }), project);
    expect(lostLeaves(sec, data)).toEqual([]);
  });

  it('the machine section shows every machine.json field, also ones the report does not know', () => {
    const machine: Record<string, any> = { ...set.machine!, diskModel: 'fixture disk', governor: { mode: 'performance' } };
    const sec = sectionOf(renderReport(set.results, [], { machine }), 'machine');
    const f = machine.fsyncProbe;
    for (const text of ['<td>cores</td><td>2</td>', '<td>CPU</td><td>fixture CPU</td>', '<td>memory</td><td>7.8 GiB</td>', '<td>Node</td><td>v20.20.2</td>', '<td>OS</td><td>linux 6.1</td>',
      `<td>load average at start (1, 5, 15 min)</td><td>${machine.loadAverageAtStart.map((x: number) => num(x)).join(', ')}</td>`,
      `${f.fsyncs} x ${f.bytes} B write+fsync in ${f.dir}: p50 ${num(f.p50_ms)} ms, p99 ${num(f.p99_ms)} ms, max ${num(f.max_ms)} ms`,
      `<td>date</td><td>${machine.date}</td>`, '<td>diskModel</td><td>fixture disk</td>', esc('{"mode":"performance"}')]) expect(sec).toContain(text);
  });

  it('says which results are from this run and warns when the set mixes runs', () => {
    const history = history2();
    const win = runWindow(set.machine, history)!;
    expect([new Date(win.start).toISOString(), win.end && new Date(win.end).toISOString()]).toEqual([set.machine!.date, '2026-12-03T10:00:00.000Z']);
    expect(placeInRun('2026-12-03T08:10:00.000Z', win)).toBe('this run');
    expect(placeInRun('2026-12-03T07:00:00.000Z', win)).toBe('earlier run');
    expect(placeInRun('2026-12-03T11:00:00.000Z', win)).toBe('after this run');
    expect(placeInRun('', win)).toBe('undated');
    expect(placeInRun('2026-12-03T08:10:00.000Z', runWindow(undefined, history))).toBe('no run recorded');

    const one = sectionOf(renderReport(set.results, [], { machine: set.machine, history }), 'results');
    expect(one).toContain('<td>paxoskv</td><td>2026-12-03 08:10:00</td><td class="pass">this run</td>');
    expect(one).toContain('<td>etcd-anchor</td><td>not recorded</td><td class="none">undated</td>');
    expect(one).not.toContain('Not one run');

    const moved = set.results.map((r) => (r.project === 'paxoskv' ? { ...r, data: { ...r.data, measuredAt: '2026-12-03T11:30:00.000Z' } }
      : r.project === 'shared-storage' ? { ...r, data: { ...r.data, date: '2026-12-02T08:00:00.000Z' } } : r));
    const mixed = sectionOf(renderReport(moved, [], { machine: set.machine, history, otherFiles: ['rrseq-quick.json'] }), 'results');
    expect(mixed).toContain('Not one run: shared-storage (earlier run, 2026-12-02 08:00:00); paxoskv (after this run, 2026-12-03 11:30:00)');
    expect(mixed).toContain('<td>paxoskv</td><td>2026-12-03 11:30:00</td><td class="fail">after this run</td>');
    expect(mixed).toContain("not part of any bench's set and not shown: rrseq-quick.json");
  });

  it('names JSON files in the results directory that belong to no bench', () => {
    const dir = temp('others');
    cpSync(fixtures, dir, { recursive: true });
    writeFileSync(join(dir, 'rrseq-quick.json'), '{}');
    writeFileSync(join(dir, 'history.json'), '[]');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    expect(otherJsonFiles(dir, loadBenchSet(dir).results)).toEqual(['rrseq-quick.json']);
    expect(otherJsonFiles(fixtures, set.results)).toEqual([]);
  });

  it('history: per run the machine (cores, load start->end, fsync p50), each figure with its anchor, and failed benches', () => {
    const sec = sectionOf(renderReport(set.results, [], { machine: set.machine, history: history2() }), 'history');
    expect(sec).toContain('<th>2026-12-01 10:00 (2 cores, load 9.1\u219211.2, fsync p50 6.5 ms)</th>');
    expect(sec).toContain('<th>2026-12-03 10:00 (2 cores, load 1.5)</th>');
    expect(sec).toMatch(/<td class="fail">0\.23x<br><small>626 writes\/s vs 2,764<\/small><\/td>/);
    expect(sec).toContain('<td class="fail">rrseq exit 1; 1 ok</td><td class="pass">paxoskv: ok in 41 s</td>');
  });

  it('charts a figure column even when some rows lack it, writing "not measured" there', () => {
    const data = { rows: [{ workload: 'a', ops_per_s: 10 }, { workload: 'b', ops_per_s: 20 }, { workload: 'c' }] };
    const sec = sectionOf(renderReport([{ project: 'rrseq', data }], []), 'rrseq');
    expect(sec).toContain('<figcaption>rows: ops_per_s</figcaption>');
    expect(sec).toContain('>not measured</text>');
  });

  it('history keeps the newest runs, capped', () => {
    const dir = temp('history');
    for (let i = 0; i < HISTORY_CAP + 5; i++) appendHistory(dir, { date: `run-${i}`, headlines: [] });
    const runs = readHistory(dir);
    expect(runs).toHaveLength(HISTORY_CAP);
    expect(runs[0]!.date).toBe('run-5');
    expect(runs.at(-1)!.date).toBe(`run-${HISTORY_CAP + 4}`);
  });
});

describe('readme-figures', () => {
  const copyReadmes = () => {
    const dir = temp('readmes');
    cpSync(join(root, 'README.md'), join(dir, 'README.md'));
    for (const p of PACKAGES) {
      mkdirSync(join(dir, 'packages', p), { recursive: true });
      cpSync(join(root, 'packages', p, 'README.md'), join(dir, 'packages', p, 'README.md'));
    }
    return dir;
  };

  it("every README in the repository has its markers, well formed", () => {
    const plan = planReadmes(root, set);
    expect(plan.map((p) => [p.rel, p.status === 'no markers'])).toEqual([['README.md', false], ...PACKAGES.map((p) => [`packages/${p}/README.md`, false])]);
  });

  it('rewrites only between the markers, the same rows in the root and the package README, and is idempotent', () => {
    const dir = copyReadmes();
    const before = readFileSync(join(dir, 'packages', 'paxoskv', 'README.md'), 'utf8');
    const plan = planReadmes(dir, set);
    for (const p of plan) writeFileSync(p.file, p.text);
    const after = readFileSync(join(dir, 'packages', 'paxoskv', 'README.md'), 'utf8');
    const outside = (t: string) => t.replace(/<!-- bench:paxoskv:begin -->[\s\S]*<!-- bench:paxoskv:end -->/, '');
    expect(outside(after)).toBe(outside(before));
    const rootText = readFileSync(join(dir, 'README.md'), 'utf8');
    const line = '| paxoskv | set, 64 clients, distinct keys, 3 acceptor processes, fsync | 626 writes/s (p50 97.5 ms) | etcd 2,764 puts/s | 0.23x | >= 2x etcd | FAIL |';
    expect(rootText).toContain(line);
    expect(after).toContain(line);
    expect(readFileSync(join(dir, 'packages', 'constdb', 'README.md'), 'utf8')).toContain('| HSET | 1 | 50,063 | 92,336 | 0.54 |');
    expect(planReadmes(dir, set).map((p) => p.status)).toEqual(plan.map(() => 'same'));
  });

  it('refuses broken markers and a set mixed from two runs, writing nothing', () => {
    const dir = copyReadmes();
    const f = join(dir, 'packages', 'rrseq', 'README.md');
    writeFileSync(f, readFileSync(f, 'utf8').replace('<!-- bench:rrseq:end -->', ''));
    expect(() => planReadmes(dir, set)).toThrow(MarkerError);
    const rootBefore = readFileSync(join(dir, 'README.md'), 'utf8');
    const cli = (args: string[]) => spawnSync(process.execPath, [join(root, 'scripts', 'readme-figures.mjs'), '--root', dir, ...args], { encoding: 'utf8', timeout: 60_000 });
    const broken = cli(['--dir', fixtures]);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/packages\/rrseq\/README\.md: has <!-- bench:rrseq:begin --> without <!-- bench:rrseq:end -->; nothing written/);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe(rootBefore);

    const mixed = temp('mixed');
    cpSync(fixtures, mixed, { recursive: true });
    const c = join(mixed, 'constdb.json');
    writeFileSync(c, readFileSync(c, 'utf8').replace('"date": "2026-12-03T08:40:00.000Z"', '"date": "2026-11-03T08:40:00.000Z"'));
    const r = cli(['--dir', mixed]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('constdb (2026-11-03T08:40:00.000Z) are not from the run');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe(rootBefore);

    // a single-package bench after the run ended (after the history entry the run appended)
    const later = temp('later');
    cpSync(fixtures, later, { recursive: true });
    const start = Date.parse((JSON.parse(readFileSync(join(later, 'machine.json'), 'utf8')) as { date: string }).date);
    writeFileSync(join(later, 'history.json'), JSON.stringify([{ date: new Date(start + 3_600_000).toISOString(), headlines: [], status: [] }]));
    const fresh = copyReadmes();
    const inRun = spawnSync(process.execPath, [join(root, 'scripts', 'readme-figures.mjs'), '--root', fresh, '--dir', later, '--check'], { encoding: 'utf8', timeout: 60_000 });
    expect(inRun.stderr).not.toContain('are not from the run');
    const p = join(later, 'paxoskv.json');
    const after = new Date(start + 7_200_000).toISOString();
    writeFileSync(p, readFileSync(p, 'utf8').replace(/"(date|when|measuredAt)": "[^"]+"/, `"$1": "${after}"`));
    const l = cli(['--dir', later]);
    expect(l.status).toBe(2);
    expect(l.stderr).toContain(`paxoskv (${after}) are not from the run`);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe(rootBefore);
  });
});
