// Anti-entropy digests: the keyspace is cut into 256 buckets (ranges of SCAN slots) and each
// bucket's digest is the sum (mod 2^32, two independent 32-bit hashes) of its records'
// hashes. A record is hashed over a canonical encoding (every map in sorted order), so
// replicas holding the same records have the same digests whatever order their writes
// arrived in, and a sum lets one key's change be applied without rehashing its bucket.
// Keys are rehashed lazily: a change only marks the key; refresh() catches up in budgets.
import { SCAN_SLOTS, scanSlot, type ScanIndex } from './scanIndex.js';
import type { KeyRec, Elem, Expiry } from './keyrec.js';
import { type Scalar, type Ctrs, scalarFull } from './scalar.js';
import type { ZElem } from './zset.js';
import { type LElem, forEachElem } from './list.js';
import { elemAdds } from './setElem.js';
import { Writer, writeKeyRec } from './codec.js';

export const DIGEST_BUCKETS = 256;
const SLOTS_PER_BUCKET = SCAN_SLOTS / DIGEST_BUCKETS;
export const DIGEST_BYTES = DIGEST_BUCKETS * 8;

export function bucketOf(key: string): number {
  return Math.floor(scanSlot(key) / SLOTS_PER_BUCKET);
}

export function keysOfBucket(index: ScanIndex, bucket: number): string[] {
  return index.keysInSlots(bucket * SLOTS_PER_BUCKET, (bucket + 1) * SLOTS_PER_BUCKET);
}

const cmp = <K extends string | number | bigint>(a: [K, unknown], b: [K, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
function sorted<K extends string | number | bigint, V>(m: Map<K, V>, f: (v: V) => V = (v) => v): Map<K, V> {
  return new Map([...m].sort(cmp).map(([k, v]) => [k, f(v)]));
}
const sortCtrs = (c: Ctrs): Ctrs => sorted(c, (es) => sorted(es));
function sortScalar(x: Scalar): Scalar {
  // compact parts count as the one-entry Maps they stand for
  const s = scalarFull(x);
  const c: Scalar = {};
  if (s.regs) c.regs = sorted(s.regs);
  if (s.cnt) c.cnt = sortCtrs(s.cnt);
  if (s.clr) c.clr = sorted(s.clr);
  if (s.clrCnt) c.clrCnt = sortCtrs(s.clrCnt);
  return c;
}

/** The record with every map in sorted order (for a canonical encoding). */
export function canonicalRec(rec: KeyRec): KeyRec {
  const c: KeyRec = {};
  if (rec.str) c.str = sortScalar(rec.str);
  if (rec.set) c.set = sorted(rec.set, (e: Elem) => (e.rm ? { add: sorted(elemAdds(e)), rm: sorted(e.rm) } : { add: sorted(elemAdds(e)) }));
  if (rec.hash) c.hash = sorted(rec.hash, sortScalar);
  if (rec.list) {
    // every element, live ones included (a keyspace record keeps those in its seq)
    const all = new Map<string, LElem>();
    forEachElem(rec.list, (e) => all.set(e.id, e));
    c.list = { m: sorted(all) };
  }
  if (rec.zset) {
    c.zset = {
      m: sorted(rec.zset.m, (e) => {
        const z: ZElem = { k: e.k, add: sorted(elemAdds(e)), sc: e.sc };
        if (e.rm) z.rm = sorted(e.rm);
        if (e.b) z.b = e.b;
        if (e.inc) z.inc = sorted(e.inc);
        return z;
      }),
    };
  }
  if (rec.exp) {
    const x: Expiry = { e: sorted(rec.exp.e) };
    if (rec.exp.clr) x.clr = sorted(rec.exp.clr);
    c.exp = x;
  }
  return c;
}

const w = new Writer(4096);

/** Two 32-bit hashes (FNV-1a and a multiply-xorshift variant) of key + canonical record. */
export function recordHash(key: string, rec: KeyRec): [number, number] {
  w.len = 0;
  w.latin1(key);
  writeKeyRec(w, canonicalRec(rec));
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9;
  const b = w.buf;
  for (let i = 0; i < w.len; i++) {
    h1 = Math.imul(h1 ^ b[i]!, 0x01000193);
    h2 = Math.imul(h2 ^ b[i]!, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  if (w.buf.length > 1024 * 1024) w.buf = Buffer.allocUnsafe(4096);
  return [h1 >>> 0, h2 >>> 0];
}

/** the second hash keeps 21 bits, so both fit one double exactly (53 bits) */
const H2_SPAN = 2 ** 21;

export class DigestIndex {
  /** key -> its hash as one number (32 bits of h1 above 21 bits of h2: one double per key, not an array) */
  private readonly hashes = new Map<string, number>();
  private dirty = new Set<string>();
  private readonly sums = new Uint32Array(DIGEST_BUCKETS * 2);

  touch(key: string): void {
    this.dirty.add(key);
  }

  clear(): void {
    this.hashes.clear();
    this.dirty.clear();
    this.sums.fill(0);
  }

  get pending(): number {
    return this.dirty.size;
  }

  /** Rehashes up to `budget` changed keys; true when every digest is current. */
  refresh(keys: ReadonlyMap<string, KeyRec>, budget: number): boolean {
    for (const key of this.dirty) {
      if (budget-- <= 0) return false;
      this.dirty.delete(key);
      const b = bucketOf(key) * 2;
      const old = this.hashes.get(key);
      if (old !== undefined) {
        this.sums[b] = this.sums[b]! - Math.floor(old / H2_SPAN);
        this.sums[b + 1] = this.sums[b + 1]! - (old % H2_SPAN);
      }
      const rec = keys.get(key);
      if (!rec) {
        this.hashes.delete(key);
        continue;
      }
      const [h1, h2full] = recordHash(key, rec);
      const h2 = h2full % H2_SPAN;
      this.hashes.set(key, h1 * H2_SPAN + h2);
      this.sums[b] = this.sums[b]! + h1;
      this.sums[b + 1] = this.sums[b + 1]! + h2;
    }
    return true;
  }

  /** Every bucket's digest (call after refresh() returned true). */
  encode(): Buffer {
    const out = Buffer.allocUnsafe(DIGEST_BYTES);
    for (let i = 0; i < this.sums.length; i++) out.writeUInt32LE(this.sums[i]!, i * 4);
    return out;
  }

  /** Buckets whose digest differs from `other` (an encode() of another replica). */
  differing(other: Buffer): number[] {
    if (other.length !== DIGEST_BYTES) throw new RangeError(`digest of ${other.length} bytes, expected ${DIGEST_BYTES}`);
    const out: number[] = [];
    for (let b = 0; b < DIGEST_BUCKETS; b++) {
      if (other.readUInt32LE(b * 8) !== this.sums[b * 2] || other.readUInt32LE(b * 8 + 4) !== this.sums[b * 2 + 1]) out.push(b);
    }
    return out;
  }
}
