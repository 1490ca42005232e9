// The stored instance record: binary layout round-trips every field, records of the earlier
// JSON layout still read back, and a record whose CRC matches but whose layout does not
// (truncated, trailing bytes, unknown format) is CorruptRecordError, never a made-up state.
import { describe, expect, it } from 'vitest';
import { CorruptRecordError, encodeJson, openRecord, sealRecord } from '@quorumkit/shared-storage';
import { type AcceptorState, EMPTY_STATE } from '../src/core/index.js';
import { decodeState, encodeState } from '../src/storage/stateCodec.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const states: AcceptorState[] = [
  EMPTY_STATE,
  { lastBal: { n: 3n, proposerId: 2n ** 62n }, val: null, vBal: { n: 0n, proposerId: 0n }, chosen: null },
  { lastBal: { n: 5n, proposerId: 7n }, val: { vi64: -(2n ** 63n) }, vBal: { n: 5n, proposerId: 7n }, chosen: null },
  {
    lastBal: { n: 9n, proposerId: 1n },
    val: { vi64: 0n, bytes: bytes('héllo'), text: true, tag: bytes('0123456789abcdef') },
    vBal: { n: 8n, proposerId: 1n },
    chosen: { vi64: 0n, bytes: new Uint8Array(0), tag: bytes('t') },
  },
];

describe('instance record codec', () => {
  it('round-trips every field in the binary layout', () => {
    for (const s of states) {
      const rec = encodeState(s);
      expect(openRecord(rec)[0]).toBe(1);
      expect(decodeState(rec)).toEqual(s);
    }
  });

  it('reads records written in the earlier JSON layout', () => {
    const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
    const rec = sealRecord(encodeJson({ l: [9n, 1n], v: { i: 0n, b: b64(bytes('héllo')), x: 1, t: b64(bytes('tg')) }, b: [8n, 1n], c: { i: 4n } }));
    expect(decodeState(rec)).toEqual({
      lastBal: { n: 9n, proposerId: 1n },
      val: { vi64: 0n, bytes: bytes('héllo'), text: true, tag: bytes('tg') },
      vBal: { n: 8n, proposerId: 1n },
      chosen: { vi64: 4n },
    });
  });

  it('a sealed record with a bad layout is CorruptRecordError', () => {
    const payload = openRecord(encodeState(states[3]!));
    for (let n = 1; n < payload.length; n++) expect(() => decodeState(sealRecord(payload.slice(0, n))), `cut at ${n}`).toThrow(CorruptRecordError);
    expect(() => decodeState(sealRecord(Uint8Array.from([...payload, 0])))).toThrow(CorruptRecordError);
    expect(() => decodeState(sealRecord(Uint8Array.from([7, ...payload.slice(1)])))).toThrow(/unknown format 7/);
    const flipped = encodeState(states[2]!);
    flipped[10] = flipped[10]! ^ 1;
    expect(() => decodeState(flipped)).toThrow(CorruptRecordError);
  });
});
