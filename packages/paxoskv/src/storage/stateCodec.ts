// How one instance's acceptor state is stored: CRC-sealed JSON (bigints kept exact), so
// a torn or flipped record is detected instead of silently breaking a promise.
import { decodeJson, encodeJson, openRecord, sealRecord } from '@quorumkit/shared-storage';
import type { AcceptorState, Ballot, Value } from '../core/index.js';

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

const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

function encValue(v: Value | null): StoredValue | null {
  if (!v) return null;
  const out: StoredValue = { i: v.vi64 };
  if (v.bytes) out.b = b64(v.bytes);
  if (v.bytes && v.text) out.x = 1;
  if (v.tag && v.tag.length > 0) out.t = b64(v.tag);
  return out;
}

function decValue(v: StoredValue | null): Value | null {
  if (!v) return null;
  const out: { vi64: bigint; bytes?: Uint8Array; tag?: Uint8Array; text?: boolean } = { vi64: v.i };
  if (v.b !== undefined) out.bytes = unb64(v.b);
  if (v.b !== undefined && v.x === 1) out.text = true;
  if (v.t !== undefined) out.tag = unb64(v.t);
  return out;
}

const decBallot = ([n, proposerId]: [bigint, bigint]): Ballot => ({ n, proposerId });

export function encodeState(s: AcceptorState): Uint8Array {
  const stored: StoredState = {
    l: [s.lastBal.n, s.lastBal.proposerId],
    v: encValue(s.val),
    b: [s.vBal.n, s.vBal.proposerId],
    c: encValue(s.chosen),
  };
  return sealRecord(encodeJson(stored));
}

export function decodeState(bytes: Uint8Array): AcceptorState {
  const s = decodeJson<StoredState>(openRecord(bytes));
  return { lastBal: decBallot(s.l), val: decValue(s.v), vBal: decBallot(s.b), chosen: decValue(s.c) };
}
