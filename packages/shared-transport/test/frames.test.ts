import { describe, expect, it } from 'vitest';
import { FRAME_BYTES_MAX, FrameDecoder, FrameError, encodeFrame, encodeJsonFrame } from '../src/framed/frames.js';

describe('length-prefixed JSON frames (raw TCP)', () => {
  it('decodes frames split at any byte and rejects garbage', () => {
    const all = Buffer.concat([encodeFrame({ x: 1 }), encodeJsonFrame('{"y":"two"}')]);
    for (let cut = 0; cut <= all.length; cut++) {
      const d = new FrameDecoder();
      expect([...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))]).toEqual([{ x: 1 }, { y: 'two' }]);
    }
    expect(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 2, 0x7b, 0x7b]))).toThrow(FrameError);
    expect(() => new FrameDecoder().push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(/exceeds/);
  });

  it('refuses to encode a frame over the limit', () => {
    expect(() => encodeJsonFrame(`"${'x'.repeat(FRAME_BYTES_MAX)}"`)).toThrow(expect.objectContaining({ code: 'EFRAME' }));
  });

  it('reassembles a large frame from many chunks copying each byte about once', () => {
    const big = encodeFrame({ data: 'x'.repeat(8 * 1024 * 1024) });
    const d = new FrameDecoder();
    const got: unknown[] = [];
    for (let off = 0; off < big.length; off += 64 * 1024) got.push(...d.push(big.subarray(off, off + 64 * 1024)));
    expect(got).toHaveLength(1);
    expect(d.copiedBytes).toBeLessThanOrEqual(2 * big.length);
  });
});
