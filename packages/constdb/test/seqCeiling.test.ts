import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEQ_BLOCK, SEQ_FILE, SeqCeiling, LOST_RANGES_MAX, UUID_BLOCK, formatLostRanges, inLostRange, parseLostRanges, timeBase } from '../src/storage/seqCeiling.js';

const dir = () => mkdtempSync(join(tmpdir(), 'constdb-seq-'));
const NOW = 1_795_000_000_000;
const U = (ms: number) => BigInt(ms) << 22n;

describe('never-reused own seqs', () => {
  it('a first start numbers from the time base and records the range below it as possibly lost', () => {
    const s = new SeqCeiling(dir(), false);
    const start = s.open(0n, 0n, NOW);
    expect(start).toBe(timeBase(NOW) + 1n);
    expect(s.jumped).toBe(true);
    expect(s.lost).toEqual([[0n, timeBase(NOW)]]);
    // every uuid an earlier life of this id used is below the wall clock
    expect(s.lostUuids).toEqual([[0n, U(NOW)]]);
    expect(s.clockFloor).toBe(U(NOW));
    expect(s.ceiling).toBe(start + SEQ_BLOCK);
    expect(s.uuidCeiling).toBe(U(NOW) + UUID_BLOCK);
  });

  it('a crash restart continues above the reserved seq and uuid ceilings, even if every op was recovered', () => {
    const d = dir();
    const a = new SeqCeiling(d, false);
    const start = a.open(0n, 0n, NOW);
    a.reserve(start + SEQ_BLOCK + 5n, U(NOW + 1)); // ops went past the first seq block
    expect(a.ceiling).toBe(start + 2n * SEQ_BLOCK + 4n);
    a.reserve(start + SEQ_BLOCK + 6n, a.uuidCeiling + 1n); // and past the uuid block
    const reserved = a.ceiling;
    const reservedU = a.uuidCeiling;
    expect(reservedU).toBeGreaterThan(U(NOW) + UUID_BLOCK);
    // the process dies having recovered only up to start + 10 (clock at U(NOW) + 7)
    const b = new SeqCeiling(d, false);
    const next = b.open(start + 10n, U(NOW) + 7n, NOW + 5);
    expect(next).toBe(reserved + 1n);
    expect(b.lost.at(-1)).toEqual([start + 10n, reserved]);
    expect(b.lostUuids.at(-1)).toEqual([U(NOW) + 7n, reservedU]);
    expect(b.clockFloor).toBe(reservedU);
    // a peer at start + 11 holds a lost op; a peer at the new start is past the range
    expect(inLostRange(b.lost, start + 11n)).toBe(true);
    expect(inLostRange(b.lost, reserved)).toBe(true);
    expect(inLostRange(b.lost, next)).toBe(false);
    expect(inLostRange(b.lost, start + 10n)).toBe(false);
  });

  it('a clean shutdown leaves no jump; appendfsync always never reserves and never jumps', () => {
    const d = dir();
    const a = new SeqCeiling(d, false);
    const start = a.open(0n, 0n, NOW);
    a.closeAt(start + 42n);
    const b = new SeqCeiling(d, false);
    expect(b.open(start + 42n, U(NOW + 9), NOW + 10)).toBe(start + 42n);
    expect(b.jumped).toBe(false);
    expect(b.lost).toHaveLength(1); // the first start's range only
    expect(b.clockFloor).toBe(U(NOW + 9));

    const e = dir();
    const x = new SeqCeiling(e, true);
    const s0 = x.open(0n, 0n, NOW);
    x.reserve(s0 + 10n * SEQ_BLOCK, U(NOW) + 100n * UUID_BLOCK);
    expect(x.ceiling).toBe(s0);
    const y = new SeqCeiling(e, true);
    expect(y.open(s0 + 7n, U(NOW + 3), NOW + 5)).toBe(s0 + 7n); // everything sent was fsynced: continue
    expect(y.jumped).toBe(false);
  });

  it('an unreadable seq file is reported and numbering restarts from the time base', () => {
    const d = dir();
    writeFileSync(join(d, SEQ_FILE), 'garbage');
    const s = new SeqCeiling(d, false);
    expect(s.open(5n, 9n, NOW)).toBe(timeBase(NOW) + 1n);
    expect(s.unreadable).toMatch(/constdb\.seq/);
  });

  it('keeps the newest lost ranges only, seq and uuid ranges paired', () => {
    const d = dir();
    let recovered = 0n;
    for (let i = 0; i < LOST_RANGES_MAX + 5; i++) {
      const s = new SeqCeiling(d, false);
      recovered = s.open(recovered, U(NOW + i), NOW + i) + 3n;
      expect(s.lost.length).toBeLessThanOrEqual(LOST_RANGES_MAX);
      expect(s.lostUuids.length).toBe(s.lost.length);
    }
  });

  it('lost ranges travel in the handshake as text and bad text is refused', () => {
    const r = [[1n, 5n], [9n, 18446744073709551615n]] as const;
    expect(parseLostRanges(formatLostRanges(r))).toEqual(r);
    expect(parseLostRanges('-')).toEqual([]);
    expect(formatLostRanges([])).toBe('-');
    for (const bad of ['', '1-', 'a-b', '1-2,', '1-2;3-4', '123456789012345678901-1']) expect(parseLostRanges(bad), bad).toBeUndefined();
    expect(parseLostRanges(Array.from({ length: LOST_RANGES_MAX + 1 }, (_, i) => `${i}-${i + 1}`).join(','))).toBeUndefined();
  });
});
