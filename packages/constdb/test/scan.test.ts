// Issue 20 item 6: SCAN must return every key present for the whole scan, even when
// tombstone GC drops records (and keys come and go) between calls.
import { describe, expect, it } from 'vitest';
import { TestNode } from './helpers.js';
import { ScanIndex, SCAN_SLOTS, scanSlot } from '../src/core/scanIndex.js';

function parseScan(raw: string): { cursor: string; keys: string[] } {
  const lines = raw.split('\r\n');
  // *2 $n cursor *m ($n key)*
  const cursor = lines[2]!;
  const m = Number(lines[3]!.slice(1));
  const keys: string[] = [];
  for (let i = 0; i < m; i++) keys.push(lines[5 + 2 * i]!);
  return { cursor, keys };
}

describe('SCAN', () => {
  it('returns every key present throughout, while deleted keys are garbage-collected mid-scan', () => {
    const n = new TestNode(1);
    for (let i = 0; i < 1000; i++) n.run('SET', `k${i}`, 'v');
    // half the keys are deleted before the scan: tombstone records that GC will drop
    for (let i = 0; i < 1000; i += 2) n.run('DEL', `k${i}`);
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    do {
      const r = parseScan(n.run('SCAN', cursor, 'COUNT', '10'));
      for (const k of r.keys) seen.add(k);
      cursor = r.cursor;
      calls++;
      if (calls === 3) n.db.gc(() => true); // tombstones collected mid-scan
      if (calls === 5) for (let i = 0; i < 200; i++) n.run('SET', `new${i}`, 'v'); // and keys added
      if (calls === 7) for (let i = 0; i < 200; i += 3) n.run('DEL', `new${i}`); // and some deleted
    } while (cursor !== '0' && calls < 100_000);
    expect(n.db.keys.size).toBeLessThan(1000);
    const missing: string[] = [];
    for (let i = 1; i < 1000; i += 2) if (!seen.has(`k${i}`)) missing.push(`k${i}`);
    expect(missing).toEqual([]);
    for (let i = 0; i < 1000; i += 2) expect(seen.has(`k${i}`)).toBe(false);
  });

  it('a small keyspace comes back in one call; MATCH, TYPE and a cursor past the end work', () => {
    const n = new TestNode(1);
    n.run('SET', 'a', '1');
    n.run('SADD', 'b', 'x');
    n.run('HSET', 'c', 'f', 'v');
    const all = parseScan(n.run('SCAN', '0'));
    expect(all.cursor).toBe('0');
    expect(all.keys.sort()).toEqual(['a', 'b', 'c']);
    expect(parseScan(n.run('SCAN', '0', 'TYPE', 'set')).keys).toEqual(['b']);
    expect(parseScan(n.run('SCAN', '0', 'MATCH', '[ac]')).keys.sort()).toEqual(['a', 'c']);
    expect(parseScan(n.run('SCAN', String(SCAN_SLOTS + 5))).keys).toEqual([]);
    expect(parseScan(n.run('SCAN', '18446744073709551615')).cursor).toBe('0');
    expect(n.run('SCAN', '18446744073709551616')).toBe('-ERR invalid cursor\r\n');
    expect(n.run('SCAN', '1x')).toBe('-ERR invalid cursor\r\n');
  });

  it('one call reads whole slots, not the whole keyspace', () => {
    const ix = new ScanIndex();
    for (let i = 0; i < 100_000; i++) ix.add(`key:${i}`);
    const r = ix.scan(0, 10);
    expect(r.keys.length).toBeGreaterThanOrEqual(10);
    expect(r.keys.length).toBeLessThan(40);
    expect(r.next).toBeGreaterThan(0);
    // the walk visits each key once in total
    let cursor = 0;
    let total = 0;
    do {
      const s = ix.scan(cursor, 100);
      total += s.keys.length;
      cursor = s.next;
    } while (cursor !== 0);
    expect(total).toBe(100_000);
    for (const k of ['a', 'key:1', '']) expect(scanSlot(k)).toBeLessThan(SCAN_SLOTS);
    for (let i = 0; i < 100_000; i++) ix.delete(`key:${i}`);
    expect(ix.scan(0, 10)).toEqual({ keys: [], next: 0 });
  });
});
