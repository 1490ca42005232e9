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
  lost: Array<[string, string]>;
}

export class SeqCeiling {
  ceiling = 0n;
  lost: LostRange[] = [];
  /** the restart skipped seqs (recovered < start): peers need full syncs, not the AOF tail */
  jumped = false;
  /** the file was unreadable (corrupt): numbering restarted from the time base, which is safe */
  unreadable = '';

  /** `exact`: own ops are fsynced before they leave (appendonly yes + appendfsync always). */
  constructor(readonly dir: string, readonly exact: boolean) {}

  get path(): string {
    return join(this.dir, SEQ_FILE);
  }

  /** At start-up, after the snapshot and AOF are loaded: the own seq to continue from. */
  open(recovered: bigint, nowMs = Date.now()): bigint {
    const saved = this.read();
    const floor = saved ? saved.ceiling : timeBase(nowMs);
    this.lost = saved ? saved.lost : [];
    let start = recovered;
    if (floor > recovered) {
      // the new life's first position is floor + 1 (no op has it): a peer at `floor` may hold
      // the old life's op `floor`, a peer at floor + 1 is past the lost range
      start = floor + 1n;
      this.lost.push([recovered, floor]);
      if (this.lost.length > LOST_RANGES_MAX) this.lost.splice(0, this.lost.length - LOST_RANGES_MAX);
      this.jumped = true;
    }
    this.ceiling = this.exact ? start : start + SEQ_BLOCK;
    this.write();
    return start;
  }

  /** Before own op `seq` exists anywhere: reserve the next block durably if it is past the ceiling. */
  reserve(seq: bigint): void {
    if (this.exact || seq <= this.ceiling) return;
    this.ceiling = seq + SEQ_BLOCK - 1n;
    this.write();
  }

  /** Clean shutdown, everything up to `ownSeq` durable: the next start needs no jump. */
  closeAt(ownSeq: bigint): void {
    this.ceiling = ownSeq;
    this.write();
  }

  private read(): { ceiling: bigint; lost: LostRange[] } | undefined {
    let raw: Buffer;
    try {
      raw = readFileSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const body = JSON.parse(Buffer.from(unframeFile(raw, this.path)).toString('utf8')) as SeqFile;
      return { ceiling: BigInt(body.ceiling), lost: body.lost.map(([lo, hi]) => [BigInt(lo), BigInt(hi)] as const) };
    } catch (err) {
      this.unreadable = (err as Error).message;
      return undefined;
    }
  }

  private write(): void {
    const body: SeqFile = { ceiling: String(this.ceiling), lost: this.lost.map(([lo, hi]) => [String(lo), String(hi)]) };
    writeFileAtomicSync(this.path, Buffer.from(JSON.stringify(body)));
  }
}
