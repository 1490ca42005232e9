import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  GroupCommitWriter,
  InvalidArgumentError,
  StoreLockedError,
  StoreOpenError,
  encodeBigintKey,
  openStore,
} from '../src/index.js';
import { collect, dec, enc, useTempDir } from './helpers.js';

describe('openStore on disk (classic-level)', () => {
  let dir: string;
  useTempDir((d) => (dir = d));

  it('creates missing parent directories and keeps data across close and reopen', async () => {
    const path = join(dir, 'a', 'b', 'db');
    const first = await openStore(path);
    expect(first.location).toBe(path);
    const ks = first.keyspace('log');
    const w = new GroupCommitWriter(first);
    await Promise.all([1n, 2n, 3n].map((n) => w.write([ks.put(encodeBigintKey(n), enc(`e${n}`))])));
    await first.write([ks.del(encodeBigintKey(2n))]);
    await first.close();

    const second = await openStore(path);
    try {
      const rows = await collect(second.keyspace('log').range());
      expect(rows.map(([k, v]) => [k, dec(v)])).toEqual([
        [encodeBigintKey(1n), 'e1'],
        [encodeBigintKey(3n), 'e3'],
      ]);
    } finally {
      await second.close();
    }
  });

  it('refuses a second open of a directory that is in use with StoreLockedError', async () => {
    const path = join(dir, 'db');
    const store = await openStore(path);
    try {
      const err = await openStore(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreLockedError);
      expect((err as StoreLockedError).code).toBe('ELOCKED');
    } finally {
      await store.close();
    }
    await (await openStore(path)).close();
  });

  it('reports a path that cannot hold a store with StoreOpenError, and bad arguments with InvalidArgumentError', async () => {
    const file = join(dir, 'plain-file');
    await writeFile(file, 'not a directory');
    await expect(openStore(file)).rejects.toBeInstanceOf(StoreOpenError);
    await expect(openStore(join(file, 'db'))).rejects.toBeInstanceOf(StoreOpenError);
    await expect(openStore('')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(openStore({ memory: false } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('memory stores are independent of each other and have no location', async () => {
    const a = await openStore({ memory: true });
    const b = await openStore({ memory: true });
    await a.write([a.keyspace('k').put(enc('x'), enc('1'))]);
    expect(await b.keyspace('k').get(enc('x'))).toBeUndefined();
    expect(a.location).toBeUndefined();
    await a.close();
    await b.close();
  });
});
