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
