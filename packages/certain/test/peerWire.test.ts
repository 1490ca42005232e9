// The binary peer frames: every message kind round-trips exactly (property), a value shared by
// srcRecord and destRecord travels once, and truncated, extended or garbage frames are refused
// with PeerFrameError instead of decoding to something else.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { EntryRecord, PaxosCmd, PeerMsg } from '../src/core/index.js';
import { encodeValue, peerMsgCodec } from '../src/storage/codec.js';
import { PeerFrameError, decodePeerMsg, encodePeerMsg } from '../src/storage/peerWire.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const small = fc.bigInt({ min: 0n, max: 1000n });
const id = fc.integer({ min: 0, max: 8 });
const bytes = fc.uint8Array({ maxLength: 300 }).map((b) => new Uint8Array(b));
const record: fc.Arbitrary<EntryRecord> = fc.record({
  preparedNum: fc.oneof(small, u64), promisedNum: fc.oneof(small, u64), acceptedNum: fc.oneof(small, u64), valueId: fc.oneof(small, u64),
  value: fc.option(bytes, { nil: null }), uuids: fc.array(u64, { maxLength: 5 }), chosen: fc.boolean(),
});
const cmd: fc.Arbitrary<PaxosCmd> = fc.record({
  header: fc.record({ uuid: u64, entityId: u64, entry: u64, result: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<PaxosCmd['header']['result']> }),
  srcAcceptorId: id, destAcceptorId: id, srcRecord: record, srcDurable: fc.boolean(),
  destRecord: record, maxChosenEntry: u64, maxChosenValueId: u64, checkEmpty: fc.boolean(), quickRsp: fc.boolean(),
});
// the destRecord often holds the src's own value (an accept answered): the shared-value path
// (and sometimes the same value id with other bytes, which must not be taken for it)
const cmdSharing = fc.tuple(cmd, fc.constantFrom('no', 'same', 'sameIdOtherBytes'), bytes).map(([c, share, other]) =>
  share === 'no' || c.srcRecord.value === null ? c
    : { ...c, destRecord: { ...c.destRecord, valueId: c.srcRecord.valueId, value: share === 'same' ? c.srcRecord.value.slice() : other } });
const msg: fc.Arbitrary<PeerMsg> = fc.oneof(
  cmdSharing.map((c) => ({ kind: 'paxos' as const, cmd: c })),
  fc.record({ kind: fc.constant('commit' as const), srcAcceptorId: id, entityId: u64, entry: u64, valueId: u64 }),
  fc.record({ kind: fc.constant('catchUpReq' as const), srcAcceptorId: id, entityId: u64, fromEntry: u64, maxNum: fc.integer({ min: 0, max: 1000 }) }),
  fc.record({
    kind: fc.constant('catchUpRsp' as const), srcAcceptorId: id, entityId: u64,
    entries: fc.array(fc.record({ entry: u64, record }), { maxLength: 4 }), maxChosenEntry: u64, expired: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('horizonReq' as const), srcAcceptorId: id, after: fc.option(u64, { nil: null }), maxNum: fc.integer({ min: 0, max: 1000 }) }),
  fc.record({
    kind: fc.constant('horizonRsp' as const), srcAcceptorId: id, recovering: fc.boolean(),
    horizons: fc.array(fc.record({ entityId: u64, horizon: u64 }), { maxLength: 6 }), next: fc.option(u64, { nil: null }),
  }),
  fc.record({ kind: fc.constant('chosenSummary' as const), srcAcceptorId: id, chosen: fc.array(fc.record({ entityId: u64, maxChosen: u64 }), { maxLength: 6 }) }),
);

describe('peer wire', () => {
  test.prop([msg], { numRuns: 300 })('every message round-trips exactly', (m) => {
    expect(decodePeerMsg(encodePeerMsg(m))).toEqual(m);
    expect(peerMsgCodec.decode(peerMsgCodec.encode(m))).toEqual(m);
  });

  test.prop([msg, fc.nat()], { numRuns: 300 })('every strict prefix is refused with PeerFrameError', (m, cut) => {
    const b = encodePeerMsg(m);
    const prefix = b.subarray(0, cut % b.length);
    expect(() => decodePeerMsg(prefix)).toThrow(PeerFrameError);
  });

  test.prop([msg, fc.uint8Array({ minLength: 1, maxLength: 8 })], { numRuns: 200 })('trailing bytes are refused', (m, extra) => {
    const b = encodePeerMsg(m);
    const longer = new Uint8Array(b.length + extra.length);
    longer.set(b);
    longer.set(extra, b.length);
    expect(() => decodePeerMsg(longer)).toThrow(PeerFrameError);
  });

  test.prop([fc.uint8Array({ maxLength: 200 })], { numRuns: 500 })('garbage either decodes to a message that re-encodes to itself or is refused by name', (g) => {
    let m: PeerMsg;
    try {
      m = decodePeerMsg(g);
    } catch (e) {
      expect(e).toBeInstanceOf(PeerFrameError);
      expect((e as PeerFrameError).code).toBe('EPEERFRAME');
      return;
    }
    expect(decodePeerMsg(encodePeerMsg(m))).toEqual(m);
  });

  test.prop([msg, fc.bigInt({ min: 1n, max: (1n << 64n) - 1n })], { numRuns: 200 })('the sender\'s incarnation travels with every message (the recovery fence reads it)', (m, inc) => {
    // version 1 frames dropped it: every peer message arrived as incarnation 0, so messages of
    // a wiped replica's earlier life were never fenced over real peer links
    const stamped = { ...m, inc } as PeerMsg & { inc: bigint };
    const back = peerMsgCodec.decode(peerMsgCodec.encode(stamped)) as PeerMsg & { inc?: bigint };
    expect(back.inc).toBe(inc);
    expect(back).toEqual(stamped);
  });

  it('named refusals: bad version, unknown kind, oversize varint, a length past the end, a shared value with no source', () => {
    const commit = encodePeerMsg({ kind: 'commit', srcAcceptorId: 1, entityId: 5n, entry: 7n, valueId: 9n });
    const bad = (b: Uint8Array, re: RegExp) => expect(() => decodePeerMsg(b)).toThrow(re);
    bad(Uint8Array.of(1, ...commit.subarray(1)), /version 1, want 2/);
    bad(Uint8Array.of(2, 99, 0), /unknown kind 99/);
    bad(Uint8Array.of(2, 2, 0, ...new Array<number>(11).fill(0xff), 0), /longer than 10 bytes/);
    bad(Uint8Array.of(2, 2, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0), /exceeds 64 bits/);
    // a catch-up record whose value claims 100 bytes that the frame does not have
    bad(Uint8Array.of(2, 4, 0, 1, 1, 0, 1, 3, 0, 0, 0, 0, 1, 100, 1, 2), /value length 100 over its bound/);
    // catch-up records have no srcRecord to share a value with
    bad(Uint8Array.of(2, 4, 0, 1, 1, 0, 1, 3, 0, 0, 0, 0, 2, 0, 0), /value tag 2 not valid here/);
    bad(new Uint8Array(0), /truncated at version/);
  });

  it('an accept answered with the same value carries its bytes once, and is far smaller than the JSON it replaces', () => {
    const value = new Uint8Array(100).fill(7);
    const rec: EntryRecord = { preparedNum: 4n, promisedNum: 4n, acceptedNum: 4n, valueId: 4n, value, uuids: [123456789n], chosen: false };
    const c: PaxosCmd = {
      header: { uuid: 1n, entityId: 17n, entry: 3n, result: 0 }, srcAcceptorId: 0, destAcceptorId: 1,
      srcRecord: rec, srcDurable: true, destRecord: { ...rec, value: value.slice() }, maxChosenEntry: 2n, maxChosenValueId: 3n, checkEmpty: false, quickRsp: false,
    };
    const shared = encodePeerMsg({ kind: 'paxos', cmd: c });
    const alone = encodePeerMsg({ kind: 'paxos', cmd: { ...c, destRecord: { ...rec, value: null } } });
    expect(shared.length - alone.length).toBe(0); // a tag byte either way: no second copy
    expect(shared.length).toBeLessThan(150);
    expect(shared.length * 4).toBeLessThan(encodeValue({ kind: 'paxos', cmd: c }).length);
  });
});
