// Own-op sequence numbers are never reused, even across crashes that lose ops.
//
// When own ops can leave the node before they are durable (appendonly no, or appendfsync
// everysec|no), a crash can lose ops some peers already applied. Reusing their seqs would
// make those peers drop different new ops as duplicates. So seqs are reserved in blocks in
// a small fsynced file (constdb.seq) before they are used, and a restart continues above the
// reservation. The skipped range (recovered seq, ceiling] is recorded as "possibly lost" and
// announced to peers: a peer whose position lies inside it holds ops this node lost, and
// owes its state to every replica (see Replicator.onLostOps).
//
// With appendfsync always, ops leave only after their fdatasync, so the recovered seq covers
// every op a peer can hold: no reservation, no jump, and partial resyncs survive restarts.
// A missing file (first start, wiped or foreign data dir) starts at a time-based base far
// above anything an earlier life of the same node id could have issued.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { unframeFile, writeFileAtomicSync } from '@quorumkit/shared-storage';

export const SEQ_FILE = 'constdb.seq';
/** seqs reserved per durable write of the ceiling (one small fsync per ~1M own ops) */
export const SEQ_BLOCK = 1n << 20n;
/** lost ranges remembered (and announced in every handshake); older ones are dropped */
export const LOST_RANGES_MAX = 64;

/** (recovered, ceiling]: seqs a crashed life may have issued and sent, and then lost */
export type LostRange = readonly [bigint, bigint];

/** The start of numbering without a seq file: milliseconds since the epoch times 2^16. */
export function timeBase(nowMs: number): bigint {
  return BigInt(Math.floor(nowMs)) << 16n;
}

export function inLostRange(ranges: readonly LostRange[], seq: bigint): boolean {
  return ranges.some(([lo, hi]) => seq > lo && seq <= hi);
}

/** Handshake form: "lo-hi,lo-hi" or "-". */
export function formatLostRanges(ranges: readonly LostRange[]): string {
  return ranges.length ? ranges.map(([lo, hi]) => `${lo}-${hi}`).join(',') : '-';
}

export function parseLostRanges(s: string): LostRange[] | undefined {
  if (s === '-') return [];
  const out: LostRange[] = [];
  for (const item of s.split(',')) {
    const m = /^(\d{1,20})-(\d{1,20})$/.exec(item);
    if (!m) return undefined;
    out.push([BigInt(m[1]!), BigInt(m[2]!)]);
  }
  return out.length <= LOST_RANGES_MAX ? out : undefined;
}

interface SeqFile {
  ceiling: string;
  /** the counter epoch of the current life (absent in older files) */
  epoch?: string;
  uuidCeiling: string;
  /** [seq lo, seq hi, uuid lo, uuid hi] */
  lost: string[][];
}

/** uuids reserved per durable write: 10 s of the clock (uuid = ms << 22 | seq) */
export const UUID_BLOCK = 10_000n << 22n;

const wallUuid = (nowMs: number): bigint => BigInt(Math.floor(nowMs)) << 22n;
const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);

export class SeqCeiling {
  ceiling = 0n;
  /** own uuids reserved up to here: a lost op's uuid is at most this */
  uuidCeiling = 0n;
  lost: LostRange[] = [];
  /**
   * The uuids of the lost seq ranges (same order). A dot in one of them may exist on some
   * replicas and not on others while replicas claim to have applied past it, so tombstone
   * GC never counts it stable (see Replicator.gc).
   */
  lostUuids: LostRange[] = [];
  /** the restart skipped seqs (recovered < start): peers need full syncs, not the AOF tail */
  jumped = false;
  /** where the clock must continue from: above every uuid an earlier life may have used */
  clockFloor = 0n;
  /**
   * Counter epoch (see core/scalar.ts): counter contributions of a life that may follow a
   * loss of own ops must not share a key with the lost life's. A restart that jumped takes
   * its first seq as the new epoch (seqs are never reused, so neither are epochs); one that
   * recovered everything keeps the saved epoch.
   */
  epoch = 0n;
  /** the file was unreadable (corrupt): numbering restarted from the time base, which is safe */
  unreadable = '';

  /** `exact`: own ops are fsynced before they leave (appendonly yes + appendfsync always). */
  constructor(readonly dir: string, readonly exact: boolean) {}

  get path(): string {
    return join(this.dir, SEQ_FILE);
  }

  /**
   * At start-up, after the snapshot and AOF are loaded: the own seq to continue from.
   * `recoveredClock` is the clock after loading (lost ops have uuids above it).
   */
  open(recovered: bigint, recoveredClock: bigint, nowMs = Date.now()): bigint {
    const saved = this.read();
    const floor = saved ? saved.ceiling : timeBase(nowMs);
    this.lost = saved ? saved.lost : [];
    this.lostUuids = saved ? saved.lostUuids : [];
    this.clockFloor = recoveredClock;
    let start = recovered;
    if (floor > recovered) {
      // the new life's first position is floor + 1 (no op has it): a peer at `floor` may hold
      // the old life's op `floor`, a peer at floor + 1 is past the lost range
      start = floor + 1n;
      // without a file the earlier life's uuids are below the wall clock (a clock that went
      // back across the restart is not covered)
      const uHi = maxBig(recoveredClock, saved ? saved.uuidCeiling : wallUuid(nowMs));
      this.lost.push([recovered, floor]);
      this.lostUuids.push([recoveredClock, uHi]);
      const drop = this.lost.length - LOST_RANGES_MAX;
      if (drop > 0) {
        this.lost.splice(0, drop);
        this.lostUuids.splice(0, drop);
      }
      this.clockFloor = uHi;
      this.jumped = true;
      this.epoch = start;
    } else this.epoch = saved?.epoch ?? 0n;
    this.ceiling = this.exact ? start : start + SEQ_BLOCK;
    this.uuidCeiling = this.exact ? this.clockFloor : maxBig(this.clockFloor, wallUuid(nowMs)) + UUID_BLOCK;
    this.write();
    return start;
  }

  /**
   * Before own op `seq` (made with a uuid <= `clock`) exists anywhere: reserve the next
   * blocks durably if it is past either ceiling.
   */
  reserve(seq: bigint, clock: bigint): void {
    if (this.exact || (seq <= this.ceiling && clock <= this.uuidCeiling)) return;
    this.ceiling = maxBig(this.ceiling, seq + SEQ_BLOCK - 1n);
    this.uuidCeiling = maxBig(clock, wallUuid(Date.now())) + UUID_BLOCK;
    this.write();
  }

  /** A new counter epoch for this life (a rejoin after a forget dropped the node's state). */
  setEpoch(epoch: bigint): void {
    this.epoch = epoch;
    this.write();
  }

  /** Clean shutdown, everything up to `ownSeq` durable: the next start needs no jump. */
  closeAt(ownSeq: bigint): void {
    this.ceiling = ownSeq;
    this.write();
  }

  private read(): { ceiling: bigint; uuidCeiling: bigint; epoch: bigint; lost: LostRange[]; lostUuids: LostRange[] } | undefined {
    let raw: Buffer;
    try {
      raw = readFileSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const body = JSON.parse(Buffer.from(unframeFile(raw, this.path)).toString('utf8')) as SeqFile;
      const n = (i: number) => body.lost.map((r) => BigInt(r[i] ?? '0'));
      const [slo, shi, ulo, uhi] = [n(0), n(1), n(2), n(3)];
      return {
        ceiling: BigInt(body.ceiling),
        uuidCeiling: BigInt(body.uuidCeiling ?? '0'),
        epoch: BigInt(body.epoch ?? '0'),
        lost: slo.map((lo, i) => [lo, shi[i]!] as const),
        lostUuids: ulo.map((lo, i) => [lo, uhi[i]!] as const),
      };
    } catch (err) {
      this.unreadable = (err as Error).message;
      return undefined;
    }
  }

  private write(): void {
    const body: SeqFile = {
      ceiling: String(this.ceiling),
      uuidCeiling: String(this.uuidCeiling),
      epoch: String(this.epoch),
      lost: this.lost.map(([lo, hi], i) => [lo, hi, ...(this.lostUuids[i] ?? [0n, 0n])].map(String)),
    };
    writeFileAtomicSync(this.path, Buffer.from(JSON.stringify(body)));
  }
}
