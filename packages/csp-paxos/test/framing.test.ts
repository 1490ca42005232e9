import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameError, encodeFrame, encodePeerFrame } from '../src/server/framing.js';

describe('framing', () => {
  it('a peer frame is byte-identical to the plain encoding, with shared entries serialized once', () => {
    const entries = [{ slot: 1, round: 2, key: 'ab"c' }];
    const msgs = [
      { type: 'PROPOSE', from: 0, to: 1, round: 2, seq: 1, upTo: 2, entries },
      { type: 'COMMIT', from: 0, to: 1, round: 2, seq: 1, upTo: 2 },
      { type: 'PROPOSE', from: 0, to: 1, round: 2, seq: 1, upTo: 2, entries },
    ];
    expect(encodePeerFrame(0, msgs).equals(encodeFrame({ p: 0, m: msgs }))).toBe(true);
  });

  it('decodes frames split at any byte and rejects garbage', () => {
    const a = encodeFrame({ x: 1 });
    const b = encodeFrame({ y: 'two' });
    const all = Buffer.concat([a, b]);
    for (let cut = 0; cut <= all.length; cut++) {
      const d = new FrameDecoder();
      const got = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))];
      expect(got).toEqual([{ x: 1 }, { y: 'two' }]);
    }
    const bad = Buffer.from([0, 0, 0, 2, 0x7b, 0x7b]);
    expect(() => new FrameDecoder().push(bad)).toThrow(FrameError);
    expect(() => new FrameDecoder().push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(FrameError);
  });

  it('reassembles a large frame from many chunks copying each byte about once (issue 18 item 4)', () => {
    const big = encodeFrame({ data: 'x'.repeat(8 * 1024 * 1024) });
    const d = new FrameDecoder();
    const got: unknown[] = [];
    for (let off = 0; off < big.length; off += 64 * 1024) got.push(...d.push(big.subarray(off, off + 64 * 1024)));
    expect(got).toHaveLength(1);
    expect((got[0] as { data: string }).data.length).toBe(8 * 1024 * 1024);
    // Joining all chunks on every push (the old decoder) copies ~64x the frame here.
    expect(d.copiedBytes).toBeLessThanOrEqual(2 * big.length);
  });
});
