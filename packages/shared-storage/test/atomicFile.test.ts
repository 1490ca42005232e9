import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ATOMIC_FILE_HEADER_BYTES,
  CorruptFileError,
  InvalidArgumentError,
  QuorumkitError,
  atomicTempPath,
  frameFile,
  readFileChecked,
  writeFileAtomic,
  writeFileAtomicSync,
} from '../src/index.js';
import { dec, enc, useTempDir } from './helpers.js';

describe('writeFileAtomic / readFileChecked', () => {
  let dir: string;
  let file: string;
  useTempDir((d) => {
    dir = d;
    file = join(d, 'state.bin');
  });

  it('round-trips bytes, replaces old content and leaves no temp file', async () => {
    expect(await readFileChecked(file)).toBeUndefined();
    await writeFileAtomic(file, enc('first'));
    expect(dec((await readFileChecked(file))!)).toBe('first');
    await writeFileAtomic(file, enc('second, longer'));
    expect(dec((await readFileChecked(file))!)).toBe('second, longer');
    await writeFileAtomic(file, new Uint8Array());
    expect(await readFileChecked(file)).toEqual(new Uint8Array());
    expect(await readdir(dir)).toEqual(['state.bin']);
  });

  it('a torn temp file from a crash between write and rename never replaces the good file', async () => {
    await writeFileAtomic(file, enc('good state'));
    // The crash: a later write got halfway through its temp file and never renamed it.
    const torn = frameFile(enc('newer state that was being written')).subarray(0, 20);
    await writeFile(atomicTempPath(file), torn);
    expect(dec((await readFileChecked(file))!)).toBe('good state');
    // After restart the next write overwrites the stale temp and succeeds.
    await writeFileAtomic(file, enc('after restart'));
    expect(dec((await readFileChecked(file))!)).toBe('after restart');
    expect(await readdir(dir)).toEqual(['state.bin']);
  });

  it('detects a torn file even if one were renamed into place', async () => {
    const framed = frameFile(enc('some payload'));
    for (const cut of [0, 5, ATOMIC_FILE_HEADER_BYTES - 1, ATOMIC_FILE_HEADER_BYTES, framed.length - 1]) {
      await writeFile(file, framed.subarray(0, cut));
      await expect(readFileChecked(file)).rejects.toBeInstanceOf(CorruptFileError);
    }
  });

  it('detects a CRC mismatch when any single byte is flipped', async () => {
    await writeFileAtomic(file, enc('payload to protect'));
    const good = await readFile(file);
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i]! ^= 0x01;
      await writeFile(file, bad);
      const err = await readFileChecked(file).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `byte ${i}`).toBeInstanceOf(CorruptFileError);
      expect((err as CorruptFileError).code).toBe('ECORRUPT');
      expect(err).toBeInstanceOf(QuorumkitError);
    }
    await writeFile(file, good);
    expect(dec((await readFileChecked(file))!)).toBe('payload to protect');
  });

  it('rejects a foreign file and extra trailing bytes', async () => {
    await writeFile(file, 'just some text that is long enough');
    await expect(readFileChecked(file)).rejects.toThrow(/bad magic/);
    await writeFile(file, Buffer.concat([frameFile(enc('x')), Buffer.from([0])]));
    await expect(readFileChecked(file)).rejects.toThrow(/payload bytes/);
  });

  it('serializes concurrent writers to one path: the last call wins, nothing is torn', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(file, enc(`v${i}`.repeat(100 + i)))));
    expect(dec((await readFileChecked(file))!)).toBe('v19'.repeat(119));
    expect(await readdir(dir)).toEqual(['state.bin']);
  });

  it('fails clearly and leaves no temp file when the directory does not exist', async () => {
    await expect(writeFileAtomic(join(dir, 'nope', 'f'), enc('x'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(writeFileAtomic(file, 'text' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('writeFileAtomicSync writes the same frame, replaces old content and leaves no temp file', async () => {
    writeFileAtomicSync(file, enc('sync one'));
    expect(dec((await readFileChecked(file))!)).toBe('sync one');
    await writeFileAtomic(file, enc('async'));
    writeFileAtomicSync(file, enc('sync two'));
    expect(dec((await readFileChecked(file))!)).toBe('sync two');
    expect(await readdir(dir)).toEqual(['state.bin']);
    expect(() => writeFileAtomicSync(join(dir, 'nope', 'f'), enc('x'))).toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual(['state.bin']);
  });
});
