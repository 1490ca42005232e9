// The failing-history page at realistic size: 1,500 ops over 10 processes and 3 keys with one
// planted stale read. Checks the page's structure and embedded data, then runs its inline
// script against a tiny DOM (test/helpers/miniDom.ts) and drives zoom, pan, tabs and "jump
// to the violation" the way the buttons, wheel, mouse and keys do.
import { describe, expect, it } from 'vitest';
import { checkLinearizable, historyHtml, kvModel } from '../src/index.js';
import type { HistoryViewData } from '../src/report/historyData.js';
import { type MiniDocument, type MiniElement, parseHtml, runPageScripts } from './helpers/miniDom.js';
import { registerHistory } from './helpers/registerHistory.js';

const drawn = (doc: MiniDocument) => doc.getElementById('qk-timeline')!.all().filter((e) => e.tagName === 'g' && e.getAttribute('data-id') !== null);
const cls = (e: MiniElement) => e.className.split(' ');
const idOf = (e: MiniElement) => Number(e.getAttribute('data-id'));

describe('failing-history viewer at 1,500 ops / 10 processes / 3 keys', () => {
  const { ops, planted, plantedKey } = registerHistory(7);
  const result = checkLinearizable(ops, kvModel, { timeBudgetMs: 120_000 });
  const html = historyHtml(ops, result, { title: 'kv: planted stale read' });

  it('the checker finds the planted stale read', () => {
    expect(ops).toHaveLength(1500);
    expect(new Set(ops.map((o) => o.process)).size).toBe(10);
    expect(new Set(ops.map((o) => o.key)).size).toBe(3);
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.key).toBe(plantedKey);
    // the history without the plant is linearizable: the plant is the violation
    const clean = ops.map((o) => (o.id === planted.id ? { ...o, output: undefined, status: 'fail' as const } : o));
    expect(checkLinearizable(clean, kvModel, { timeBudgetMs: 120_000 }).ok).toBe(true);
  });

  it('embeds every op completely, marks the violation, has key tabs and a legend', () => {
    expect(result.ok).toBe(false);
    if (result.ok !== false) return;
    const doc = parseHtml(html); // throws on misnested or unclosed tags
    const d = JSON.parse(doc.getElementById('qk-data')!.textContent) as HistoryViewData;
    const t0 = ops.reduce((m, o) => (o.invokeNs < m ? o.invokeNs : m), ops[0]!.invokeNs);
    expect(d.ops).toHaveLength(1500);
    expect(d.omitted).toBe(0);
    for (const o of ops) {
      const v = d.ops.find((x) => x.id === o.id)!;
      expect([v.p, d.keys[v.k], v.f, v.s, v.a, v.b]).toEqual([String(o.process), o.key, o.f, o.status, Number(o.invokeNs - t0), Number(o.completeNs! - t0)]);
      expect(v.in).toBe(o.input === null ? 'null' : String(o.input));
      if (o.status === 'ok' && o.f === 'get') expect(v.out).toBe(o.output === null ? 'null' : String(o.output));
    }
    const badIds = result.ops.map((o) => o.id).sort((a, b) => a - b);
    expect(badIds).toContain(planted.id);
    expect([...d.bad].sort((a, b) => a - b)).toEqual(badIds);
    expect(d.ops.filter((o) => o.bad).map((o) => o.id).sort((a, b) => a - b)).toEqual(badIds);
    expect(d.prefix).toEqual(result.prefix.map((o) => o.id));
    expect(d.ops.filter((o) => o.lin > 0)).toHaveLength(result.prefix.length);
    // the window: every op overlapping it is flagged, nothing else
    const w = d.window!;
    expect(w.a).toBeLessThanOrEqual(d.ops.find((o) => o.id === planted.id)!.a);
    for (const o of d.ops) {
      const end = o.s === 'ok' || o.s === 'fail' ? o.b! : Infinity;
      expect(o.cc).toBe(o.k === d.failKey && o.s !== 'fail' && o.a <= w.b && end >= w.a);
    }
    expect(d.concurrent.length).toBeGreaterThan(0);
    expect(d.concurrent.length).toBeLessThan(60); // a window, not the whole key
    // the violation list names the same ops
    const items = doc.getElementById('qk-violation')!.getElementsByTagName('li').map((li) => Number(li.getAttribute('data-op')));
    expect(items.sort((a, b) => a - b)).toEqual(badIds);
    // tabs: failing key first (marked), the other two, and all keys
    const tabs = doc.getElementById('qk-tabs')!.getElementsByTagName('button');
    expect(tabs.map((b) => [b.getAttribute('data-key'), b.textContent.replace(/ \(\d+\)$/, '')])).toEqual([
      ['0', `\u2717 key ${plantedKey}`], ['1', `key ${d.keys[1]}`], ['2', `key ${d.keys[2]}`], ['-1', 'all keys'],
    ]);
    expect(tabs[0]!.getAttribute('data-fail')).toBe('1');
    const legend = doc.getElementById('qk-legend')!.getElementsByTagName('li').map((li) => li.textContent);
    for (const want of ['linearized prefix', 'could not be placed', 'concurrent window', 'unknown outcome', 'failed']) expect(legend.join('|')).toContain(want);
    for (const id of ['qk-jump', 'qk-focus', 'qk-zoomin', 'qk-zoomout', 'qk-fit', 'qk-left', 'qk-right', 'qk-overview', 'qk-timeline']) expect(doc.getElementById(id), id).not.toBeNull();
  });

  it('the inline script runs: opens on the violation, zooms, pans, switches keys', () => {
    const doc = parseHtml(html);
    const d = JSON.parse(doc.getElementById('qk-data')!.textContent) as HistoryViewData;
    const { window } = runPageScripts(doc);
    const viewer = window.qkViewer as { state: { v0: number; v1: number; key: number; focus: boolean; sel: number | null; drawn: number }; fit(): void };
    const st = viewer.state;
    const span = () => st.v1 - st.v0;
    const w = d.window!;
    // opened centred on the violation, focused, the planted read selected first or listed
    expect(st.key).toBe(d.failKey);
    expect(st.v0).toBeLessThanOrEqual(w.a);
    expect(st.v1).toBeGreaterThanOrEqual(w.b);
    expect(span()).toBeLessThan(d.spanNs / 4);
    expect(st.focus).toBe(true);
    expect(doc.getElementById('qk-details')!.textContent).toMatch(/^#\d+ p\d+ /);
    let g = drawn(doc);
    const bad = g.filter((e) => cls(e).includes('bad'));
    expect(bad.map(idOf).sort((a, b) => a - b)).toEqual([...d.bad].sort((a, b) => a - b));
    expect(bad.every((e) => cls(e).includes('cc'))).toBe(true);
    const dim = g.filter((e) => cls(e).includes('dim'));
    expect(dim.length).toBeGreaterThan(0);
    expect(dim.every((e) => !d.ops.find((o) => o.id === idOf(e))!.cc)).toBe(true);
    expect(g.length).toBeLessThan(d.keyOps[0]!); // only the visible range is drawn

    // fit: the whole key; zoom in (button) halves the span around the middle
    doc.getElementById('qk-fit')!.dispatch('click');
    expect(drawn(doc)).toHaveLength(d.keyOps[0]!);
    const full = span();
    doc.getElementById('qk-zoomin')!.dispatch('click');
    expect(span()).toBeCloseTo(full / 2, 0);
    doc.getElementById('qk-zoomout')!.dispatch('click');
    expect(span()).toBeCloseTo(full, 0);
    // wheel zooms at the pointer: the time under it stays put
    const tl = doc.getElementById('qk-timeline')!;
    const px = 700;
    const at = (x: number) => st.v0 + ((x - 96) / (1200 - 96 - 12)) * span();
    const before = at(px);
    tl.dispatch('wheel', { deltaY: -100, clientX: px });
    expect(span()).toBeCloseTo(full / 1.25, 0);
    expect(at(px)).toBeCloseTo(before, -1);
    // drag pans by the dragged distance; a click without moving selects the op under it
    const v0 = st.v0;
    tl.dispatch('mousedown', { clientX: 500 });
    window.dispatch('mousemove', { clientX: 600 });
    window.dispatch('mouseup', { clientX: 600 });
    expect(v0 - st.v0).toBeCloseTo((100 / (1200 - 96 - 12)) * span(), 0);
    const target = drawn(doc)[3]!.getElementsByTagName('rect')[0]!;
    tl.dispatch('mousedown', { clientX: 300 });
    window.dispatch('mouseup', { clientX: 300, target });
    expect(st.sel).toBe(Number(target.getAttribute('data-id')));
    // keys: other tab, all keys; the violation jump comes back to the failing key
    doc.getElementById('qk-tabs')!.getElementsByTagName('button')[1]!.dispatch('click');
    expect(st.key).toBe(1);
    doc.getElementById('qk-fit')!.dispatch('click');
    g = drawn(doc);
    expect(g).toHaveLength(d.keyOps[1]!);
    expect(g.every((e) => d.ops.find((o) => o.id === idOf(e))!.k === 1)).toBe(true);
    doc.getElementById('qk-tabs')!.getElementsByTagName('button')[3]!.dispatch('click');
    expect(st.key).toBe(-1);
    expect(drawn(doc)).toHaveLength(1500);
    // 10 process labels, one per row (no process needed a second lane here)
    expect(tl.all().filter((e) => e.getAttribute('class') === 'proc').map((e) => e.textContent)).toEqual(Array.from({ length: 10 }, (_, i) => `p${i}`));
    doc.dispatch('keydown', { key: 'v', target: doc });
    expect(st.key).toBe(-1); // "all keys" contains the failing key: stays
    expect(st.v0).toBeLessThanOrEqual(w.a);
    doc.getElementById('qk-tabs')!.getElementsByTagName('button')[2]!.dispatch('click');
    doc.getElementById('qk-jump')!.dispatch('click');
    expect(st.key).toBe(d.failKey);
    // unchecking the box stops dimming
    const focus = doc.getElementById('qk-focus')!;
    focus.checked = false;
    focus.dispatch('change');
    expect(drawn(doc).some((e) => cls(e).includes('dim'))).toBe(false);
    // the overview strip recentres where it is clicked
    doc.getElementById('qk-overview')!.dispatch('click', { clientX: 96 + (1200 - 96 - 12) / 2 });
    expect((st.v0 + st.v1) / 2).toBeCloseTo(d.spanNs / 2, -3);
  });

  it('with thousands of bars in view it drops hover titles (details on click), with fewer it has them', () => {
    const big = registerHistory(5, 3000);
    const doc = parseHtml(historyHtml(big.ops, checkLinearizable(big.ops, kvModel, { timeBudgetMs: 120_000 })));
    const { window } = runPageScripts(doc);
    window.qkViewer.showKey(-1);
    window.qkViewer.fit();
    const g = drawn(doc);
    expect(g).toHaveLength(3000);
    expect(g.every((e) => e.getElementsByTagName('title').length === 0)).toBe(true);
    window.qkViewer.showKey(0);
    expect(drawn(doc).every((e) => e.getElementsByTagName('title').length === 1)).toBe(true);
  });

  it('caps what it embeds, keeping the failing key and the window', () => {
    expect(result.ok).toBe(false);
    const capped = parseHtml(historyHtml(ops, result, { maxOps: 600 }));
    const d = JSON.parse(capped.getElementById('qk-data')!.textContent) as HistoryViewData;
    expect(d.ops).toHaveLength(600);
    expect(d.omitted).toBe(900);
    expect(d.keyOps.reduce((a, b) => a + b, 0)).toBe(1500);
    expect(d.ops.filter((o) => o.k === d.failKey)).toHaveLength(d.keyOps[d.failKey]!);
    const ids = new Set(d.ops.map((o) => o.id));
    expect(d.bad.every((id) => ids.has(id))).toBe(true);
    expect(capped.getElementById('qk-stats')!.textContent).toContain('900 of 1500 operations are not embedded (cap 600)');
  });
});
