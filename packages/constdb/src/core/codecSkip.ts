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
  if (f > 127) throw new CodecError('bad record flags');
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
  if (f & 32) {
    for (let i = r.varint(); i > 0; i--) {
      r.skip(8);
      skipLen(r);
      r.skip(8);
      r.varint();
      const ef = r.u8();
      if (ef > 7) throw new CodecError('bad list element flags');
      if (ef & 1) skipLen(r);
      r.skip(8);
      r.varint();
      if (ef & 2) {
        r.skip(8);
        r.varint();
      }
    }
  }
  if (f & 64) {
    for (let i = r.varint(); i > 0; i--) {
      skipLen(r);
      skipVV(r);
      const ef = r.u8();
      if (ef > 7) throw new CodecError('bad zset member flags');
      if (ef & 1) skipVV(r);
      if (ef & 2) {
        r.skip(8);
        r.varint();
        r.skip(8);
      }
      if (ef & 4) {
        for (let j = r.varint(); j > 0; j--) {
          r.varint();
          r.skip(8);
          r.varint();
          r.skip(16);
        }
      }
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
