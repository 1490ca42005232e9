// The edge between proto objects (as @grpc/proto-loader hands them over: int64 as
// strings, bytes as Buffer, absent messages as null) and the core's bigint types.
// Bad input becomes a BadRequestError; nothing is ever rounded through number.
import { toBigInt } from '@quorumkit/shared-transport';
import { type AcceptorReply, type Ballot, type Value, ZERO_BALLOT } from '../core/index.js';
import { BadRequestError } from '../errors.js';

export interface WireBallot {
  N?: string | number | bigint | null;
  ProposerId?: string | number | bigint | null;
}
export interface WireValue {
  Vi64?: string | number | bigint | null;
  Vbytes?: Uint8Array | null;
  IsBytes?: boolean | null;
  Tag?: Uint8Array | null;
  IsText?: boolean | null;
}
export interface WireInstanceId {
  Key?: string | null;
  Ver?: string | number | bigint | null;
}
export interface WireProposer {
  Id?: WireInstanceId | null;
  Bal?: WireBallot | null;
  Val?: WireValue | null;
  ClusterId?: string | null;
  Members?: number | null;
  /** Batch ACCEPT only: the value chosen at Id.Ver - 1 (a COMMIT hint riding on the next vote) */
  PrevChosen?: WireValue | null;
}
export interface WireAcceptor {
  LastBal: WireBallot | null;
  Val: WireValue | null;
  VBal: WireBallot | null;
  Chosen?: WireValue | null;
  Ver?: string | bigint;
}
export type WireOpKind = 'PREPARE' | 'ACCEPT' | 'COMMIT' | 'LEARN' | 'LATEST' | 'PREPARE_FROM';
export interface WireBatchOp {
  Kind?: WireOpKind | number | null;
  Req?: WireProposer | null;
}

export const wireLimits = { keyBytesMax: 4096, valueBytesMax: 1 << 20, tagBytesMax: 64 } as const;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function int64(v: unknown, what: string): bigint {
  try {
    const b = toBigInt((v ?? 0) as string);
    if (b < INT64_MIN || b > INT64_MAX) throw new Error('out of int64 range');
    return b;
  } catch (e) {
    throw new BadRequestError(`${what}: not an int64 (${(e as Error).message})`);
  }
}

export function ballotFromWire(b: WireBallot | null | undefined): Ballot {
  if (!b) return ZERO_BALLOT;
  return { n: int64(b.N, 'BallotNum.N'), proposerId: int64(b.ProposerId, 'BallotNum.ProposerId') };
}

export function ballotToWire(b: Ballot): { N: string; ProposerId: string } {
  return { N: b.n.toString(), ProposerId: b.proposerId.toString() };
}

export function valueFromWire(v: WireValue | null | undefined): Value | null {
  if (!v) return null;
  const out: { vi64: bigint; bytes?: Uint8Array; tag?: Uint8Array; text?: boolean } = { vi64: int64(v.Vi64, 'Value.Vi64') };
  if (v.IsBytes) {
    const bytes = v.Vbytes ?? new Uint8Array(0);
    if (bytes.length > wireLimits.valueBytesMax) throw new BadRequestError(`Value.Vbytes: ${bytes.length} bytes, at most ${wireLimits.valueBytesMax}`);
    out.bytes = Uint8Array.from(bytes);
    if (v.IsText) out.text = true;
  }
  if (v.Tag && v.Tag.length > 0) {
    if (v.Tag.length > wireLimits.tagBytesMax) throw new BadRequestError(`Value.Tag: ${v.Tag.length} bytes, at most ${wireLimits.tagBytesMax}`);
    out.tag = Uint8Array.from(v.Tag);
  }
  return out;
}

/**
 * A value on the wire. Added fields holding their default are left out, not written as
 * defaults: protobufjs writes every field that is set, and to a client built from the seed's
 * proto a written Vbytes/IsBytes/Tag is an unknown field, which Go's proto.Equal and Python's
 * == compare (issue 17 item 4).
 */
export function valueToWire(v: Value | null): { Vi64: string; Vbytes?: Buffer; IsBytes?: boolean; Tag?: Buffer; IsText?: boolean } | null {
  if (!v) return null;
  const out: { Vi64: string; Vbytes?: Buffer; IsBytes?: boolean; Tag?: Buffer; IsText?: boolean } = { Vi64: v.vi64.toString() };
  if (v.bytes !== undefined) {
    out.IsBytes = true;
    if (v.bytes.length > 0) out.Vbytes = Buffer.from(v.bytes);
    if (v.text) out.IsText = true;
  }
  if (v.tag && v.tag.length > 0) out.Tag = Buffer.from(v.tag);
  return out;
}

export function instanceFromWire(id: WireInstanceId | null | undefined): { key: string; ver: bigint } {
  if (!id) throw new BadRequestError('Proposer.Id is missing');
  const key = id.Key ?? '';
  if (typeof key !== 'string') throw new BadRequestError('PaxosInstanceId.Key must be a string');
  if (Buffer.byteLength(key) > wireLimits.keyBytesMax) throw new BadRequestError(`PaxosInstanceId.Key: more than ${wireLimits.keyBytesMax} bytes`);
  const ver = int64(id.Ver, 'PaxosInstanceId.Ver');
  if (ver < 0n) throw new BadRequestError(`PaxosInstanceId.Ver must be >= 0, got ${ver}`);
  return { key, ver };
}

export function instanceToWire(id: { key: string; ver: bigint }): { Key: string; Ver: string } {
  return { Key: id.key, Ver: id.ver.toString() };
}

/**
 * An acceptor reply in the seed's shape: LastBal always set; Val/VBal only when present. The
 * added Chosen only when known and `added` (a client that speaks the added fields; a seed client
 * would see it as an unknown field), Ver only for LATEST.
 */
export function replyToWire(r: AcceptorReply, ver?: bigint, added = true): WireAcceptor {
  const out: WireAcceptor = {
    LastBal: ballotToWire(r.lastBal),
    Val: valueToWire(r.val),
    VBal: r.vBal ? ballotToWire(r.vBal) : null,
  };
  if (added && r.chosen) out.Chosen = valueToWire(r.chosen);
  if (ver !== undefined) out.Ver = ver.toString();
  return out;
}

export function replyFromWire(a: WireAcceptor): AcceptorReply {
  return {
    lastBal: ballotFromWire(a.LastBal),
    val: valueFromWire(a.Val),
    vBal: a.VBal ? ballotFromWire(a.VBal) : null,
    chosen: valueFromWire(a.Chosen),
  };
}

const KINDS: WireOpKind[] = ['PREPARE', 'ACCEPT', 'COMMIT', 'LEARN', 'LATEST', 'PREPARE_FROM'];

export function opKindFromWire(k: WireBatchOp['Kind']): WireOpKind {
  if (typeof k === 'number') {
    const name = KINDS[k];
    if (!name) throw new BadRequestError(`BatchOp.Kind ${k} is unknown`);
    return name;
  }
  if (k === null || k === undefined) return 'PREPARE';
  if (!KINDS.includes(k)) throw new BadRequestError(`BatchOp.Kind ${String(k)} is unknown`);
  return k;
}

/** The cluster view a request states (absent fields as proto3 defaults: '' and 0). */
export function viewFromWire(m: { ClusterId?: string | null; Members?: number | string | null } | null | undefined): { clusterId: string; members: number } {
  const clusterId = m?.ClusterId ?? '';
  if (typeof clusterId !== 'string') throw new BadRequestError('ClusterId must be a string');
  const members = Number(m?.Members ?? 0);
  if (!Number.isInteger(members) || members < 0) throw new BadRequestError(`Members must be a count >= 0, got ${String(m?.Members)}`);
  return { clusterId, members };
}
