// values<i>.log beside the instance log: the payload of every committed client value, one JSON
// line `{"s":slot,"d":data}` each, written in the same dispatch as its commit line (the seed's
// instance-log lines carry only the key, and their format is fixed). On start the payloads are
// put back on the committed entries, so every replica keeps the data, not only the keys. It is
// truncated at the same base as the instance log.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Entry, LogLine } from '../core/types.js';
import { forEachLine, rewriteLines } from './lineFile.js';
import { LogWriter } from './logWriter.js';

export function valueLogPath(logDir: string, id: number): string {
  return join(logDir, `values${id}.log`);
}

function parseValueLine(line: string): { s: number; d: string } | undefined {
  try {
    const v = JSON.parse(line) as { s?: unknown; d?: unknown };
    return Number.isSafeInteger(v.s) && typeof v.d === 'string' ? { s: v.s as number, d: v.d } : undefined;
  } catch (_e) {
    // A line cut by a kill: its slot keeps only its key.
    return undefined;
  }
}

/**
 * Puts the payloads recorded in `path` back on `committed` (`committed[i]` is slot `base + i`;
 * a torn last line is ignored).
 */
export function recoverValues(path: string, committed: Entry[], base = 0): number {
  if (!existsSync(path)) return 0;
  let restored = 0;
  forEachLine(path, (line) => {
    const v = parseValueLine(line);
    const e = v && v.s >= base ? committed[v.s - base] : undefined;
    if (e && v) {
      e.data = v.d;
      restored++;
    }
  });
  return restored;
}

/** Drops the payloads of slots below `base` (durably); the writer must reopen afterwards. */
export function truncateValueLog(path: string, base: number): number {
  return rewriteLines(path, (line) => {
    const v = parseValueLine(line);
    return v !== undefined && v.s >= base;
  });
}

/** The values log's descriptor (lines go to the page cache, unsynced). */
export class ValueLogWriter extends LogWriter {
  /** Writes the payloads of the commit lines that carry one (one write(2)). */
  write(lines: LogLine[]): void {
    let text = '';
    for (const l of lines) if (l.kind === 'commit' && l.data !== undefined) text += `${JSON.stringify({ s: l.slot, d: l.data })}\n`;
    this.writeNow(text);
  }
}
