import fs from 'node:fs';
import path from 'node:path';
import type { LinearizableResult } from '../checkers/linearizable.js';
import type { History, Operation } from '../history/history.js';
import { DEFAULT_MAX_OPS, type HistoryViewData, type HistoryViewOptions, historyViewData } from './historyData.js';
import { VIEWER_SCRIPT } from './viewerScript.js';

export type HistoryHtmlOptions = HistoryViewOptions;

/** Tabs beyond this many keys go into a drop-down only (a 1,000-key history needs no 1,000 tabs). */
export const MAX_KEY_TABS = 24;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON that cannot end its <script> element early. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const CSS = `
body{font:13px system-ui,sans-serif;margin:16px;color:#222}
h2{margin:0 0 6px}
.bar{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:8px 0}
button{font:inherit;padding:2px 9px;border:1px solid #999;border-radius:3px;background:#f6f6f6;cursor:pointer}
button.tab.active{background:#2d5b9a;color:#fff;border-color:#2d5b9a}
button.tab.failtab{border-color:#c0392b}
button#qk-jump{background:#f8d0d0;border-color:#c0392b;font-weight:600}
#qk-range{color:#555;margin-left:8px}
#qk-timeline{border:1px solid #ccc;overflow:hidden;cursor:grab;user-select:none;min-height:60px}
#qk-overview{cursor:pointer}
.op rect{fill:#dde7f5;stroke:#7a9cc6}
.op.info rect,.op.pending rect{fill:#f4f0dc;stroke:#b9a64f;stroke-dasharray:4 2}
.op .tail{stroke:#b9a64f;stroke-dasharray:3 3}
.op.fail rect{fill:#eee;stroke:#bbb}.op.fail text{fill:#888}
.op.lin rect{fill:#d9f2dc;stroke:#5aa864}
.op.bad rect{fill:#f8d0d0;stroke:#c0392b;stroke-width:2}.op.bad text{font-weight:600}
.op.cc rect{stroke-width:2}
.op.dim{opacity:.22}
.op.sel rect{stroke:#000;stroke-width:2.5}
.window{fill:#fbe3b6;opacity:.55}
.stripe{fill:#f7f7f7}.gutter{fill:#fff}.proc{font-weight:600;font-size:12px}
.tick{stroke:#e2e2e2}.axis{fill:#666;font-size:11px}
.ovbg{fill:#f0f0f0;stroke:#ccc}.ovbad{stroke:#c0392b;stroke-width:2}.ovview{fill:none;stroke:#2d5b9a;stroke-width:2}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin:8px 0;padding:0;list-style:none}
.legend i{display:inline-block;width:22px;height:11px;margin-right:5px;vertical-align:-1px;border:1px solid #7a9cc6;background:#dde7f5}
.legend i.lin{background:#d9f2dc;border-color:#5aa864}.legend i.bad{background:#f8d0d0;border:2px solid #c0392b}
.legend i.info{background:#f4f0dc;border:1px dashed #b9a64f}.legend i.fail{background:#eee;border-color:#bbb}
.legend i.window{background:#fbe3b6;border-color:#e0b860}.legend i.dim{opacity:.22}
#qk-details{background:#f6f6f6;padding:6px 8px;min-height:1.2em;font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap}
ol.violation{font-family:ui-monospace,monospace;font-size:12px}
pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}
kbd{border:1px solid #bbb;border-radius:3px;padding:0 3px;font-size:11px}
`;

function tabsHtml(d: HistoryViewData): string {
  const tab = (k: number, label: string) =>
    `<button class="tab${k === d.initialKey ? ' active' : ''}${k >= 0 && k === d.failKey ? ' failtab' : ''}" data-key="${k}"${k >= 0 && k === d.failKey ? ' data-fail="1"' : ''}>${esc(label)}</button>`;
  const name = (k: number) => `${k === d.failKey ? '\u2717 ' : ''}key ${d.keys[k]} (${d.keyOps[k]})`;
  const shown = d.keys.slice(0, MAX_KEY_TABS).map((_, k) => tab(k, name(k)));
  const all = d.keys.length > 1 ? [tab(-1, `all keys (${d.total})`)] : [];
  const select =
    d.keys.length > MAX_KEY_TABS
      ? `<select id="qk-keyselect" aria-label="key">${[-1, ...d.keys.map((_, k) => k)].map((k) => `<option value="${k}"${k === d.initialKey ? ' selected' : ''}>${esc(k < 0 ? 'all keys' : name(k))}</option>`).join('')}</select>`
      : '';
  return `<div class="bar" id="qk-tabs">${[...shown, ...all].join('')}${select}</div>`;
}

function violationHtml(d: HistoryViewData): string {
  if (!d.bad.length) return '';
  const byId = new Map(d.ops.map((o) => [o.id, o]));
  const items = d.bad.map((id) => `<li data-op="${id}" class="bad">${esc(byId.get(id)?.d ?? `#${id}`)}</li>`).join('');
  return `<h3>Could not be placed (${d.bad.length})</h3><ol class="violation" id="qk-violation">${items}</ol>`;
}

/**
 * A self-contained HTML page for a (failing) history: an SVG time line with one row per
 * process (extra lanes where a process's ops overlap), zoom and pan on the time axis, an
 * overview strip, "jump to the violation" (centres the concurrent window: ops overlapping it
 * highlighted, the rest dimmed), one tab per key and a legend. The data is embedded as JSON;
 * the script is inline; nothing is fetched. Without scripts the page still lists the
 * violation and the checker's message.
 */
export function historyHtml(history: History | Operation[], result?: LinearizableResult, opts: HistoryHtmlOptions = {}): string {
  const d = historyViewData(history, result, opts);
  const failName = d.failKey >= 0 ? d.keys[d.failKey] : undefined;
  const ms = (d.spanNs / 1e6).toFixed(3);
  const omitted = d.omitted ? ` <strong>${d.omitted} of ${d.total} operations are not embedded (cap ${opts.maxOps ?? DEFAULT_MAX_OPS}); the failing key's and the concurrent window's are all here.</strong>` : '';
  const jump = d.window
    ? `<button id="qk-jump" title="V">jump to the violation</button><label><input type="checkbox" id="qk-focus"> dim ops outside the concurrent window</label>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(d.title)}</title>
<style>${CSS}</style></head><body>
<h2>${esc(d.title)}${failName !== undefined ? ` \u2014 key ${esc(failName)}` : ''}</h2>
<p id="qk-stats">${d.total} operations, ${d.processes.length} processes, ${d.keys.length} keys, ${ms} ms.${d.bad.length ? ` ${d.bad.length} could not be placed after a linearizable prefix of ${d.prefix.length}; ${d.concurrent.length} overlap the concurrent window.` : ''}${omitted}</p>
${tabsHtml(d)}
<div class="bar" id="qk-controls">${jump}<button id="qk-zoomout" title="-">\u2212</button><button id="qk-zoomin" title="+">+</button><button id="qk-left" title="\u2190">\u25c0</button><button id="qk-right" title="\u2192">\u25b6</button><button id="qk-fit" title="0">fit</button><span id="qk-range"></span></div>
<div id="qk-overview"></div>
<div id="qk-timeline"><noscript><p>The time line needs scripts; the violation and the checker's message are below.</p></noscript></div>
<ul class="legend" id="qk-legend">
<li><i class="lin"></i>linearized prefix (numbered in order)</li>
<li><i class="bad"></i>could not be placed (the violation)</li>
<li><i class="window"></i>concurrent window</li>
<li><i class="ok"></i>other completed op</li>
<li><i class="info"></i>unknown outcome (may take effect any time after its invoke)</li>
<li><i class="fail"></i>failed (never took effect)</li>
<li><i class="dim"></i>outside the window (when dimming)</li>
</ul>
<p class="help">Wheel: zoom at the pointer (<kbd>Shift</kbd>+wheel pans); drag: pan; <kbd>+</kbd> <kbd>-</kbd> <kbd>\u2190</kbd> <kbd>\u2192</kbd> <kbd>0</kbd> fit, <kbd>V</kbd> violation; click the overview to go there, an op for its details.</p>
<div id="qk-details">Click an operation to see it here.</div>
${violationHtml(d)}
<pre id="qk-summary">${esc(d.summary)}</pre>
<script type="application/json" id="qk-data">${scriptJson(d)}</script>
<script>${VIEWER_SCRIPT}</script>
</body></html>
`;
}

/** Writes historyHtml() to `file` (directories are created). */
export function writeHistoryHtml(file: string, history: History | Operation[], result?: LinearizableResult, opts?: HistoryHtmlOptions): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, historyHtml(history, result, opts));
}
