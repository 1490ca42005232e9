// The compact binary body of a BatchFrame (the BatchStream method): the ops of one batch, or
// their replies, without protobuf objects per op. The unary Batch carries the same ops as
// protobuf messages; this only saves encoding work on our own clients' hot path.
//
// Layout (all integers little-endian; int64 as 8 bytes two's complement):
//   ops:     u8 format=1, u32 count, count x op
//   op:      u8 kind, u8 flags (1 Bal, 2 Val, 4 PrevChosen), str Key, i64 Ver, [ballot], [value], [value]
//   replies: u8 format=1, u32 count, count x reply
//   reply:   u8 flags (1 Val, 2 VBal, 4 Chosen, 8 Ver), ballot LastBal, [value], [ballot], [value], [i64 Ver]
//   ballot:  i64 N, i64 ProposerId
//   value:   u8 flags (1 IsBytes, 2 IsText, 4 Tag), i64 Vi64, [u32 len, bytes], [u8 len, tag]
//   str:     u32 len, UTF-8
// Decoding checks every length against what is left and every count against a cap: a malformed
// body is a BadRequestError, never a crash or a huge allocation.
import { type AcceptorReply, type Ballot, type Value } from '../core/index.js';
import { BadRequestError } from '../errors.js';
import { type WireBallot, type WireBatchOp, type WireOpKind, type WireProposer, type WireValue, wireLimits } from './codec.js';

const FORMAT = 1;
const KINDS: WireOpKind[] = ['PREPARE', 'ACCEPT', 'COMMIT', 'LEARN', 'LATEST', 'PREPARE_FROM'];
const KIND_NO = new Map(KINDS.map((k, i) => [k, i]));
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Most ops (or replies) one body may declare: above any batch our links or acceptors build. */
export const BINARY_BATCH_COUNT_MAX = 65_536;

class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.at++] = v;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }
  i64(v: bigint): void {
    this.room(8);
    this.view.setBigInt64(this.at, v, true);
    this.at += 8;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  str(s: string): void {
    const b = utf8.encode(s);
    this.u32(b.length);
    this.bytes(b);
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }
}

class Reader {
  private at = 0;
  private readonly view: DataView;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.at + n > this.buf.length) throw new BadRequestError(`BatchFrame body truncated at byte ${this.at} (needs ${n} more, has ${this.buf.length - this.at})`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.at++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.at, true);
    this.at += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.slice(this.at, this.at + n);
    this.at += n;
    return b;
  }
  str(max: number, what: string): string {
    const n = this.u32();
    if (n > max) throw new BadRequestError(`${what}: ${n} bytes, at most ${max}`);
    this.need(n);
    try {
      return fromUtf8.decode(this.buf.subarray(this.at, (this.at += n)));
    } catch {
      throw new BadRequestError(`${what}: not UTF-8`);
    }
  }
  end(): void {
    if (this.at !== this.buf.length) throw new BadRequestError(`BatchFrame body has ${this.buf.length - this.at} bytes after its last entry`);
  }
}

function int64Of(v: string | number | bigint | null | undefined): bigint {
  if (v === null || v === undefined || v === '') return 0n;
  return typeof v === 'bigint' ? v : BigInt(v);
}

function writeBallot(w: Writer, b: WireBallot): void {
  w.i64(int64Of(b.N));
  w.i64(int64Of(b.ProposerId));
}

function writeWireValue(w: Writer, v: WireValue): void {
  const bytes = v.IsBytes ? (v.Vbytes ?? new Uint8Array(0)) : null;
  const tag = v.Tag && v.Tag.length > 0 ? v.Tag : null;
  w.u8((bytes ? 1 : 0) | (bytes && v.IsText ? 2 : 0) | (tag ? 4 : 0));
  w.i64(int64Of(v.Vi64));
  if (bytes) {
    w.u32(bytes.length);
    w.bytes(bytes);
  }
  if (tag) {
    if (tag.length > 255) throw new BadRequestError(`Value.Tag: ${tag.length} bytes, at most ${wireLimits.tagBytesMax}`);
    w.u8(tag.length);
    w.bytes(tag);
  }
}

function readWireValue(r: Reader): WireValue {
  const flags = r.u8();
  const out: WireValue = { Vi64: r.i64() };
  if (flags & 1) {
    const n = r.u32();
    if (n > wireLimits.valueBytesMax) throw new BadRequestError(`Value.Vbytes: ${n} bytes, at most ${wireLimits.valueBytesMax}`);
    out.IsBytes = true;
    out.Vbytes = r.bytes(n);
    if (flags & 2) out.IsText = true;
  }
  if (flags & 4) out.Tag = r.bytes(r.u8());
  return out;
}

/** The ops of one batch (as the link queues them) -> a body. */
export function encodeOps(ops: readonly { Kind: WireOpKind; Req: WireProposer }[]): Uint8Array {
  const w = new Writer();
  w.u8(FORMAT);
  w.u32(ops.length);
  for (const { Kind, Req } of ops) {
    w.u8(KIND_NO.get(Kind)!);
    w.u8((Req.Bal ? 1 : 0) | (Req.Val ? 2 : 0) | (Req.PrevChosen ? 4 : 0));
    w.str(Req.Id?.Key ?? '');
    w.i64(int64Of(Req.Id?.Ver));
    if (Req.Bal) writeBallot(w, Req.Bal);
    if (Req.Val) writeWireValue(w, Req.Val);
    if (Req.PrevChosen) writeWireValue(w, Req.PrevChosen);
  }
  return w.done();
}

/** A body -> the ops, shaped as the unary Batch's decoded ops (the acceptor validates them the same way). */
export function decodeOps(body: Uint8Array): WireBatchOp[] {
  const r = new Reader(body);
  const format = r.u8();
  if (format !== FORMAT) throw new BadRequestError(`BatchFrame body format ${format} is unknown (this acceptor reads ${FORMAT})`);
  const count = r.u32();
  if (count > BINARY_BATCH_COUNT_MAX) throw new BadRequestError(`BatchFrame declares ${count} ops, at most ${BINARY_BATCH_COUNT_MAX}`);
  const ops: WireBatchOp[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.u8();
    if (kind >= KINDS.length) throw new BadRequestError(`BatchOp.Kind ${kind} is unknown`);
    const flags = r.u8();
    const req: WireProposer = { Id: { Key: r.str(wireLimits.keyBytesMax, 'PaxosInstanceId.Key'), Ver: r.i64() } };
    if (flags & 1) req.Bal = { N: r.i64(), ProposerId: r.i64() };
    if (flags & 2) req.Val = readWireValue(r);
    if (flags & 4) req.PrevChosen = readWireValue(r);
    ops.push({ Kind: kind, Req: req });
  }
  r.end();
  return ops;
}

function writeBallotCore(w: Writer, b: Ballot): void {
  w.i64(b.n);
  w.i64(b.proposerId);
}

function writeValueCore(w: Writer, v: Value): void {
  const tag = v.tag && v.tag.length > 0 ? v.tag : null;
  w.u8((v.bytes ? 1 : 0) | (v.bytes && v.text ? 2 : 0) | (tag ? 4 : 0));
  w.i64(v.vi64);
  if (v.bytes) {
    w.u32(v.bytes.length);
    w.bytes(v.bytes);
  }
  if (tag) {
    w.u8(tag.length);
    w.bytes(tag);
  }
}

/** One acceptor's replies (core form, `ver` for LATEST/PREPARE_FROM) -> a body. */
export function encodeReplies(replies: readonly { r: AcceptorReply; ver?: bigint }[]): Uint8Array {
  const w = new Writer();
  w.u8(FORMAT);
  w.u32(replies.length);
  for (const { r, ver } of replies) {
    w.u8((r.val ? 1 : 0) | (r.vBal ? 2 : 0) | (r.chosen ? 4 : 0) | (ver !== undefined ? 8 : 0));
    writeBallotCore(w, r.lastBal);
    if (r.val) writeValueCore(w, r.val);
    if (r.vBal) writeBallotCore(w, r.vBal);
    if (r.chosen) writeValueCore(w, r.chosen);
    if (ver !== undefined) w.i64(ver);
  }
  return w.done();
}

/** A reply body -> replies shaped as the unary Batch's decoded replies (int64 as bigint). */
export function decodeReplies(body: Uint8Array): { LastBal: WireBallot; Val: WireValue | null; VBal: WireBallot | null; Chosen: WireValue | null; Ver?: bigint }[] {
  const r = new Reader(body);
  const format = r.u8();
  if (format !== FORMAT) throw new BadRequestError(`BatchFrame reply format ${format} is unknown`);
  const count = r.u32();
  if (count > BINARY_BATCH_COUNT_MAX) throw new BadRequestError(`BatchFrame declares ${count} replies, at most ${BINARY_BATCH_COUNT_MAX}`);
  const out: { LastBal: WireBallot; Val: WireValue | null; VBal: WireBallot | null; Chosen: WireValue | null; Ver?: bigint }[] = [];
  for (let i = 0; i < count; i++) {
    const flags = r.u8();
    const LastBal = { N: r.i64(), ProposerId: r.i64() };
    const Val = flags & 1 ? readWireValue(r) : null;
    const VBal = flags & 2 ? { N: r.i64(), ProposerId: r.i64() } : null;
    const Chosen = flags & 4 ? readWireValue(r) : null;
    const one: { LastBal: WireBallot; Val: WireValue | null; VBal: WireBallot | null; Chosen: WireValue | null; Ver?: bigint } = { LastBal, Val, VBal, Chosen };
    if (flags & 8) one.Ver = r.i64();
    out.push(one);
  }
  r.end();
  return out;
}
