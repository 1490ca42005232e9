import * as zlib from 'node:zlib';

// CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), the same checksum as zlib/gzip/PNG.
// Node >= 20.15 ships zlib.crc32 (native, fast); the table is the fallback and the reference
// the tests compare the native one against.

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Table-driven CRC-32; `previous` continues a running checksum. */
export function crc32Table(bytes: Uint8Array, previous = 0): number {
  const t = crcTable();
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native: ((data: Uint8Array, value?: number) => number) | undefined =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? zlib.crc32 : undefined;

/** CRC-32 of `bytes` as an unsigned 32-bit number; `previous` continues a running checksum. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return native ? native(bytes, previous) >>> 0 : crc32Table(bytes, previous);
}

/** True when the native zlib.crc32 is in use (Node >= 20.15). */
export const crc32IsNative: boolean = native !== undefined;
