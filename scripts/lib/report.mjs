// Turns the benches' JSON files into an HTML report with inline SVG bar charts (no
// dependencies, opens from disk). Each bench writes its own shape; we find every array of
// flat row objects in it and chart its throughput-like and latency-like columns.

const THROUGHPUT = /(ops|ids|commits|msgs|messages|writes|reads|puts|calls|per_?s|\/s|throughput|rate)/i;
const LATENCY = /(p50|p90|p99|p999|latency|_ms$|Ms$|_ns$|Ns$|ns_per|nsPer)/i;

export function tablesOf(data, title = 'results') {
  const out = [];
  const visit = (node, name) => {
    if (Array.isArray(node) && node.length && node.every((r) => r && typeof r === 'object' && !Array.isArray(r))) {
      const headers = [...new Set(node.flatMap((r) => Object.keys(r).filter((k) => typeof r[k] !== 'object' || r[k] === null)))];
      if (headers.length) out.push({ title: name, headers, rows: node.map((r) => headers.map((h) => fmt(r[h]))), raw: node });
      return;
    }
    // { case_a: {flat}, case_b: {flat} } is a table too, one row per key
    const entries = node && typeof node === 'object' ? Object.entries(node) : [];
    const flat = (v) => v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x !== 'object');
    if (entries.length > 1 && entries.every(([, v]) => flat(v))) {
      visit(entries.map(([k, v]) => ({ case: k, ...v })), name);
      return;
    }
    for (const [k, v] of entries) visit(v, name === 'results' ? k : `${name} / ${k}`);
  };
  visit(data, title);
  return out;
}

function fmt(v) {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1);
  return v === undefined || v === null ? '' : String(v);
}

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function barChart(label, names, values) {
  const max = Math.max(...values, 1e-9);
  const rowH = 22; const labelW = 260; const barW = 420;
  const bars = values.map((v, i) => {
    const w = Math.max(1, (v / max) * barW);
    const y = i * rowH;
    return `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${esc(names[i])}</text>`
      + `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="#3b7dd8"></rect>`
      + `<text x="${labelW + w + 4}" y="${y + 15}">${esc(fmt(v))}</text>`;
  }).join('');
  return `<figure><figcaption>${esc(label)}</figcaption><svg width="${labelW + barW + 120}" height="${values.length * rowH + 4}" font-size="12" font-family="sans-serif">${bars}</svg></figure>`;
}

function chartsFor(table) {
  const numeric = table.headers.filter((h) => table.raw.every((r) => typeof r[h] === 'number'));
  const charted = (h) => numeric.includes(h) && (THROUGHPUT.test(h) || LATENCY.test(h));
  // rows are named by what is not charted (workload, clients, pipeline ...), at most three columns
  const labels = table.headers.filter((h) => !charted(h)).slice(0, 3);
  const names = table.raw.map((r, i) => labels.map((l) => r[l]).filter((v) => v !== undefined && v !== '').join(' ') || `#${i + 1}`);
  return numeric.filter(charted)
    .map((h) => barChart(`${table.title}: ${h}`, names, table.raw.map((r) => r[h]))).join('');
}

export function renderReport(results, status) {
  const sections = results.map(({ project, data }) => {
    const tables = tablesOf(data);
    const body = tables.map((t) => `<h3>${esc(t.title)}</h3><table><tr>${t.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`
      + t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('') + `</table>${chartsFor(t)}`).join('');
    const meta = Object.entries(data).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `<li>${esc(k)}: ${esc(v)}</li>`).join('');
    return `<section id="${esc(project)}"><h2>${esc(project)}</h2>${meta ? `<ul>${meta}</ul>` : ''}${body || '<p>No table in this result.</p>'}</section>`;
  }).join('');
  const runs = status.map((s) => `<li>${esc(s.project)}: ${s.code === 0 ? 'ok' : 'failed'} in ${s.seconds} s</li>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>quorumkit benchmarks</title><style>
body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}
th{background:#f0f0f0}figure{margin:.5em 0}figcaption{font-weight:bold;font-size:13px}section{border-top:2px solid #333;margin-top:2em}</style></head><body>
<h1>quorumkit benchmark report</h1><p>Generated ${esc(new Date().toISOString())}. Systems: ${results.map((r) => `<a href="#${esc(r.project)}">${esc(r.project)}</a>`).join(', ')}</p>
<ul>${runs}</ul>${sections}</body></html>`;
}
