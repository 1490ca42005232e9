import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  StoreClosedError,
  compareBytes,
  concatKey,
  encodeBigintKey,
  decodeBigintKey,
  type Store,
} from '../src/index.js';
import { backends, collect, dec, enc, useStore } from './helpers.js';

describe.each(backends())('store compliance: $name', ({ make }) => {
  let store: Store;
  useStore(make, (s) => (store = s));

  it('gets what was written and undefined for a missing key', async () => {
    const ks = store.keyspace('meta');
    await store.write([ks.put(enc('a'), enc('1'))]);
    expect(dec((await ks.get(enc('a')))!)).toBe('1');
    expect(await ks.get(enc('missing'))).toBeUndefined();
  });

  it('returns plain Uint8Arrays', async () => {
    const ks = store.keyspace('meta');
    await store.write([ks.put(enc('k'), enc('v'))]);
    const v = (await ks.get(enc('k')))!;
    expect(Object.getPrototypeOf(v)).toBe(Uint8Array.prototype);
    const [[k, v2]] = (await collect(ks.range())) as [[Uint8Array, Uint8Array]];
    expect(Object.getPrototypeOf(k)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(v2)).toBe(Uint8Array.prototype);
  });

  it('does not alias caller buffers: mutating input or output after the fact changes nothing', async () => {
    const ks = store.keyspace('meta');
    const value = enc('abc');
    await store.write([ks.put(enc('k'), value)]);
    value[0] = 0x7a;
    const got = (await ks.get(enc('k')))!;
    expect(dec(got)).toBe('abc');
    got[0] = 0x79;
    expect(dec((await ks.get(enc('k')))!)).toBe('abc');
  });

  it('deletes keys', async () => {
    const ks = store.keyspace('meta');
    await store.write([ks.put(enc('a'), enc('1'))]);
    await store.write([ks.del(enc('a'))]);
    expect(await ks.get(enc('a'))).toBeUndefined();
  });

  it('keeps keyspaces apart, including names that prefix each other', async () => {
    const a = store.keyspace('a');
    const ab = store.keyspace('ab');
    const b = store.keyspace('b');
    await store.write([a.put(enc('bx'), enc('in-a')), ab.put(enc('x'), enc('in-ab')), b.put(enc(''), enc('in-b'))]);
    expect(dec((await a.get(enc('bx')))!)).toBe('in-a');
    expect(await ab.get(enc('bx'))).toBeUndefined();
    expect((await collect(a.range())).map(([k]) => dec(k))).toEqual(['bx']);
    expect((await collect(ab.range())).map(([k]) => dec(k))).toEqual(['x']);
    expect((await collect(b.range())).map(([k, v]) => [dec(k), dec(v)])).toEqual([['', 'in-b']]);
  });

  it('returns the same keyspace object for the same name', () => {
    expect(store.keyspace('x')).toBe(store.keyspace('x'));
  });

  it('rejects bad keyspace names', () => {
    expect(() => store.keyspace('')).toThrow(InvalidArgumentError);
    expect(() => store.keyspace('x'.repeat(256))).toThrow(InvalidArgumentError);
    expect(store.keyspace('x'.repeat(255)).name).toHaveLength(255);
  });

  it('iterates a range in byte order with bounds, limit and reverse', async () => {
    const ks = store.keyspace('log');
    const ids = [5n, -3n, 0n, 1n << 70n, 255n, 256n, -(1n << 63n), 42n];
    await store.write(ids.map((n) => ks.put(encodeBigintKey(n), enc(n.toString()))));
    const sorted = [...ids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    const all = await collect(ks.range());
    expect(all.map(([k]) => decodeBigintKey(k))).toEqual(sorted);
    expect(all.map(([, v]) => BigInt(dec(v)))).toEqual(sorted);

    const mid = await collect(ks.range({ gte: encodeBigintKey(0n), lt: encodeBigintKey(256n) }));
    expect(mid.map(([k]) => decodeBigintKey(k))).toEqual([0n, 5n, 42n, 255n]);
    const open = await collect(ks.range({ gt: encodeBigintKey(0n), lte: encodeBigintKey(256n) }));
    expect(open.map(([k]) => decodeBigintKey(k))).toEqual([5n, 42n, 255n, 256n]);
    const lastTwo = await collect(ks.range({ reverse: true, limit: 2 }));
    expect(lastTwo.map(([k]) => decodeBigintKey(k))).toEqual([1n << 70n, 256n]);
    expect(await collect(ks.range({ limit: 0 }))).toEqual([]);
  });

  it('stops cleanly when the consumer breaks out of a range', async () => {
    const ks = store.keyspace('log');
    await store.write([1n, 2n, 3n].map((n) => ks.put(encodeBigintKey(n), enc('v'))));
    let seen = 0;
    for await (const _entry of ks.range()) {
      seen++;
      break;
    }
    expect(seen).toBe(1);
    expect(await collect(ks.range())).toHaveLength(3);
  });

  it('applies a batch atomically and in order across keyspaces', async () => {
    const a = store.keyspace('a');
    const b = store.keyspace('b');
    await store.write([a.put(enc('k'), enc('1')), b.put(enc('k'), enc('2')), a.del(enc('k')), a.put(enc('j'), enc('3'))]);
    expect(await a.get(enc('k'))).toBeUndefined();
    expect(dec((await a.get(enc('j')))!)).toBe('3');
    expect(dec((await b.get(enc('k')))!)).toBe('2');
  });

  it('rejects a batch with a malformed op and writes none of it', async () => {
    const ks = store.keyspace('a');
    const bad = { type: 'put', key: enc('y') } as never;
    await expect(store.write([ks.put(enc('x'), enc('1')), bad])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.write([{ type: 'merge', key: enc('y') } as never])).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.write('nope' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => ks.put('x' as never, enc('1'))).toThrow(InvalidArgumentError);
    expect(() => ks.put(enc('x'), 'v' as never)).toThrow(InvalidArgumentError);
    await expect(ks.get(42 as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await ks.get(enc('x'))).toBeUndefined();
    expect(store.syncCount).toBe(0);
  });

  it('counts synced batches, not empty ones', async () => {
    const ks = store.keyspace('a');
    await store.write([]);
    await store.write([ks.put(enc('x'), enc('1')), ks.put(enc('y'), enc('2'))]);
    await store.write([ks.del(enc('x'))]);
    expect(store.syncCount).toBe(2);
  });

  it('writes { sync: false } batches atomically without counting them as syncs; a bad sync option writes nothing', async () => {
    const ks = store.keyspace('a');
    await store.write([ks.put(enc('u'), enc('1')), ks.put(enc('v'), enc('2'))], { sync: false });
    expect(await ks.get(enc('u'))).toEqual(enc('1'));
    expect(await ks.get(enc('v'))).toEqual(enc('2'));
    expect(store.syncCount).toBe(0);
    await store.write([ks.put(enc('w'), enc('3'))], { sync: true });
    expect(store.syncCount).toBe(1);
    await expect(store.write([ks.put(enc('z'), enc('4'))], { sync: 'no' as unknown as boolean })).rejects.toThrow(/sync must be a boolean/);
    expect(await ks.get(enc('z'))).toBeUndefined();
  });

  it('accepts raw ops whose keys were built with concatKey and the keyspace prefix', async () => {
    const ks = store.keyspace('raw');
    await store.write([{ type: 'put', key: concatKey(ks.prefix, 'k'), value: enc('v') }]);
    expect(dec((await ks.get(enc('k')))!)).toBe('v');
  });

  it('reads a snapshot that later writes do not change', async () => {
    const ks = store.keyspace('s');
    await store.write([ks.put(enc('a'), enc('1'))]);
    const snap = await store.snapshot();
    await store.write([ks.put(enc('a'), enc('2')), ks.put(enc('b'), enc('3'))]);
    const frozen = snap.keyspace('s');
    expect(dec((await frozen.get(enc('a')))!)).toBe('1');
    expect((await collect(frozen.range())).map(([k]) => dec(k))).toEqual(['a']);
    expect(dec((await ks.get(enc('a')))!)).toBe('2');
    await snap.close();
    await snap.close();
  });

  it('fails with StoreClosedError after close, and close is idempotent', async () => {
    const ks = store.keyspace('a');
    await store.close();
    await store.close();
    await expect(store.write([ks.put(enc('x'), enc('1'))])).rejects.toBeInstanceOf(StoreClosedError);
    await expect(ks.get(enc('x'))).rejects.toBeInstanceOf(StoreClosedError);
    await expect(collect(ks.range())).rejects.toBeInstanceOf(StoreClosedError);
    await expect(store.snapshot()).rejects.toBeInstanceOf(StoreClosedError);
  });

  it('lets a write in flight finish when close is called', async () => {
    const ks = store.keyspace('a');
    const writing = store.write([ks.put(enc('x'), enc('1'))]);
    await store.close();
    await expect(writing).resolves.toBeUndefined();
  });
});

describe.each(backends())('store model check: $name', ({ make }) => {
  let store: Store;
  useStore(make, (s) => (store = s));

  it('random batches and ranges agree with a sorted in-memory model', async () => {
    const key = fc.uint8Array({ maxLength: 3, max: 4 });
    const op = fc.record({ del: fc.boolean(), space: fc.constantFrom(0, 1), key, value: fc.uint8Array({ maxLength: 4 }) });
    const bound = fc.option(key, { nil: undefined });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { maxLength: 8 }), { maxLength: 6 }),
        bound,
        bound,
        fc.option(fc.nat(6), { nil: undefined }),
        fc.boolean(),
        async (batches, gte, lt, limit, reverse) => {
          run++;
          const spaces = [store.keyspace(`m${run}a`), store.keyspace(`m${run}b`)] as const;
          const models = [new Map<string, [Uint8Array, Uint8Array]>(), new Map<string, [Uint8Array, Uint8Array]>()];
          for (const batch of batches) {
            await store.write(batch.map((o) => (o.del ? spaces[o.space].del(o.key) : spaces[o.space].put(o.key, o.value))));
            for (const o of batch) {
              if (o.del) models[o.space]!.delete(o.key.join());
              else models[o.space]!.set(o.key.join(), [o.key, o.value]);
            }
          }
          for (const s of [0, 1] as const) {
            let expected = [...models[s]!.values()]
              .filter(([k]) => (gte === undefined || compareBytes(k, gte) >= 0) && (lt === undefined || compareBytes(k, lt) < 0))
              .sort(([a], [b]) => compareBytes(a, b));
            if (reverse) expected.reverse();
            if (limit !== undefined) expected = expected.slice(0, limit);
            expect(await collect(spaces[s].range({ gte, lt, limit, reverse }))).toEqual(expected);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
