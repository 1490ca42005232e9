// Compact binary encoding of peer messages (issue 21 step 3): unsigned LEB128 varints for
// ids, ballots and entries, one byte of flags, and each value's bytes once — a PaxosCmd's
// destRecord whose value is the srcRecord's (same id, same bytes) says so with a tag instead
// of carrying them again. Decoding checks every length against the frame and refuses a
// malformed frame with PeerFrameError, so a damaged or hostile frame changes nothing.
// Pure: no node:* imports.
import { QuorumkitError } from '@quorumkit/shared-storage';
import type { CatchUpReq, CatchUpRsp, ChosenSummary, CommitMsg, EntryRecord, HorizonReq, HorizonRsp, PaxosCmd, PeerMsg } from '../core/index.js';

/** A peer frame that does not decode: truncated, unknown tag, over a bound, or trailing bytes. */
export class PeerFrameError extends QuorumkitError {
  constructor(message: string) {
    super('EPEERFRAME', `malformed peer frame: ${message}`);
  }
}

// 2: the sender's incarnation ends every frame (version 1 dropped it, which disarmed the
// recovery fence against a wiped replica's earlier life over real peer links)
const VERSION = 2;
const KIND = { paxos: 1, commit: 2, catchUpReq: 3, catchUpRsp: 4, horizonReq: 5, horizonRsp: 6, chosenSummary: 7 } as const;
const VALUE_NONE = 0;
const VALUE_BYTES = 1;
const VALUE_AS_SRC = 2;
/** A varint of a u64 is at most 10 bytes; anything longer is refused. */
const U64_MAX = (1n << 64n) - 1n;
/** Bounds that refuse absurd counts before allocating for them. */
const COUNT_MAX = 1 << 20;

class Writer {
  private buf = new Uint8Array(256);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  byte(v: number): void {
    this.room(1);
    this.buf[this.len++] = v;
  }
  uint(v: number): void {
    this.big(BigInt(v));
  }
  big(v: bigint): void {
    if (v < 0n || v > U64_MAX) throw new RangeError(`peer frame field out of u64 range: ${v}`);
    this.room(10);
    if (v < 0x80n) {
      this.buf[this.len++] = Number(v);
      return;
    }
    while (v >= 0x80n) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
  }
  bytes(b: Uint8Array): void {
    this.uint(b.byteLength);
    this.room(b.byteLength);
    this.buf.set(b, this.len);
    this.len += b.byteLength;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

class Reader {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}
  byte(what: string): number {
    if (this.at >= this.buf.length) throw new PeerFrameError(`truncated at ${what}`);
    return this.buf[this.at++]!;
  }
  big(what: string): bigint {
    let v = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.byte(what);
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        if (v > U64_MAX) throw new PeerFrameError(`${what} exceeds 64 bits`);
        return v;
      }
      shift += 7n;
    }
    throw new PeerFrameError(`${what} varint longer than 10 bytes`);
  }
  uint(what: string, max: number): number {
    const v = this.big(what);
    if (v > BigInt(max)) throw new PeerFrameError(`${what} ${v} over its bound ${max}`);
    return Number(v);
  }
  bytes(what: string): Uint8Array {
    const n = this.uint(`${what} length`, this.buf.length - this.at);
    // a plain, self-owned copy, as the JSON codec gave: the frame arrives as a Node Buffer, and a
    // Buffer view as a value broke the card path over real peer links (test/tls.test.ts red)
    const b = new Uint8Array(this.buf.subarray(this.at, this.at + n));
    this.at += n;
    return b;
  }
  bool(what: string): boolean {
    const b = this.byte(what);
    if (b > 1) throw new PeerFrameError(`${what} is ${b}, not a boolean`);
    return b === 1;
  }
  end(): void {
    if (this.at !== this.buf.length) throw new PeerFrameError(`${this.buf.length - this.at} trailing bytes`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function writeRecord(w: Writer, r: EntryRecord, src?: EntryRecord): void {
  w.big(r.preparedNum);
  w.big(r.promisedNum);
  w.big(r.acceptedNum);
  w.big(r.valueId);
  if (r.value === null) w.byte(VALUE_NONE);
  else if (src && src.value !== null && src.valueId === r.valueId && sameBytes(src.value, r.value)) w.byte(VALUE_AS_SRC);
  else {
    w.byte(VALUE_BYTES);
    w.bytes(r.value);
  }
  w.uint(r.uuids.length);
  for (const u of r.uuids) w.big(u);
  w.byte(r.chosen ? 1 : 0);
}

function readRecord(r: Reader, what: string, src?: EntryRecord): EntryRecord {
  const preparedNum = r.big(`${what}.preparedNum`);
  const promisedNum = r.big(`${what}.promisedNum`);
  const acceptedNum = r.big(`${what}.acceptedNum`);
  const valueId = r.big(`${what}.valueId`);
  const tag = r.byte(`${what}.value tag`);
  let value: Uint8Array | null;
  if (tag === VALUE_NONE) value = null;
  else if (tag === VALUE_BYTES) value = r.bytes(`${what}.value`);
  else if (tag === VALUE_AS_SRC && src && src.value !== null) value = src.value.slice();
  else throw new PeerFrameError(`${what}.value tag ${tag} not valid here`);
  const n = r.uint(`${what}.uuids count`, COUNT_MAX);
  const uuids: bigint[] = [];
  for (let i = 0; i < n; i++) uuids.push(r.big(`${what}.uuid`));
  return { preparedNum, promisedNum, acceptedNum, valueId, value, uuids, chosen: r.bool(`${what}.chosen`) };
}

function writeCmd(w: Writer, c: PaxosCmd): void {
  w.big(c.header.uuid);
  w.big(c.header.entityId);
  w.big(c.header.entry);
  w.uint(c.header.result);
  w.uint(c.destAcceptorId);
  w.byte((c.srcDurable ? 1 : 0) | (c.checkEmpty ? 2 : 0) | (c.quickRsp ? 4 : 0));
  w.big(c.maxChosenEntry);
  w.big(c.maxChosenValueId);
  writeRecord(w, c.srcRecord);
  writeRecord(w, c.destRecord, c.srcRecord);
}

function readCmd(r: Reader, srcAcceptorId: number): PaxosCmd {
  const uuid = r.big('uuid');
  const entityId = r.big('entityId');
  const entry = r.big('entry');
  const result = r.uint('result', 3) as PaxosCmd['header']['result'];
  const destAcceptorId = r.uint('destAcceptorId', 0xffff);
  const flags = r.byte('flags');
  if (flags > 7) throw new PeerFrameError(`unknown flags ${flags}`);
  const maxChosenEntry = r.big('maxChosenEntry');
  const maxChosenValueId = r.big('maxChosenValueId');
  const srcRecord = readRecord(r, 'srcRecord');
  const destRecord = readRecord(r, 'destRecord', srcRecord);
  return {
    header: { uuid, entityId, entry, result }, srcAcceptorId, destAcceptorId, srcRecord,
    srcDurable: (flags & 1) !== 0, destRecord, maxChosenEntry, maxChosenValueId,
    checkEmpty: (flags & 2) !== 0, quickRsp: (flags & 4) !== 0,
  };
}

/** One peer message as a frame body (version, kind, sender, fields). */
export function encodePeerMsg(m: PeerMsg): Uint8Array {
  const w = new Writer();
  w.byte(VERSION);
  w.byte(KIND[m.kind]);
  w.uint(m.kind === 'paxos' ? m.cmd.srcAcceptorId : m.srcAcceptorId);
  switch (m.kind) {
    case 'paxos':
      writeCmd(w, m.cmd);
      break;
    case 'commit':
      w.big(m.entityId);
      w.big(m.entry);
      w.big(m.valueId);
      break;
    case 'catchUpReq':
      w.big(m.entityId);
      w.big(m.fromEntry);
      w.uint(m.maxNum);
      break;
    case 'catchUpRsp':
      w.big(m.entityId);
      w.big(m.maxChosenEntry);
      w.byte(m.expired ? 1 : 0);
      w.uint(m.entries.length);
      for (const e of m.entries) {
        w.big(e.entry);
        writeRecord(w, e.record);
      }
      break;
    case 'horizonReq':
      w.byte(m.after === null ? 0 : 1);
      if (m.after !== null) w.big(m.after);
      w.uint(m.maxNum);
      break;
    case 'horizonRsp':
      w.byte(m.recovering ? 1 : 0);
      w.byte(m.next === null ? 0 : 1);
      if (m.next !== null) w.big(m.next);
      w.uint(m.horizons.length);
      for (const h of m.horizons) {
        w.big(h.entityId);
        w.big(h.horizon);
      }
      break;
    case 'chosenSummary':
      w.uint(m.chosen.length);
      for (const c of m.chosen) {
        w.big(c.entityId);
        w.big(c.maxChosen);
      }
      break;
  }
  // the sender's incarnation (engine/recoveryMode.ts fences an earlier life's messages)
  w.big((m as Incarnated).inc ?? 0n);
  return w.done();
}

/** The engine stamps each outgoing message with its incarnation; it travels in every frame. */
type Incarnated = PeerMsg & { inc?: bigint };

/** Decodes a frame body; throws PeerFrameError for anything but one well-formed message. */
export function decodePeerMsg(b: Uint8Array): PeerMsg {
  const r = new Reader(b);
  const version = r.byte('version');
  if (version !== VERSION) throw new PeerFrameError(`version ${version}, want ${VERSION}`);
  const kind = r.byte('kind');
  const src = r.uint('srcAcceptorId', 0xffff);
  let m: PeerMsg;
  switch (kind) {
    case KIND.paxos:
      m = { kind: 'paxos', cmd: readCmd(r, src) };
      break;
    case KIND.commit: {
      const c: CommitMsg = { kind: 'commit', srcAcceptorId: src, entityId: r.big('entityId'), entry: r.big('entry'), valueId: r.big('valueId') };
      m = c;
      break;
    }
    case KIND.catchUpReq: {
      const c: CatchUpReq = { kind: 'catchUpReq', srcAcceptorId: src, entityId: r.big('entityId'), fromEntry: r.big('fromEntry'), maxNum: r.uint('maxNum', COUNT_MAX) };
      m = c;
      break;
    }
    case KIND.catchUpRsp: {
      const entityId = r.big('entityId');
      const maxChosenEntry = r.big('maxChosenEntry');
      const expired = r.bool('expired');
      const n = r.uint('entries count', COUNT_MAX);
      const entries: CatchUpRsp['entries'] = [];
      for (let i = 0; i < n; i++) entries.push({ entry: r.big('entry'), record: readRecord(r, 'record') });
      m = { kind: 'catchUpRsp', srcAcceptorId: src, entityId, entries, maxChosenEntry, expired };
      break;
    }
    case KIND.horizonReq: {
      const after = r.bool('after present') ? r.big('after') : null;
      const h: HorizonReq = { kind: 'horizonReq', srcAcceptorId: src, after, maxNum: r.uint('maxNum', COUNT_MAX) };
      m = h;
      break;
    }
    case KIND.horizonRsp: {
      const recovering = r.bool('recovering');
      const next = r.bool('next present') ? r.big('next') : null;
      const n = r.uint('horizons count', COUNT_MAX);
      const horizons: HorizonRsp['horizons'] = [];
      for (let i = 0; i < n; i++) horizons.push({ entityId: r.big('entityId'), horizon: r.big('horizon') });
      m = { kind: 'horizonRsp', srcAcceptorId: src, recovering, horizons, next };
      break;
    }
    case KIND.chosenSummary: {
      const n = r.uint('summary count', COUNT_MAX);
      const chosen: ChosenSummary['chosen'] = [];
      for (let i = 0; i < n; i++) chosen.push({ entityId: r.big('entityId'), maxChosen: r.big('maxChosen') });
      m = { kind: 'chosenSummary', srcAcceptorId: src, chosen };
      break;
    }
    default:
      throw new PeerFrameError(`unknown kind ${kind}`);
  }
  const inc = r.big('incarnation');
  if (inc !== 0n) (m as Incarnated).inc = inc;
  r.end();
  return m;
}

/** First byte of a binary plog record (JSON records, written before, start with '{'). */
export const STORED_RECORD_BINARY = 0x01;

/**
 * A plog record (the replica's record of an entry and when it was written) in the binary
 * record layout of the peer frames, behind a marker byte: the JSON codec with its replacer was
 * ~3.5 % of an acceptor's time (issue 21).
 */
export function encodeStoredRecord(record: EntryRecord, atMs: number): Uint8Array {
  const w = new Writer();
  w.byte(STORED_RECORD_BINARY);
  w.uint(atMs);
  writeRecord(w, record);
  return w.done();
}

export function decodeStoredRecord(b: Uint8Array): { record: EntryRecord; at: number } {
  const r = new Reader(b);
  if (r.byte('marker') !== STORED_RECORD_BINARY) throw new PeerFrameError('not a binary plog record');
  const at = r.uint('at', Number.MAX_SAFE_INTEGER);
  const record = readRecord(r, 'record');
  r.end();
  return { record, at };
}
