import fs from 'node:fs';
import path from 'node:path';
import type { LinearizableResult } from '../checkers/linearizable.js';
import { describeOp } from '../checkers/linearizable.js';
import type { History, Operation } from '../history/history.js';
import { formatValue } from '../sim/trace.js';

export interface HistoryHtmlOptions {
  /** Show every key, not only the failing one. Default false. */
  allKeys?: boolean;
  title?: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A self-contained HTML time line: one row per process, one bar per operation from invoke to
 * completion (unknown outcomes run to the end, dashed). Ops that could not be placed are red,
 * the longest linearizable prefix is green. No scripts beyond hover titles, no dependencies.
 */
export function historyHtml(history: History | Operation[], result?: LinearizableResult, opts: HistoryHtmlOptions = {}): string {
  const all = Array.isArray(history) ? history : history.operations();
  const failKey = result && result.ok !== true ? result.key : undefined;
  const ops = all.filter((o) => opts.allKeys || failKey === undefined || o.key === failKey);
  const bad = new Set(result && result.ok === false ? result.ops.map((o) => o.id) : []);
  const prefixOrder = new Map(result && result.ok === false ? result.prefix.map((o, i) => [o.id, i + 1] as const) : []);
  const t0 = ops.reduce((m, o) => (o.invokeNs < m ? o.invokeNs : m), ops[0]?.invokeNs ?? 0n);
  const tEnd = ops.reduce((m, o) => {
    const e = o.completeNs ?? o.invokeNs;
    return e > m ? e : m;
  }, t0 + 1n);
  const span = Number(tEnd - t0) * 1.05 || 1;
  const procs = [...new Set(ops.map((o) => String(o.process)))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const rowH = 34;
  const width = 1400;
  const labelW = 80;
  const x = (t: bigint) => labelW + ((width - labelW - 10) * Number(t - t0)) / span;

  const bars = ops.map((o) => {
    const row = procs.indexOf(String(o.process));
    const x1 = x(o.invokeNs);
    const done = o.status === 'ok' || o.status === 'fail';
    const x2 = done && o.completeNs !== undefined ? x(o.completeNs) : width - 10;
    const cls = bad.has(o.id) ? 'bad' : prefixOrder.has(o.id) ? 'lin' : o.status;
    const label = `${o.f}(${formatValue(o.input, 30)})${o.status === 'ok' ? ` → ${formatValue(o.output, 30)}` : ` ${o.status}`}`;
    const order = prefixOrder.get(o.id);
    return `<div class="op ${cls}" style="left:${x1.toFixed(1)}px;top:${row * rowH + 30}px;width:${Math.max(4, x2 - x1).toFixed(1)}px" title="${esc(describeOp(o, t0))}${order ? ` (linearized #${order})` : ''}">${esc((order ? `${order}: ` : '') + label)}</div>`;
  });
  const rows = procs.map((p, i) => `<div class="proc" style="top:${i * rowH + 30}px">p${esc(p)}</div>`);
  const summary =
    result === undefined ? '' : result.ok === true ? `linearizable: ${result.ops} ops on ${result.keys} keys` : result.message;
  const ms = (Number(tEnd - t0) / 1e6).toFixed(3);
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(opts.title ?? 'history')}</title>
<style>
body{font:13px system-ui,sans-serif;margin:16px}
.tl{position:relative;width:${width}px;height:${procs.length * rowH + 40}px;border:1px solid #ccc;overflow:hidden}
.proc{position:absolute;left:4px;width:${labelW - 8}px;font-weight:600;line-height:26px}
.op{position:absolute;height:24px;line-height:24px;font-size:11px;overflow:hidden;white-space:nowrap;border-radius:3px;padding:0 3px;box-sizing:border-box;background:#dde7f5;border:1px solid #7a9cc6}
.op.info,.op.pending{background:#f4f0dc;border:1px dashed #b9a64f}
.op.fail{background:#eee;border:1px solid #bbb;color:#888}
.op.lin{background:#d9f2dc;border:1px solid #5aa864}
.op.bad{background:#f8d0d0;border:2px solid #c0392b;font-weight:600}
.axis{position:absolute;top:4px;font-size:11px;color:#666}
pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}
</style></head><body>
<h2>${esc(opts.title ?? 'history')}${failKey !== undefined ? ` — key ${esc(failKey)}` : ''}</h2>
<p>${ops.length} operations, ${procs.length} processes, ${ms} ms. Green: longest linearizable prefix (numbered in order); red: could not be placed; dashed: unknown outcome.</p>
<div class="tl"><div class="axis" style="left:${labelW}px">0 ms</div><div class="axis" style="right:8px">${ms} ms</div>
${rows.join('\n')}
${bars.join('\n')}
</div>
<pre>${esc(summary)}</pre>
</body></html>
`;
}

/** Writes historyHtml() to `file` (directories are created). */
export function writeHistoryHtml(file: string, history: History | Operation[], result?: LinearizableResult, opts?: HistoryHtmlOptions): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, historyHtml(history, result, opts));
}
