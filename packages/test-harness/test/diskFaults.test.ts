import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskFaultError, corruptDir, deleteFiles, describeChanges, flipBytes, truncateFile, wipeDir } from '../src/faults/index.js';

let root: string;
let outside: string;
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i & 0xff));

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'th-disk-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'th-disk-outside-'));
  fs.mkdirSync(path.join(root, 'db'));
  fs.writeFileSync(path.join(root, 'db', '000003.log'), bytes(300));
  fs.writeFileSync(path.join(root, 'db', 'CURRENT'), 'MANIFEST-000002\n');
  fs.writeFileSync(path.join(root, 'maxver'), bytes(16));
  fs.writeFileSync(path.join(outside, 'precious'), 'keep me');
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

describe('disk faults', () => {
  it('wipeDir removes everything inside and reports each file; refuses while the node is up', () => {
    expect(() => wipeDir(root, { isUp: () => true })).toThrow(DiskFaultError);
    expect(fs.readdirSync(root).length).toBe(2);
    const changes = wipeDir(root, { isUp: () => false });
    expect(changes.map((c) => path.relative(root, c.file))).toEqual(['db/000003.log', 'db/CURRENT', 'maxver']);
    expect(fs.readdirSync(root)).toEqual([]);
    expect(fs.readFileSync(path.join(outside, 'precious'), 'utf8')).toBe('keep me');
  });

  it('deleteFiles deletes only matching files', () => {
    const changes = deleteFiles(root, /CURRENT/);
    expect(changes).toEqual([{ file: path.join(root, 'db', 'CURRENT'), action: 'delete' }]);
    expect(fs.existsSync(path.join(root, 'db', '000003.log'))).toBe(true);
  });

  it('truncateFile: half, a number, a seeded mid-record offset, and refusals', () => {
    const log = path.join(root, 'db', '000003.log');
    expect(truncateFile(log, { at: 'half' })).toMatchObject({ fromSize: 300, toSize: 150 });
    expect(fs.statSync(log).size).toBe(150);
    expect(truncateFile(log, { at: 100, root })).toMatchObject({ toSize: 100 });
    expect(fs.readFileSync(log)).toEqual(bytes(100));
    const a = truncateFile(log, { at: 'mid-record', seed: 5 });
    expect(a.toSize).toBeGreaterThan(0);
    expect(a.toSize).toBeLessThan(100);
    expect(() => truncateFile(log, { at: 10_000 })).toThrow(/BAD_OFFSET|not in/);
    const err = (() => {
      try {
        truncateFile(path.join(outside, 'precious'), { at: 0, root });
      } catch (e) {
        return e as DiskFaultError;
      }
    })();
    expect(err?.code).toBe('OUTSIDE_DIR');
    expect(fs.readFileSync(path.join(outside, 'precious'), 'utf8')).toBe('keep me');
    expect(() => truncateFile(path.join(root, '..', path.basename(outside), 'precious'), { at: 0, root })).toThrow(DiskFaultError);
  });

  it('flipBytes changes exactly the reported bytes by one bit each, in the asked region, reproducibly', () => {
    const f = path.join(root, 'db', '000003.log');
    const changes = flipBytes(f, { seed: 42, count: 3, region: 'tail' });
    expect(changes).toHaveLength(3);
    const now = fs.readFileSync(f);
    const orig = bytes(300);
    const diff = [...now.keys()].filter((i) => now[i] !== orig[i]);
    expect(diff).toEqual(changes.map((c) => c.offset));
    for (const c of changes) {
      expect(c.offset).toBeGreaterThanOrEqual(300 - 64);
      expect(c.oldByte).toBe(orig[c.offset!]);
      expect(c.newByte).toBe(now[c.offset!]);
      const x = c.oldByte! ^ c.newByte!;
      expect(x & (x - 1)).toBe(0); // exactly one bit
    }
    fs.writeFileSync(f, orig);
    expect(flipBytes(f, { seed: 42, count: 3, region: 'tail' })).toEqual(changes);
    expect(flipBytes(f, { seed: 1, count: 1, region: [10, 11] })[0]!.offset).toBe(10);
    expect(flipBytes(f, { seed: 1, count: 2, region: 'head' }).every((c) => c.offset! < 64)).toBe(true);
    expect(() => flipBytes(f, { seed: 1, count: 1, region: [5, 5] })).toThrow(DiskFaultError);
    expect(() => flipBytes(path.join(outside, 'precious'), { seed: 1, count: 1, root })).toThrow(/not inside/);
    expect(() => flipBytes(f, { seed: 1, count: 1 }, { isUp: () => true })).toThrow(/node is up/);
  });

  it('corruptDir damages one matching file, says exactly what it did, and is seeded', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'th-disk-copy-'));
    try {
      fs.cpSync(root, copy, { recursive: true });
      const a = corruptDir(root, { seed: 9, mode: 'flip', match: /\.log$/ });
      const b = corruptDir(copy, { seed: 9, mode: 'flip', match: /\.log$/ });
      expect(a).toHaveLength(1);
      expect(path.relative(root, a[0]!.file)).toBe('db/000003.log');
      expect({ ...b[0], file: path.relative(copy, b[0]!.file) }).toEqual({ ...a[0], file: 'db/000003.log' });
      expect(fs.readFileSync(path.join(root, 'db', '000003.log'))[a[0]!.offset!]).toBe(a[0]!.newByte);
      expect(describeChanges(a, root)).toMatch(/^flip db\/000003\.log @\d+ 0x[0-9a-f]{2}->0x[0-9a-f]{2}$/);
      expect(corruptDir(root, { seed: 1, mode: 'delete', match: /CURRENT/ })).toEqual([{ file: path.join(root, 'db', 'CURRENT'), action: 'delete' }]);
      const t = corruptDir(root, { seed: 3, mode: 'truncate', match: /maxver/ });
      expect(fs.statSync(path.join(root, 'maxver')).size).toBe(t[0]!.toSize);
      expect(() => corruptDir(root, { seed: 1, mode: 'delete', match: /nothing-like-this/ })).toThrow(/NOTHING|no file/);
      expect(() => corruptDir(root, { seed: 1, mode: 'flip' }, { isUp: () => true })).toThrow(/node is up/);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('never follows a symlink out of the directory', () => {
    fs.symlinkSync(path.join(outside, 'precious'), path.join(root, 'link'));
    expect(() => flipBytes(path.join(root, 'link'), { seed: 1, count: 1, root })).toThrow(/not inside/);
    corruptDir(root, { seed: 2, mode: 'delete' });
    wipeDir(root);
    expect(fs.readFileSync(path.join(outside, 'precious'), 'utf8')).toBe('keep me');
  });
});
