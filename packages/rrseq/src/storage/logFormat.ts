// The persist file's format: an append-only log of checksummed records.
//
//   file   = MAGIC record+
//   record = u32le length | u32le crc32(length bytes ++ payload) | payload (UTF-8 JSON)
//   payload = {"r":1|0,"h":{fixed part of the state},"n":[[name,"value"],...]}
//
// The first record is a full snapshot (r=1); every later one carries the fixed part and the
// names changed by one group commit (r=0), or replaces everything (r=1). A file always
// starts by a complete snapshot: it is created only by writing a temp file, syncing it and
// renaming it over the old one (compaction), never by appending to nothing.
//
// Reading tells a torn tail from damage. An append is acknowledged only after it was
// synced, so a record cut short, zero-filled or failing its checksum at the very end is the
// one append a crash interrupted: it was never acknowledged and is dropped. A bad record
// followed by any intact one is damage to acknowledged state: the whole file is refused
// (the caller moves it aside and the replica recovers from its peers).
import { QuorumkitError, crc32 } from '@quorumkit/shared-storage';
import type { ReplicaState, StateDelta } from '../core/index.js';

export const LOG_MAGIC = new TextEncoder().encode('RRSQLOG1');
const HEADER_BYTES = 8;
/** Every payload starts with these bytes: cheap to look for when scanning past damage. */
const PAYLOAD_START = new TextEncoder().encode('{"r":');

/** The log cannot be read back as acknowledged (damage before its tail, or not a log). */
export class LogDamagedError extends QuorumkitError {
  constructor(message: string) {
    super('ECORRUPT', message);
  }
}

interface Payload {
  r: 0 | 1;
  h: { incarnation: string; boot: number; fence: number; ready: boolean; cluster: string; blank: boolean; floor: string };
  n: Array<[string, string]>;
}

export function encodeRecord(delta: StateDelta): Uint8Array {
  const h = delta.header;
  const doc: Payload = {
    r: delta.reset ? 1 : 0,
    h: { incarnation: h.incarnation, boot: h.boot, fence: h.fence, ready: h.ready, cluster: h.cluster, blank: h.blank, floor: h.floor.toString() },
    n: delta.names.map(([k, v]) => [k, v.toString()]),
  };
  const payload = new TextEncoder().encode(JSON.stringify(doc));
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length, true);
  out.set(payload, HEADER_BYTES);
  view.setUint32(4, recordCrc(out, 0, payload.length), true);
  return out;
}

/** A new file: the magic and one full snapshot record. */
export function encodeSnapshotFile(state: ReplicaState): Uint8Array {
  const { values, ...header } = state;
  const rec = encodeRecord({ reset: true, header, names: [...values] });
  const out = new Uint8Array(LOG_MAGIC.length + rec.length);
  out.set(LOG_MAGIC, 0);
  out.set(rec, LOG_MAGIC.length);
  return out;
}

export function isLogFile(bytes: Uint8Array): boolean {
  return bytes.length >= LOG_MAGIC.length && LOG_MAGIC.every((b, i) => bytes[i] === b);
}

export interface ParsedLog {
  state: ReplicaState;
  /** Bytes dropped at the tail (an interrupted append), 0 when the file ended cleanly. */
  tornBytes: number;
}

/** Replay a log file. LogDamagedError when acknowledged state cannot be read back. */
export function parseLog(bytes: Uint8Array): ParsedLog {
  if (!isLogFile(bytes)) throw new LogDamagedError('not an rrseq log (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let state: ReplicaState | undefined;
  let off = LOG_MAGIC.length;
  while (off < bytes.length) {
    const len = bytes.length - off >= HEADER_BYTES ? view.getUint32(off, true) : -1;
    const end = off + HEADER_BYTES + len;
    const intact = len >= 0 && end <= bytes.length && view.getUint32(off + 4, true) === recordCrc(bytes, off, len);
    if (!intact) {
      if (state === undefined) throw new LogDamagedError(`the snapshot record at byte ${off} is damaged`);
      const next = findIntactRecord(bytes, view, off + 1);
      if (next !== undefined) throw new LogDamagedError(`record at byte ${off} is damaged and an intact record follows at byte ${next}`);
      return { state, tornBytes: bytes.length - off };
    }
    state = applyPayload(state, decodePayload(bytes.subarray(off + HEADER_BYTES, end), off));
    off = end;
  }
  if (state === undefined) throw new LogDamagedError('the log holds no snapshot record');
  return { state, tornBytes: 0 };
}

function recordCrc(bytes: Uint8Array, off: number, len: number): number {
  return crc32(bytes.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len), crc32(bytes.subarray(off, off + 4)));
}

function findIntactRecord(bytes: Uint8Array, view: DataView, from: number): number | undefined {
  for (let p = from; p + HEADER_BYTES + PAYLOAD_START.length <= bytes.length; p++) {
    if (!PAYLOAD_START.every((b, i) => bytes[p + HEADER_BYTES + i] === b)) continue;
    const len = view.getUint32(p, true);
    if (p + HEADER_BYTES + len <= bytes.length && view.getUint32(p + 4, true) === recordCrc(bytes, p, len)) return p;
  }
  return undefined;
}

function decodePayload(b: Uint8Array, at: number): Payload {
  let doc: Payload;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b)) as Payload;
  } catch (e) {
    throw new LogDamagedError(`record at byte ${at} passes its checksum but is not JSON: ${String(e)}`);
  }
  const h = doc?.h;
  if ((doc.r !== 0 && doc.r !== 1) || typeof h !== 'object' || h === null || typeof h.incarnation !== 'string' || !Number.isSafeInteger(h.boot) || !Number.isSafeInteger(h.fence) || typeof h.cluster !== 'string' || typeof h.floor !== 'string' || !Array.isArray(doc.n)) {
    throw new LogDamagedError(`record at byte ${at} is malformed`);
  }
  return doc;
}

function applyPayload(prev: ReplicaState | undefined, p: Payload): ReplicaState {
  if (prev === undefined && p.r !== 1) throw new LogDamagedError('the log does not start with a snapshot record');
  const values = p.r === 1 || prev === undefined ? new Map<string, bigint>() : prev.values;
  try {
    for (const [k, v] of p.n) values.set(String(k), BigInt(v));
    return { incarnation: p.h.incarnation, boot: p.h.boot, fence: p.h.fence, ready: p.h.ready === true, cluster: p.h.cluster, blank: p.h.blank === true, floor: BigInt(p.h.floor), values };
  } catch (e) {
    throw new LogDamagedError(`a record holds a value that is not an integer: ${String(e)}`);
  }
}
