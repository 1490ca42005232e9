// bench-results/history.json: one entry per `npm run bench` (date, machine summary and the
// headline rows), newest last, capped so it never grows without bound.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const HISTORY_CAP = 50;

export function readHistory(dir) {
  const f = join(dir, 'history.json');
  if (!existsSync(f)) return [];
  const runs = JSON.parse(readFileSync(f, 'utf8'));
  if (!Array.isArray(runs)) throw new Error(`${f} is not a JSON array of runs`);
  return runs;
}

/** Appends one run (keeping the newest HISTORY_CAP) and returns the whole history. */
export function appendHistory(dir, run, cap = HISTORY_CAP) {
  const runs = [...readHistory(dir), run].slice(-cap);
  const f = join(dir, 'history.json');
  writeFileSync(`${f}.tmp`, `${JSON.stringify(runs, null, 2)}\n`);
  renameSync(`${f}.tmp`, f);
  return runs;
}

/** The part of a run the history keeps: what each headline said, not the full JSON. */
export function historyEntry(date, machine, headlines, status) {
  return {
    date,
    machine: machine && { cores: machine.cores, loadAverageAtStart: machine.loadAverageAtStart, loadAverageAtEnd: machine.loadAverageAtEnd, fsyncP50Ms: machine.fsyncProbe?.p50_ms },
    status: status.map((s) => ({ project: s.project, code: s.code, seconds: s.seconds })),
    headlines: headlines.map((h) => ({ system: h.system, workload: h.workload, ours: h.ours, unit: h.unit, anchor: h.anchor, ratio: h.ratio, pass: h.pass })),
  };
}

/**
 * The time span of the run a report is about: from machine.json's date (written when that
 * `npm run bench` started) to the history entry that run appended when it ended (the first
 * entry not older than the start). end is null when no such entry exists.
 */
export function runWindow(machine, history = []) {
  const start = Date.parse(machine?.date ?? '');
  if (!Number.isFinite(start)) return null;
  const ends = history.map((h) => Date.parse(h?.date ?? '')).filter((t) => Number.isFinite(t) && t >= start);
  return { start, end: ends.length ? Math.min(...ends) : null };
}

/** Where a result measured at `date` (ISO) stands against the run's window:
 *  'this run' | 'earlier run' | 'after this run' | 'undated' | 'no run recorded' (no machine.json). */
export function placeInRun(date, window) {
  const t = Date.parse(date ?? '');
  if (!Number.isFinite(t)) return 'undated';
  if (!window) return 'no run recorded';
  if (t < window.start) return 'earlier run';
  if (window.end !== null && t > window.end) return 'after this run';
  return 'this run';
}
