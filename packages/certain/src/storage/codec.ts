// Byte encodings of stored records: JSON with bigints as decimal strings and byte strings as
// base64, sealed with a CRC (shared-storage). Peer messages use the binary peerWire.ts.
import { openRecord, sealRecord } from '@quorumkit/shared-storage';
import type { Codec } from '@quorumkit/shared-transport';
import type { EntryRecord, PeerMsg } from '../core/index.js';
import { decodePeerMsg, decodeStoredRecord, encodePeerMsg, encodeStoredRecord, STORED_RECORD_BINARY } from './peerWire.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function replacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return { $b: v.toString() };
  if (v instanceof Uint8Array) return { $u: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  return v;
}

function reviver(_k: string, v: unknown): unknown {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.$b === 'string') return BigInt(o.$b);
    if (typeof o.$u === 'string') return new Uint8Array(Buffer.from(o.$u, 'base64'));
  }
  return v;
}

export function encodeValue(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v, replacer));
}

export function decodeValue<T>(b: Uint8Array): T {
  return JSON.parse(dec.decode(b), reviver) as T;
}

export function sealValue(v: unknown): Uint8Array {
  return sealRecord(encodeValue(v));
}

export function openValue<T>(b: Uint8Array): T {
  return decodeValue<T>(openRecord(b));
}

export interface StoredRecord {
  record: EntryRecord;
  /** ms since epoch when last written (plog expiry) */
  at: number;
}

/** A plog record, sealed (CRC): binary (peerWire.ts) since issue 21. */
export function sealStoredRecord(s: StoredRecord): Uint8Array {
  return sealRecord(encodeStoredRecord(s.record, s.at));
}

/** Reads both the binary records and the JSON ones written before them. */
export function openStoredRecord(b: Uint8Array): StoredRecord {
  const body = openRecord(b);
  return body[0] === STORED_RECORD_BINARY ? decodeStoredRecord(body) : decodeValue<StoredRecord>(body);
}

/** Peer messages over the batching PeerLink: the compact binary frames of peerWire.ts. */
export const peerMsgCodec: Codec<PeerMsg> = {
  encode: encodePeerMsg,
  decode: decodePeerMsg,
};
