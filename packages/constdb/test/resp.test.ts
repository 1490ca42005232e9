import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RespParser, RespProtocolError } from '../src/core/resp.js';
import { ReplyBuffer } from '../src/core/encode.js';

function encode(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

function parseAll(chunks: Buffer[], limits?: ConstructorParameters<typeof RespParser>[0]): string[][] {
  const p = new RespParser(limits);
  const out: string[][] = [];
  for (const c of chunks) p.feed(c, (args) => out.push(args.map((a) => a.toString('latin1'))));
  return out;
}

describe('RespParser', () => {
  it('parses multibulk and inline commands, pipelined in one read', () => {
    const input = Buffer.concat([encode([Buffer.from('SET'), Buffer.from('k'), Buffer.from('v\r\nx')]), Buffer.from('PING\r\nget  k\n\r\n')]);
    expect(parseAll([input])).toEqual([['SET', 'k', 'v\r\nx'], ['PING'], ['get', 'k']]);
  });

  it('gives the same commands when every frame is split at every byte', () => {
    const frames = [
      encode([Buffer.from('SET'), Buffer.from('key'), Buffer.alloc(300, 7)]),
      Buffer.from('SADD s "a b" \'c\'\r\n'),
      encode([Buffer.from('HSET'), Buffer.from('h'), Buffer.from(''), Buffer.from('x')]),
      Buffer.from('*0\r\n'),
    ];
    const all = Buffer.concat(frames);
    const want = parseAll([all]);
    expect(want.length).toBe(3);
    for (let i = 0; i <= all.length; i++) {
      expect(parseAll([all.subarray(0, i), all.subarray(i)])).toEqual(want);
    }
    // every two cut points, on a shorter input
    const small = Buffer.concat([frames[0]!.subarray(0, 0), encode([Buffer.from('GET'), Buffer.from('abc')]), Buffer.from('PING\r\n')]);
    const w2 = parseAll([small]);
    for (let i = 0; i <= small.length; i++) {
      for (let j = i; j <= small.length; j++) {
        expect(parseAll([small.subarray(0, i), small.subarray(i, j), small.subarray(j)])).toEqual(w2);
      }
    }
  });

  it('random commands survive random splits (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (cmds, cuts) => {
          const bufs = cmds.map((c) => c.map((a) => Buffer.from(a)));
          const all = Buffer.concat(bufs.map(encode));
          const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const p of points) {
            chunks.push(all.subarray(prev, p));
            prev = p;
          }
          chunks.push(all.subarray(prev));
          expect(parseAll(chunks)).toEqual(bufs.map((c) => c.map((a) => a.toString('latin1'))));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns views into the read buffer (no copy) for single-read frames', () => {
    const input = encode([Buffer.from('SET'), Buffer.from('k'), Buffer.from('value')]);
    const p = new RespParser();
    let got: Buffer[] = [];
    p.feed(input, (a) => (got = a));
    expect(got[2]!.buffer).toBe(input.buffer);
  });

  it('rejects malformed input with Redis protocol errors', () => {
    const bad: Array<[string, RegExp]> = [
      ['*2\r\n$3\r\nGET\r\n+x\r\n', /expected '\$', got '\+'/],
      ['*abc\r\n', /invalid multibulk length/],
      ['*1\r\n$-5\r\n', /invalid bulk length/],
      ['*1\r\n$3\r\nGETxx', /invalid bulk format/],
      ['SET "abc\r\n', /unbalanced quotes/],
      ['*2000000\r\n', /invalid multibulk length/],
    ];
    for (const [input, re] of bad) {
      expect(() => parseAll([Buffer.from(input)]), input).toThrow(re);
    }
    expect(() => parseAll([Buffer.from('*1\r\n$100\r\n')], { bulkBytesMax: 10, multibulkArgsMax: 10, inlineBytesMax: 100 })).toThrow(RespProtocolError);
    expect(() => parseAll([Buffer.alloc(200, 97)], { bulkBytesMax: 10, multibulkArgsMax: 10, inlineBytesMax: 100 })).toThrow(/too big inline/);
  });

  it('accumulates a large bulk across many reads without losing bytes', () => {
    const big = Buffer.alloc(1_000_000);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const all = encode([Buffer.from('SET'), Buffer.from('k'), big]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < all.length; i += 65536) chunks.push(all.subarray(i, i + 65536));
    const p = new RespParser();
    const got: Buffer[][] = [];
    for (const c of chunks) p.feed(c, (a) => got.push(a));
    expect(got.length).toBe(1);
    expect(Buffer.compare(got[0]![2]!, big)).toBe(0);
  });
});

describe('ReplyBuffer', () => {
  it('encodes RESP2 and RESP3 shapes', () => {
    const r = new ReplyBuffer(4);
    r.ok();
    r.int(-5n);
    r.bulk(Buffer.from('a\r\nb'));
    r.nil();
    r.map(1);
    r.error('ERR x\ny');
    expect(r.take().toString()).toBe('+OK\r\n:-5\r\n$4\r\na\r\nb\r\n$-1\r\n*2\r\n-ERR x y\r\n');
    r.proto = 3;
    r.nil();
    r.map(1);
    r.set(2);
    expect(r.take().toString()).toBe('_\r\n%1\r\n~2\r\n');
  });

  it('writes integers, lengths and short or long values byte by byte exactly as their text', () => {
    const r = new ReplyBuffer(8);
    const ints: Array<number | bigint> = [0, 7, 10, 99, 100, 123456789, Number.MAX_SAFE_INTEGER, -1, -10, -Number.MAX_SAFE_INTEGER,
      0n, 42n, -42n, 9007199254740991n, 9007199254740992n, -9007199254740992n, (1n << 63n) - 1n, -(1n << 63n), 1.5, Number.NaN];
    let want = '';
    for (const n of ints) {
      r.int(n);
      want += `:${n.toString()}\r\n`;
    }
    for (const len of [0, 1, 9, 10, 64, 65, 1000]) {
      const v = 'x'.repeat(len);
      r.bulk(Buffer.from(v));
      r.bulkLatin1(v);
      r.arr(len);
      want += `$${len}\r\n${v}\r\n`.repeat(2) + `*${len}\r\n`;
    }
    expect(r.take().toString('latin1')).toBe(want);
  });

  it('take() hands out views that later replies never overwrite (slab refills and growth)', () => {
    for (const initial of [64, 4096]) {
    const r = new ReplyBuffer(initial);
    const taken: Array<[Buffer, string]> = [];
    for (let i = 0; i < 2000; i++) {
      // small replies, and now and then one bigger than the buffer (growth)
      if (i % 997 === 500) r.bulk(Buffer.alloc(10_000, 97 + (i % 26)));
      else r.int(i);
      if (i % 3 === 0) {
        const v = r.take();
        taken.push([v, v.toString('latin1')]);
      }
    }
    for (const [v, text] of taken) expect(v.toString('latin1')).toBe(text);
    expect(taken.map(([, t]) => t).join('')).toContain(':1998\r\n');
    expect(r.pending).toBe(':1999\r\n'.length);
    }
  });
});
