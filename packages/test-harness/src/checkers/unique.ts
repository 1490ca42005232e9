import { recordTortureStat } from '../tortureStats.js';
export interface UniqueIncreasingResult {
  ok: boolean;
  total: number;
  /** Values handed out more than once (across all streams), each listed once. */
  duplicates: bigint[];
  /** One message per place where a stream did not strictly increase. */
  nonIncreasing: string[];
}

/**
 * For ID generators (rrseq): every stream (one client's IDs in the order it received them)
 * must strictly increase, and no value may appear twice anywhere.
 */
export function checkUniqueIncreasing(streams: Record<string, bigint[]>, opts: { maxMessages?: number } = {}): UniqueIncreasingResult {
  const max = opts.maxMessages ?? 100;
  const seen = new Set<bigint>();
  const dup = new Set<bigint>();
  const nonIncreasing: string[] = [];
  let total = 0;
  let hidden = 0;
  for (const name of Object.keys(streams).sort()) {
    const ids = streams[name]!;
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i]!;
      total++;
      if (seen.has(v)) dup.add(v);
      else seen.add(v);
      if (i > 0 && v <= ids[i - 1]!) {
        if (nonIncreasing.length < max) nonIncreasing.push(`stream ${name}: ${v} at index ${i} is not greater than ${ids[i - 1]!} before it`);
        else hidden++;
      }
    }
  }
  if (hidden > 0) nonIncreasing.push(`... and ${hidden} more`);
  const duplicates = [...dup].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ok = duplicates.length === 0 && nonIncreasing.length === 0;
  recordTortureStat({ kind: 'history', name: 'unique-increasing', ops: total, violations: ok ? 0 : 1 });
  return { ok, total, duplicates, nonIncreasing };
}
