// Walks over encoded records without building them (no allocation): a full sync streams
// the snapshot file's bytes cut at record boundaries instead of decoding every record only
// to encode it again, which made garbage (and GC pauses) proportional to the keyspace.
// Mirrors readKeyRec in codec.ts; a record it accepts is one readKeyRec accepts.
import { CodecError, type Reader } from './codec.js';

function skipVV(r: Reader): void {
  for (let i = r.varint(); i > 0; i--) {
    r.varint();
    r.skip(8);
  }
}

function skipLen(r: Reader): void {
  r.skip(r.varint());
}

function skipCtrs(r: Reader, big: boolean): void {
  for (let i = r.varint(); i > 0; i--) {
    r.varint();
    for (let j = r.varint(); j > 0; j--) {
      r.skip(16);
      if (big) skipLen(r);
      else r.skip(8);
    }
  }
}

function skipScalar(r: Reader): void {
  const f = r.u8();
  if (f & 1) {
    for (let i = r.varint(); i > 0; i--) {
      r.varint();
      r.skip(8);
      skipLen(r);
    }
  }
  if (f > 31) throw new CodecError('bad scalar flags');
  const big = (f & 16) !== 0;
  if (f & 2) skipCtrs(r, big);
  if (f & 4) skipVV(r);
  if (f & 8) skipCtrs(r, big);
}

export function skipKeyRec(r: Reader): void {
  const f = r.u8();
  if (f > 31) throw new CodecError('bad record flags');
  if (f & 1) skipScalar(r);
  if (f & 2) {
    for (let i = r.varint(); i > 0; i--) {
      skipLen(r);
      skipVV(r);
      if (r.u8()) skipVV(r);
    }
  }
  if (f & 4) {
    for (let i = r.varint(); i > 0; i--) {
      skipLen(r);
      skipScalar(r);
    }
  }
  if (f & 8) {
    for (let i = r.varint(); i > 0; i--) {
      r.varint();
      r.skip(16);
    }
    if (r.u8()) skipVV(r);
  }
}
