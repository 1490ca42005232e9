// Real LevelDB directories damaged on disk, the way a bad disk or an operator damages them:
// each must be reported, and openStore({ verify: true }) must refuse instead of opening with
// records silently gone (which plain LevelDB does: the first test shows it).
import { readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  StoreDamagedError, StoreMissingError, crc32c, maskCrc, openStore, verifyLevelDbDir, verifyLogBytes,
} from '../src/index.js';
import { dec, enc, useTempDir } from './helpers.js';

let dir = '';
useTempDir((d) => (dir = d));

async function writeRecords(path: string, n: number): Promise<void> {
  const store = await openStore(path);
  const ks = store.keyspace('acceptor');
  for (let i = 0; i < n; i++) await store.write([ks.put(enc(`k${i}`), enc(`promise-${i}-`.repeat(4)))]);
  await store.close();
}

async function fileEnding(path: string, ext: string): Promise<string> {
  const names = (await readdir(path)).filter((x) => x.endsWith(ext)).sort();
  expect(names.length).toBeGreaterThan(0);
  return join(path, names[names.length - 1]!);
}

async function flip(path: string, offset: number): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset]! ^= 0x01;
  await writeFile(path, bytes);
}

async function countKeys(path: string): Promise<number> {
  const store = await openStore(path);
  let n = 0;
  for await (const _ of store.keyspace('acceptor').range()) n++;
  await store.close();
  return n;
}

describe('CRC-32C', () => {
  it('matches the standard check value and LevelDB masking', () => {
    expect(crc32c(enc('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(maskCrc(0)).toBe(0xa282ead8);
  });
});

describe('LevelDB WAL damage', () => {
  it('plain LevelDB silently forgets records behind a flipped WAL bit (why verify exists)', async () => {
    const db = join(dir, 'db');
    await writeRecords(db, 10);
    const wal = await fileEnding(db, '.log');
    await flip(wal, 7 + 20); // payload byte of the first record
    expect(await countKeys(db)).toBeLessThan(10);
  });

  for (const [what, offsetOf] of [
    ['a CRC byte of a record header', () => 0],
    ['a length byte', () => 4],
    ['the type byte', () => 6],
    ['a payload byte', () => 30],
    ['the last byte', (size: number) => size - 1],
  ] as const) {
    it(`a flipped bit in ${what} is reported and refused`, async () => {
      const db = join(dir, 'db');
      await writeRecords(db, 10);
      const wal = await fileEnding(db, '.log');
      const size = (await readFile(wal)).length;
      await flip(wal, offsetOf(size));
      const report = await verifyLevelDbDir(db);
      expect(report.kind).toBe('present');
      expect(report.problems.join('\n')).toMatch(/\.log/);
      await expect(openStore(db, { verify: true })).rejects.toBeInstanceOf(StoreDamagedError);
    });
  }

  it('a WAL cut mid-record is reported', async () => {
    const db = join(dir, 'db');
    await writeRecords(db, 10);
    const wal = await fileEnding(db, '.log');
    const size = (await readFile(wal)).length;
    await truncate(wal, size - 5);
    expect((await verifyLevelDbDir(db)).problems.join()).toMatch(/cut short/);
    await expect(openStore(db, { verify: true })).rejects.toBeInstanceOf(StoreDamagedError);
  });

  it('an intact store verifies clean and opens with every record', async () => {
    const db = join(dir, 'db');
    await writeRecords(db, 10);
    expect(await verifyLevelDbDir(db)).toEqual({ kind: 'present', problems: [] });
    const store = await openStore(db, { verify: true });
    expect(dec((await store.keyspace('acceptor').get(enc('k9')))!)).toMatch(/^promise-9/);
    await store.close();
  });

  it('verifyLogBytes accepts a record spanning blocks and rejects a lone middle fragment', () => {
    // Build FIRST + LAST fragments by hand across a 32 KiB block boundary.
    const block = 32 * 1024;
    const payload = new Uint8Array(block); // longer than one block
    const out = new Uint8Array(block * 2);
    const put = (at: number, type: number, data: Uint8Array) => {
      const typed = new Uint8Array(1 + data.length);
      typed[0] = type;
      typed.set(data, 1);
      const v = new DataView(out.buffer);
      v.setUint32(at, maskCrc(crc32c(typed)), true);
      v.setUint16(at + 4, data.length, true);
      out[at + 6] = type;
      out.set(data, at + 7);
      return at + 7 + data.length;
    };
    const first = payload.subarray(0, block - 7);
    put(0, 2, first);
    const end = put(block, 4, payload.subarray(first.length));
    expect(verifyLogBytes(out.subarray(0, end), 'x.log')).toEqual([]);
    const lone = new Uint8Array(block);
    const e2 = (() => {
      out.fill(0);
      return put(0, 3, new Uint8Array(10));
    })();
    lone.set(out.subarray(0, e2));
    expect(verifyLogBytes(lone.subarray(0, e2), 'x.log').join()).toMatch(/fragment without a start/);
  });
});

describe('LevelDB files missing or tables damaged', () => {
  it('a deleted CURRENT is reported; without verify LevelDB would open an empty store', async () => {
    const db = join(dir, 'db');
    await writeRecords(db, 5);
    await rm(join(db, 'CURRENT'));
    expect((await verifyLevelDbDir(db)).problems.join()).toMatch(/CURRENT is missing/);
    await expect(openStore(db, { verify: true })).rejects.toBeInstanceOf(StoreDamagedError);
  });

  it('a damaged table block is reported', async () => {
    const db = join(dir, 'db');
    await writeRecords(db, 50);
    await (await openStore(db)).close(); // reopening moves the WAL into a level-0 table
    const table = await fileEnding(db, '.ldb');
    await flip(table, 10);
    expect((await verifyLevelDbDir(db)).problems.join()).toMatch(/\.ldb: checksum mismatch/);
    await expect(openStore(db, { verify: true })).rejects.toBeInstanceOf(StoreDamagedError);
  });

  it('createIfMissing: false refuses an absent or empty store instead of creating one', async () => {
    await expect(openStore(join(dir, 'nope'), { createIfMissing: false })).rejects.toBeInstanceOf(StoreMissingError);
    await writeFile(join(dir, 'unrelated.txt'), 'x');
    await expect(openStore(dir, { createIfMissing: false })).rejects.toBeInstanceOf(StoreMissingError);
  });
});
