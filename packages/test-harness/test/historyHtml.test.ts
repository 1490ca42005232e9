import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLinearizable, historyHtml, kvModel, writeHistoryHtml } from '../src/index.js';
import type { HistoryViewData } from '../src/report/historyData.js';
import { op } from './helpers/ops.js';
import { type MiniDocument, type MiniElement, parseHtml, runPageScripts } from './helpers/miniDom.js';

const dataOf = (doc: MiniDocument): HistoryViewData => JSON.parse(doc.getElementById('qk-data')!.textContent) as HistoryViewData;
const drawnOps = (doc: MiniDocument) => doc.getElementById('qk-timeline')!.all().filter((e) => e.tagName === 'g' && e.getAttribute('data-id') !== null);
const classOf = (e: MiniElement) => e.className.split(' ');

describe('writeHistoryHtml', () => {
  it('draws the failing key with the counterexample highlighted, self-contained', () => {
    const ops = [
      op(0, 'put', 1, undefined, 0, 10, { key: 'a' }),
      op(1, 'put', 2, undefined, 20, 30, { key: 'a' }),
      op(2, 'get', null, 1, 40, 50, { key: 'a' }),
      op(3, 'put', '<b>', undefined, 0, 50, { key: 'other' }),
      op(1, 'put', 3, undefined, 45, undefined, { key: 'a' }),
    ];
    const r = checkLinearizable(ops, kvModel);
    expect(r.ok).toBe(false);
    if (r.ok !== false) return;
    const html = historyHtml(ops, r, { title: 'kv test' });
    expect(html).toMatch(/^<!doctype html>/);
    // nothing is fetched: no src/href, and the only URL is the SVG namespace name
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html.match(/https?:\/\/[^'"\s]*/g)).toEqual(['http://www.w3.org/2000/svg']);
    expect(html).toContain('kv test — key a');
    expect(html).not.toContain('<b>'); // the other key's value is embedded, escaped
    const doc = parseHtml(html);
    const d = dataOf(doc);
    expect(d.keys).toEqual(['a', 'other']);
    expect(d.ops.find((o) => o.k === 1)!.in).toBe('"<b>"');
    expect(d.bad.sort()).toEqual(r.ops.map((o) => o.id).sort());
    // put 1, put 2 and the unknown-outcome put 3 (it may take effect before the get returns)
    expect(d.ops.filter((o) => o.lin > 0)).toHaveLength(3);
    expect(doc.getElementById('qk-summary')!.textContent).toContain('not linearizable');

    runPageScripts(doc);
    const g = drawnOps(doc);
    expect(g).toHaveLength(4); // the failing key's tab is open
    expect(g.filter((e) => classOf(e).includes('bad')).map((e) => Number(e.getAttribute('data-id'))).sort()).toEqual(d.bad.sort());
    expect(g.filter((e) => classOf(e).includes('lin'))).toHaveLength(3);

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'th-html-')), 'sub', 'h.html');
    writeHistoryHtml(file, ops, r);
    expect(fs.readFileSync(file, 'utf8')).toContain('"p":"2"');
    fs.rmSync(path.dirname(path.dirname(file)), { recursive: true, force: true });
  });

  it('a passing history opens on all keys with no violation controls', () => {
    const ops = [op(0, 'put', 1, undefined, 0, 10, { key: 'a' }), op(1, 'get', null, 1, 20, 30, { key: 'b' }), op(1, 'put', 5, undefined, 31, undefined, { key: 'b', status: 'info' })];
    const doc = parseHtml(historyHtml(ops));
    expect(doc.getElementById('qk-jump')).toBeNull();
    expect(dataOf(doc).initialKey).toBe(-1);
    runPageScripts(doc);
    const g = drawnOps(doc);
    expect(g).toHaveLength(3);
    expect(g.filter((e) => classOf(e).includes('info'))).toHaveLength(1);
    expect(g.some((e) => classOf(e).includes('dim'))).toBe(false);
  });

  it('past 24 keys the tabs stop and a drop-down lists every key', () => {
    const ops = Array.from({ length: 60 }, (_, i) => op(i % 4, 'put', i, undefined, i * 1e6, i * 1e6 + 5e5, { key: `key${i % 30}` }));
    const doc = parseHtml(historyHtml(ops));
    expect(doc.getElementById('qk-tabs')!.getElementsByTagName('button')).toHaveLength(24 + 1);
    const select = doc.getElementById('qk-keyselect')!;
    expect(select.getElementsByTagName('option')).toHaveLength(30 + 1);
    const { window } = runPageScripts(doc);
    const d = dataOf(doc);
    select.value = '27';
    select.dispatch('change');
    expect(window.qkViewer.state.key).toBe(27);
    window.qkViewer.fit();
    expect(drawnOps(doc).map((e) => d.ops.find((o) => o.id === Number(e.getAttribute('data-id')))!.k)).toEqual([27, 27]);
    const first = d.ops.find((o) => o.k === 27)!;
    window.qkViewer.setView(first.a - 1e5, first.b! + 1e5);
    const labels = drawnOps(doc).flatMap((e) => e.getElementsByTagName('text')).map((t) => t.textContent);
    expect(labels).toEqual([`put(${first.in})`]); // a put has no output to show
  });

  it('a failed check leaves the time line in QUORUMKIT_HISTORY_HTML_DIR and names it in the message', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'th-html-dir-'));
    const ops = [
      op(0, 'put', 1, undefined, 0, 10, { key: 'k/1' }),
      op(1, 'get', null, 7, 20, 30, { key: 'k/1' }),
    ];
    process.env.QUORUMKIT_HISTORY_HTML_DIR = dir;
    try {
      const bad = checkLinearizable(ops, kvModel);
      expect(bad.ok).toBe(false);
      const files = fs.readdirSync(dir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^linearizability-.*-k_1-\d+\.html$/);
      expect(bad.ok === false && bad.message).toContain(path.join(dir, files[0]!));
      expect(checkLinearizable(ops.slice(0, 1), kvModel).ok).toBe(true);
      expect(fs.readdirSync(dir)).toHaveLength(1); // nothing written for a passing check
    } finally {
      delete process.env.QUORUMKIT_HISTORY_HTML_DIR;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
