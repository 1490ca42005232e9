// Issue 20 item 8: the parser's work must be linear in its input, however the input is cut
// into reads. Work is measured, not timed: every byte the parser copies goes through
// Buffer.concat (spied here), and a linear parser copies each input byte a bounded number
// of times. The old parser re-concatenated and re-scanned the whole frame on every read.
import { afterEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { RespParser } from '../src/core/resp.js';

function encode(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** Feeds `input` in chunks of the given sizes (cycled); returns commands and bytes copied. */
function feedCounting(input: Buffer, sizes: number[]): { cmds: Buffer[][]; copied: number } {
  const p = new RespParser();
  const cmds: Buffer[][] = [];
  let copied = 0;
  const real = Buffer.concat.bind(Buffer);
  const spy = vi.spyOn(Buffer, 'concat').mockImplementation((list: readonly Uint8Array[], total?: number) => {
    const r = real(list, total);
    copied += r.length;
    return r;
  });
  try {
    let off = 0;
    for (let i = 0; off < input.length; i++) {
      const n = sizes[i % sizes.length]!;
      p.feed(input.subarray(off, off + n), (args) => cmds.push(args.map((a) => Buffer.from(a))));
      off += n;
    }
  } finally {
    spy.mockRestore();
  }
  return { cmds, copied };
}

describe('RESP parser work is linear in the input', () => {
  afterEach(() => vi.restoreAllMocks());

  it('SADD with 150k members in 1 KB reads copies each byte a bounded number of times', () => {
    const members = Array.from({ length: 150_000 }, (_, i) => Buffer.from(`member:${i}`));
    const input = encode([Buffer.from('SADD'), Buffer.from('s'), ...members]);
    const { cmds, copied } = feedCounting(input, [1024]);
    expect(cmds).toHaveLength(1);
    expect(cmds[0]).toHaveLength(150_002);
    expect(cmds[0]![150_001]!.toString()).toBe('member:149999');
    expect(copied).toBeLessThanOrEqual(3 * input.length);
  });

  it('a 32 MB value in 64 KB reads is copied a bounded number of times', () => {
    const big = Buffer.alloc(32 * 1024 * 1024, 0x61);
    const input = encode([Buffer.from('SET'), Buffer.from('k'), big]);
    const { cmds, copied } = feedCounting(input, [65536]);
    expect(cmds).toHaveLength(1);
    expect(cmds[0]![2]!.length).toBe(big.length);
    expect(copied).toBeLessThanOrEqual(3 * input.length);
  });

  it('random frames cut at random points: same commands, linear copying', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 10 }),
        (frames, sizes) => {
          const bufs = frames.map((f) => f.map((a) => Buffer.from(a)));
          const input = Buffer.concat(bufs.map(encode));
          const { cmds, copied } = feedCounting(input, sizes);
          expect(cmds.map((c) => c.map((a) => a.toString('hex')))).toEqual(bufs.map((c) => c.map((a) => a.toString('hex'))));
          expect(copied).toBeLessThanOrEqual(3 * input.length + 64 * cmds.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
