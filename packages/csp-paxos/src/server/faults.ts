// Fault schedules for `csp-paxos run`:
//   --kill "2@1500:3000;leader@2s"     SIGKILL node 2 at 1.5 s, restart it at 3 s; kill the leader at 2 s (no restart)
//   --pause "1@1s:2s"                  SIGSTOP node 1 at 1 s, SIGCONT at 2 s
//   --partition "0,1|2,3,4@1s:3s"      nodes in different groups cannot talk from 1 s to 3 s
import { ConfigError, parseDurationMs } from './config.js';

export type Target = number | 'leader';

export type FaultEvent =
  | { atMs: number; kind: 'kill'; target: Target; restartAtMs?: number }
  | { atMs: number; kind: 'pause'; target: Target; resumeAtMs?: number }
  | { atMs: number; kind: 'partition'; groups: number[][]; healAtMs?: number };

function parseWindow(s: string): { atMs: number; endMs?: number } {
  const [a, b] = s.split(':');
  const atMs = parseDurationMs(a ?? '', 'ms');
  const endMs = b === undefined || b === '' ? undefined : parseDurationMs(b, 'ms');
  if (endMs !== undefined && endMs <= atMs) throw new ConfigError(`fault window "${s}" ends before it starts`);
  return { atMs, endMs };
}

function parseTarget(s: string, n: number): Target {
  if (s === 'leader') return 'leader';
  const v = Number(s);
  if (!Number.isInteger(v) || v < 0 || v >= n) throw new ConfigError(`bad fault target "${s}" (a rank 0..${n - 1} or "leader")`);
  return v;
}

/** Times without a unit are milliseconds from the start of the run. */
export function parseFaults(spec: { kill?: string; pause?: string; partition?: string }, n: number): FaultEvent[] {
  const events: FaultEvent[] = [];
  const items = (s: string | undefined): string[] => (s ?? '').split(';').map((x) => x.trim()).filter((x) => x !== '');
  for (const it of items(spec.kill)) {
    const [t, w] = it.split('@');
    if (w === undefined) throw new ConfigError(`bad --kill item "${it}" (want NODE@AT[:RESTART])`);
    const { atMs, endMs } = parseWindow(w);
    events.push({ atMs, kind: 'kill', target: parseTarget(t!, n), restartAtMs: endMs });
  }
  for (const it of items(spec.pause)) {
    const [t, w] = it.split('@');
    if (w === undefined) throw new ConfigError(`bad --pause item "${it}" (want NODE@AT[:RESUME])`);
    const { atMs, endMs } = parseWindow(w);
    events.push({ atMs, kind: 'pause', target: parseTarget(t!, n), resumeAtMs: endMs });
  }
  for (const it of items(spec.partition)) {
    const [g, w] = it.split('@');
    if (w === undefined) throw new ConfigError(`bad --partition item "${it}" (want 0,1|2,3,4@AT[:HEAL])`);
    const groups = g!.split('|').map((part) => part.split(',').map((x) => parseTarget(x.trim(), n)));
    if (groups.some((gr) => gr.some((x) => x === 'leader'))) throw new ConfigError('partition groups take ranks, not "leader"');
    const { atMs, endMs } = parseWindow(w);
    events.push({ atMs, kind: 'partition', groups: groups as number[][], healAtMs: endMs });
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}

/** For each node, the peers it must not talk to under `groups` (nodes in no group are cut off from everyone). */
export function blockedPeers(groups: number[][], n: number): number[][] {
  const groupOf = new Map<number, number>();
  groups.forEach((g, gi) => g.forEach((x) => groupOf.set(x, gi)));
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => j).filter((j) => j !== i && (groupOf.get(i) === undefined || groupOf.get(i) !== groupOf.get(j))),
  );
}
