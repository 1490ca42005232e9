// How one instance's acceptor state is stored: a CRC-sealed record, so a torn or flipped record
// is detected instead of silently breaking a promise. Written in a compact binary layout (one
// per set per acceptor: JSON encoding was a visible share of an acceptor's CPU); records written
// as JSON by earlier versions (payload starting with '{') are still read.
//   binary payload: u8 0x01, i64 LastBal.N, i64 LastBal.ProposerId, i64 VBal.N, i64 VBal.ProposerId,
//                   u8 flags (1 Val, 2 Chosen), [value], [value]
//   value:          u8 flags (1 bytes, 2 text, 4 tag), i64 Vi64, [u32 len, bytes], [u8 len, tag]
// (integers big-endian)
import { CorruptRecordError, decodeJson, openRecord, sealRecord } from '@quorumkit/shared-storage';
import type { AcceptorState, Ballot, Value } from '../core/index.js';

/** The JSON layout of earlier versions (read only). */
interface StoredValue {
  i: bigint;
  b?: string;
  t?: string;
  /** 1: the bytes are text */
  x?: 1;
}
interface StoredState {
  l: [bigint, bigint];
  v: StoredValue | null;
  b: [bigint, bigint];
  c: StoredValue | null;
}

const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

function decValue(v: StoredValue | null): Value | null {
  if (!v) return null;
  const out: { vi64: bigint; bytes?: Uint8Array; tag?: Uint8Array; text?: boolean } = { vi64: v.i };
  if (v.b !== undefined) out.bytes = unb64(v.b);
  if (v.b !== undefined && v.x === 1) out.text = true;
  if (v.t !== undefined) out.tag = unb64(v.t);
  return out;
}

const decBallot = ([n, proposerId]: [bigint, bigint]): Ballot => ({ n, proposerId });

const BINARY = 0x01;
const JSON_OPEN = 0x7b; // '{'

const valueBytes = (v: Value | null): number => (v ? 1 + 8 + (v.bytes ? 4 + v.bytes.length : 0) + (v.tag && v.tag.length > 0 ? 1 + v.tag.length : 0) : 0);

function putValue(view: DataView, out: Uint8Array, at: number, v: Value): number {
  const tag = v.tag && v.tag.length > 0 ? v.tag : null;
  out[at] = (v.bytes ? 1 : 0) | (v.bytes && v.text ? 2 : 0) | (tag ? 4 : 0);
  view.setBigInt64(at + 1, v.vi64);
  at += 9;
  if (v.bytes) {
    view.setUint32(at, v.bytes.length);
    out.set(v.bytes, at + 4);
    at += 4 + v.bytes.length;
  }
  if (tag) {
    out[at] = tag.length;
    out.set(tag, at + 1);
    at += 1 + tag.length;
  }
  return at;
}

export function encodeState(s: AcceptorState): Uint8Array {
  const out = new Uint8Array(1 + 32 + 1 + valueBytes(s.val) + valueBytes(s.chosen));
  const view = new DataView(out.buffer);
  out[0] = BINARY;
  view.setBigInt64(1, s.lastBal.n);
  view.setBigInt64(9, s.lastBal.proposerId);
  view.setBigInt64(17, s.vBal.n);
  view.setBigInt64(25, s.vBal.proposerId);
  out[33] = (s.val ? 1 : 0) | (s.chosen ? 2 : 0);
  let at = 34;
  if (s.val) at = putValue(view, out, at, s.val);
  if (s.chosen) putValue(view, out, at, s.chosen);
  return sealRecord(out);
}

function decodeBinary(p: Uint8Array): AcceptorState {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  let at = 0;
  const need = (n: number): void => {
    if (at + n > p.length) throw new CorruptRecordError(`acceptor state record truncated at byte ${at}`);
  };
  const i64 = (): bigint => {
    need(8);
    const v = view.getBigInt64(at);
    at += 8;
    return v;
  };
  const u8 = (): number => {
    need(1);
    return p[at++]!;
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const b = p.slice(at, at + n);
    at += n;
    return b;
  };
  const value = (): Value => {
    const flags = u8();
    const out: { vi64: bigint; bytes?: Uint8Array; tag?: Uint8Array; text?: boolean } = { vi64: i64() };
    if (flags & 1) {
      need(4);
      const n = view.getUint32(at);
      at += 4;
      out.bytes = take(n);
      if (flags & 2) out.text = true;
    }
    if (flags & 4) out.tag = take(u8());
    return out;
  };
  at = 1;
  const lastBal = { n: i64(), proposerId: i64() };
  const vBal = { n: i64(), proposerId: i64() };
  const flags = u8();
  const val = flags & 1 ? value() : null;
  const chosen = flags & 2 ? value() : null;
  if (at !== p.length) throw new CorruptRecordError(`acceptor state record has ${p.length - at} bytes after its end`);
  return { lastBal, val, vBal, chosen };
}

export function decodeState(bytes: Uint8Array): AcceptorState {
  const p = openRecord(bytes);
  if (p[0] === BINARY) return decodeBinary(p);
  if (p[0] !== JSON_OPEN) throw new CorruptRecordError(`acceptor state record of unknown format ${p[0]}`);
  const s = decodeJson<StoredState>(p);
  return { lastBal: decBallot(s.l), val: decValue(s.v), vBal: decBallot(s.b), chosen: decValue(s.c) };
}
