import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLinearizable, historyHtml, kvModel, writeHistoryHtml } from '../src/index.js';
import { op } from './helpers/ops.js';

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
    const html = historyHtml(ops, r, { title: 'kv test' });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect(html).toContain('kv test — key a');
    expect((html.match(/class="op bad"/g) ?? []).length).toBe(r.ok === false ? r.ops.length : -1);
    // put 1, put 2 and the unknown-outcome put 3 (it may take effect before the get returns)
    expect((html.match(/class="op lin"/g) ?? []).length).toBe(3);
    expect(historyHtml(ops)).toContain('class="op info"');
    expect(html).not.toContain('&#60;b&#62;'); // other keys hidden by default
    expect(historyHtml(ops, r, { allKeys: true })).toContain('&#60;b&#62;'); // and escaped when shown
    expect(html).toContain('not linearizable');

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'th-html-')), 'sub', 'h.html');
    writeHistoryHtml(file, ops, r);
    expect(fs.readFileSync(file, 'utf8')).toContain('p2');
    fs.rmSync(path.dirname(path.dirname(file)), { recursive: true, force: true });
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
