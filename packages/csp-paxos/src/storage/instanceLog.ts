// instancelog<i>.log: the seed's "generate ..." and "commit ..." lines with integer ms
// timestamps. Each processor that writes lines opens its own O_APPEND descriptor and writes
// whole lines in one write(2), so lines from two processors never interleave, and a line is
// in the file (the page cache survives a killed process) before any message depending on it.
// The log is truncated with the learner's memory: lines of slots below the base
// (snapshot<i>.json, logBase.ts) are dropped, so its size and its replay on start stay bounded.
import { join } from 'node:path';
import { COMMIT_RE, GENERATE_RE } from '../core/check.js';
import type { Entry, LogLine } from '../core/types.js';
import { forEachLineCutTorn, rewriteLines } from './lineFile.js';
import { LogWriter } from './logWriter.js';

export function instanceLogPath(logDir: string, id: number): string {
  return join(logDir, `instancelog${id}.log`);
}

export function formatLine(l: LogLine, atMs: number): string {
  return `${l.kind} Instance[${l.key}] in seq ${l.slot} at ${atMs}\n`;
}

/**
 * What this node committed before a restart: the contiguous commit prefix from `base` on, read
 * in chunks (a log of any size). Lines below the base (a crash between writing the base and
 * cutting the log) are skipped. A torn last line (killed mid-write) is cut off so new lines
 * start on a fresh line.
 */
export function recoverCommitted(path: string, base = 0): Entry[] {
  const committed: Entry[] = [];
  forEachLineCutTorn(path, (line) => {
    const m = COMMIT_RE.exec(line);
    if (m && Number(m[2]) === base + committed.length) committed.push({ slot: base + committed.length, round: -1, key: m[1]! });
  });
  return committed;
}

/** Drops the lines of slots below `base` (durably); writers must reopen afterwards. */
export function truncateInstanceLog(path: string, base: number): number {
  return rewriteLines(path, (line) => {
    const m = COMMIT_RE.exec(line) ?? GENERATE_RE.exec(line);
    return m !== null && Number(m[2]) >= base;
  });
}

/** One processor's descriptor on the instance log (lines go to the page cache, unsynced). */
export class InstanceLogWriter extends LogWriter {
  linesWritten = 0;

  write(lines: LogLine[], atMs: number): void {
    if (lines.length === 0) return;
    let text = '';
    for (const l of lines) text += formatLine(l, atMs);
    this.writeNow(text);
    this.linesWritten += lines.length;
  }
}
