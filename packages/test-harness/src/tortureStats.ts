// `npm run torture` sets QUORUMKIT_TORTURE_STATS to a file; every simulation run and every
// history check appends one JSON line there, so the torture summary can say how many seeds
// and operations were checked and how many violations were found. Outside torture: no-op.
import { appendFileSync } from 'node:fs';

export interface TortureStat { kind: 'sim' | 'history'; name: string; seeds?: number; ops?: number; violations: number }

export function recordTortureStat(stat: TortureStat): void {
  const file = process.env.QUORUMKIT_TORTURE_STATS;
  if (!file) return;
  const line = JSON.stringify({ ...stat, system: process.env.QUORUMKIT_TORTURE_SYSTEM ?? '' });
  try {
    appendFileSync(file, `${line}\n`);
  } catch {
    // stats are best effort: a full disk must not fail the run being measured
  }
}
