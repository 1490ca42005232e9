// Turns one bench run's JSON files into bench-results/report.html: the machine (cores,
// load, fsync probe), every headline workload with quorumkit and its anchor side by side,
// the goal line and a verdict, the history of runs, and then every value of every JSON
// file as tables (with bar charts of the figure columns). Self-contained: inline SVG, no
// scripts, no links out, opens from disk.
import { readdirSync } from 'node:fs';
import { measuredAt } from './figures-md.mjs';
import { headlineRows, num, verdictText } from './headlines.mjs';
import { placeInRun, runWindow } from './history.mjs';
import { barChart, esc, goalChart, sparkline } from './svg.mjs';
import { fmt, metaOf, tablesOf } from './tables.mjs';

export { tablesOf };

const THROUGHPUT = /(ops|ids|commits|msgs|messages|writes|reads|puts|calls|per_?s|\/s|throughput|rate)/i;
const LATENCY = /(p50|p90|p99|p999|latency|_ms$|Ms$|^ms$|_ns$|Ns$|ns_per|nsPer)/i;
// columns named after a system or its anchor (constdb's singleNode: constdb / redis / ratio)
const COMPARED = /(ratio|constdb|redis|etcd|rrseq|simple|paxoskv|certain)/i;

function chartsFor(table) {
  if (table.kind === 'fields') return '';
  // a column is charted when every value it has is a number (rows without it show "not measured")
  const numeric = table.headers.filter((h) => table.raw.every((r) => r[h] === undefined || r[h] === null || typeof r[h] === 'number')
    && table.raw.filter((r) => typeof r[h] === 'number').length >= Math.max(1, table.raw.length / 2));
  const charted = (h) => numeric.includes(h) && (THROUGHPUT.test(h) || LATENCY.test(h) || COMPARED.test(h));
  // rows are named by what is not charted (workload, clients, pipeline ...), at most three columns
  const labels = table.headers.filter((h) => !charted(h)).slice(0, 3);
  const names = table.raw.map((r, i) => labels.map((l) => r[l]).filter((v) => v !== undefined && v !== '').join(' ') || `#${i + 1}`);
  return numeric.filter(charted).map((h) => barChart(`${table.title}: ${h}`, names, table.raw.map((r) => (typeof r[h] === 'number' ? r[h] : null)))).join('');
}

const htmlTable = (headers, rows, cls = '') => `<table${cls ? ` class="${cls}"` : ''}><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`
  + rows.map((r) => `<tr>${r.map((c) => (typeof c === 'object' && c !== null ? `<td class="${esc(c.cls)}">${esc(c.text)}</td>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('') + '</table>';

const verdictCell = (r) => ({ text: verdictText(r), cls: r.pass === true ? 'pass' : r.pass === false ? 'fail' : 'none' });

/** The chart of one headline: absolute figures when they are comparable, else the ratio against 1x. */
function headlineChart(r) {
  const absolute = !r.range && typeof r.ours === 'number' && (r.anchor === null || typeof r.anchor === 'number');
  if (absolute && !(r.goal?.on === 'ratio' && r.anchor === null)) {
    const goal = !r.goal ? null : r.goal.on === 'ratio' ? r.anchor * r.goal.value : r.goal.value;
    return goalChart([{ name: `quorumkit (${r.unit})`, value: r.ours, kind: 'ours' }, { name: r.anchorName || 'anchor', value: r.anchor, kind: 'anchor' }],
      goal, `goal ${r.goalText}`, r.pass);
  }
  if (typeof r.ratio === 'number') {
    return goalChart([{ name: r.range ? 'quorumkit / anchor (worst)' : 'quorumkit / anchor', value: r.ratio, kind: 'ours' }, { name: r.anchorName || 'anchor', value: 1, kind: 'anchor' }],
      r.goal?.on === 'ratio' ? r.goal.value : null, `goal ${r.goalText}`, r.pass);
  }
  return '<p class="nochart">not measured in this run</p>';
}

function headlineSection(rows) {
  if (!rows.length) return '<section id="headlines"><h2>Headlines</h2><p>No system result in this run.</p></section>';
  const passed = rows.filter((r) => r.pass === true).length;
  const failed = rows.filter((r) => r.pass === false).length;
  const table = htmlTable(['system', 'workload', 'quorumkit', 'anchor, same run', 'ratio', 'goal', 'verdict', 'note'],
    rows.map((r) => [r.system, r.workload, r.oursText, r.anchorText, r.ratioText, r.goalText, verdictCell(r), r.note]), 'headlines');
  const charts = rows.map((r) => `<div class="headline"><h4>${esc(r.system)}: ${esc(r.workload)} <span class="${verdictCell(r).cls}">${esc(verdictText(r))}</span></h4>${headlineChart(r)}</div>`).join('');
  return `<section id="headlines"><h2>Headlines</h2><p>${passed} of ${rows.length} goals met, ${failed} missed, ${rows.length - passed - failed} without a figure goal or not measured. Goals from the performance spec; ratios are what to read on a shared machine.</p>${table}${charts}</section>`;
}

const loads = (xs) => (Array.isArray(xs) ? xs.map((x) => num(x)).join(', ') : 'not recorded');

function machineSection(m) {
  if (!m) return '<section id="machine"><h2>Machine</h2><p>Not recorded for this run (no bench-results/machine.json).</p></section>';
  const f = m.fsyncProbe ?? {};
  const items = [
    ['cores', m.cores], ['CPU', m.cpuModel], ['memory', m.memoryGiB === undefined ? '' : `${m.memoryGiB} GiB`], ['Node', m.node], ['OS', m.platform],
    ['load average at start (1, 5, 15 min)', loads(m.loadAverageAtStart)], ['load average at end', loads(m.loadAverageAtEnd)],
    ['fsync probe', f.fsyncs ? `${f.fsyncs} x ${f.bytes} B write+fsync in ${f.dir}: p50 ${num(f.p50_ms)} ms, p99 ${num(f.p99_ms)} ms, max ${num(f.max_ms)} ms` : 'not run'],
  ];
  const known = new Set(['cores', 'cpuModel', 'memoryGiB', 'node', 'platform', 'loadAverageAtStart', 'loadAverageAtEnd', 'fsyncProbe']);
  for (const [k, v] of Object.entries(m)) if (!known.has(k)) items.push([k, typeof v === 'object' && v !== null ? JSON.stringify(v) : fmt(v)]);
  const loadNote = typeof m.cores === 'number' && (m.loadAverageAtEnd ?? m.loadAverageAtStart)?.[0] > m.cores ? '<p class="fail">The load average was above the core count: other work competed with the benches.</p>' : '';
  return `<section id="machine"><h2>Machine</h2>${htmlTable(['', ''], items)}${loadNote}</section>`;
}

const SHOWN_RUNS = 12;

const runHead = (h) => {
  const m = h.machine ?? {};
  const load = m.loadAverageAtStart?.[0] === undefined ? '' : `load ${num(m.loadAverageAtStart[0])}${m.loadAverageAtEnd?.[0] === undefined ? '' : `\u2192${num(m.loadAverageAtEnd[0])}`}`;
  const facts = [m.cores === undefined ? '' : `${m.cores} cores`, load, m.fsyncP50Ms === undefined ? '' : `fsync p50 ${num(m.fsyncP50Ms)} ms`].filter(Boolean).join(', ');
  return `${String(h.date).slice(0, 16).replace('T', ' ')}${facts ? ` (${facts})` : ''}`;
};

const benchesCell = (h) => {
  const st = Array.isArray(h.status) ? h.status : [];
  if (!st.length) return { text: 'not recorded', cls: 'none' };
  const bad = st.filter((x) => x.code !== 0);
  const secs = st.reduce((a, x) => a + (Number(x.seconds) || 0), 0);
  return bad.length
    ? { text: `${bad.map((x) => `${x.project} exit ${x.code}`).join(', ')}; ${st.length - bad.length} ok`, cls: 'fail' }
    : { text: `${st.map((x) => x.project).join(', ')}: ok in ${secs} s`, cls: 'pass' };
};

function historySection(history) {
  if (!history?.length) return '<section id="history"><h2>History of runs</h2><p>No earlier run recorded (bench-results/history.json).</p></section>';
  const runs = history.slice(-SHOWN_RUNS);
  const keys = [...new Map(runs.flatMap((h) => h.headlines ?? []).map((r) => [`${r.system}\u0000${r.workload}`, r])).values()];
  const figure = (r) => (r ? (typeof r.ratio === 'number' ? r.ratio : r.ours) : null);
  const cell = (r) => {
    if (!r) return { text: '', cls: 'none' };
    const ours = typeof r.ours === 'number' ? `${num(r.ours)} ${r.unit ?? ''}`.trim() : 'not measured';
    const text = typeof r.ratio === 'number' ? `${num(r.ratio, 2)}x` : ours;
    return { text, sub: typeof r.ratio === 'number' ? `${ours}${typeof r.anchor === 'number' ? ` vs ${num(r.anchor)}` : ''}` : '', cls: r.pass === true ? 'pass' : r.pass === false ? 'fail' : 'none' };
  };
  const rows = keys.map((k) => {
    const per = runs.map((h) => (h.headlines ?? []).find((r) => r.system === k.system && r.workload === k.workload));
    return [k.system, k.workload, ...per.map(cell), { html: sparkline(per.map(figure)) }];
  });
  rows.push(['benches', 'run in that `npm run bench`', ...runs.map(benchesCell), { html: '' }]);
  const head = ['system', 'workload', ...runs.map(runHead), 'trend'];
  const td = (c) => {
    if (typeof c !== 'object') return `<td>${esc(c)}</td>`;
    if (c.html !== undefined) return `<td>${c.html}</td>`;
    return `<td class="${c.cls}">${esc(c.text)}${c.sub ? `<br><small>${esc(c.sub)}</small>` : ''}</td>`;
  };
  const body = rows.map((r) => `<tr>${r.map(td).join('')}</tr>`).join('');
  const note = history.length > SHOWN_RUNS ? `<p>The last ${SHOWN_RUNS} of ${history.length} recorded runs; all are in bench-results/history.json.</p>` : '';
  return `<section id="history"><h2>History of runs</h2><p>Per run, oldest first: the ratio to the anchor (below it quorumkit's figure vs the anchor's), or the figure itself where there is no anchor; the column head has the machine's cores, load at start\u2192end and fsync p50 for that run.</p>${note}<table class="history"><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${body}</table></section>`;
}

/** Which run each result comes from: the report is about one run, and says so when it is not. */
function resultsSection(results, machine, history, otherFiles) {
  const win = runWindow(machine, history);
  const rows = results.map((r) => {
    const at = measuredAt(r.data);
    const place = placeInRun(at, win);
    return [r.project, at ? at.slice(0, 19).replace('T', ' ') : 'not recorded', { text: place, cls: place === 'this run' ? 'pass' : place === 'earlier run' || place === 'after this run' ? 'fail' : 'none' }];
  });
  const mixed = rows.filter((r) => r[2].text === 'earlier run' || r[2].text === 'after this run');
  const span = win ? `This run: ${new Date(win.start).toISOString().slice(0, 19).replace('T', ' ')} to ${win.end === null ? '(end not recorded)' : new Date(win.end).toISOString().slice(0, 19).replace('T', ' ')} UTC (machine.json and the run's history entry).` : 'No machine.json: the run is not known, so the results cannot be placed in one.';
  const warn = mixed.length ? `<p class="fail">Not one run: ${esc(mixed.map((r) => `${r[0]} (${r[2].text}, ${r[1]})`).join('; '))}. Its figures sit beside this run's; rerun \`npm run bench\` for a consistent set.</p>` : '';
  const others = otherFiles?.length ? `<p class="fail">Other JSON files in bench-results/, not part of any bench's set and not shown: ${esc(otherFiles.join(', '))}.</p>` : '';
  return `<section id="results"><h2>Results in this report</h2><p>${esc(span)}</p>${warn}${others}${htmlTable(['result', 'measured at (UTC)', 'run'], rows)}</section>`;
}

/** JSON files in dir that are neither a bench's result, nor the run's machine/history files. */
export function otherJsonFiles(dir, results) {
  const known = new Set([...results.map((r) => `${r.project}.json`), 'machine.json', 'history.json']);
  return readdirSync(dir).filter((f) => f.endsWith('.json') && !known.has(f)).sort();
}

function projectSection({ project, data }) {
  const tables = tablesOf(data);
  const body = tables.map((t) => `<h3>${esc(t.title)}</h3>${htmlTable(t.headers, t.rows, t.kind)}${chartsFor(t)}`).join('');
  const meta = metaOf(data).map(([k, v]) => `<li>${esc(k)}: ${esc(fmt(v))}</li>`).join('');
  return `<section id="${esc(project)}"><h2>${esc(project)}</h2>${meta ? `<ul>${meta}</ul>` : ''}${body || '<p>No table in this result.</p>'}</section>`;
}

/**
 * results: [{ project, data }] (one bench run), status: [{ project, code, seconds }] of the
 * benches run now, opts.machine: machine.json, opts.history: history.json's runs,
 * opts.otherFiles: JSON files in bench-results/ outside the set (otherJsonFiles).
 */
export function renderReport(results, status, opts = {}) {
  const headlines = headlineRows(results);
  const runs = status.length
    ? `<ul>${status.map((s) => `<li class="${s.code === 0 ? 'pass' : 'fail'}">${esc(s.project)}: ${s.code === 0 ? 'ok' : `failed (exit ${s.code})`} in ${s.seconds} s</li>`).join('')}</ul>`
    : '<p>Rendered from the JSON already in bench-results/ (no bench run now).</p>';
  const missing = ['certain', 'paxoskv', 'rrseq', 'constdb', 'csp-paxos'].filter((s) => !results.some((r) => r.project === s));
  return `<!doctype html><html><head><meta charset="utf-8"><title>quorumkit benchmarks</title><style>
body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}
th{background:#f0f0f0}td:first-child,td:nth-child(2){text-align:left}figure{margin:.5em 0}figcaption{font-weight:bold;font-size:13px}section{border-top:2px solid #333;margin-top:2em}
.pass{color:#1e6b2b;font-weight:bold}.fail{color:#b02a1a;font-weight:bold}.none{color:#666}.headline h4{margin:.8em 0 .2em;font-size:14px}.nochart{color:#666;font-size:13px}</style></head><body>
<h1>quorumkit benchmark report</h1><p>Generated ${esc(opts.generatedAt ?? new Date().toISOString())}. Sections: <a href="#machine">machine</a>, <a href="#results">results</a>, <a href="#headlines">headlines</a>, <a href="#history">history</a>, ${results.map((r) => `<a href="#${esc(r.project)}">${esc(r.project)}</a>`).join(', ')}</p>
${runs}${missing.length ? `<p class="fail">No result in this run for: ${esc(missing.join(', '))}.</p>` : ''}${machineSection(opts.machine)}${resultsSection(results, opts.machine, opts.history, opts.otherFiles)}${headlineSection(headlines)}${historySection(opts.history)}${results.map(projectSection).join('')}</body></html>`;
}
