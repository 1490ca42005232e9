// instancelog<i>.log: the seed's "generate ..." and "commit ..." lines with integer ms
// timestamps. Each processor that writes lines opens its own O_APPEND descriptor and writes
// whole lines in one write(2), so lines from two processors never interleave, and a line is
// in the file (the page cache survives a killed process) before any message depending on it.
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { COMMIT_RE } from '../core/check.js';
import type { Entry, LogLine } from '../core/types.js';

export function instanceLogPath(logDir: string, id: number): string {
  return join(logDir, `instancelog${id}.log`);
}

export function formatLine(l: LogLine, atMs: number): string {
  return `${l.kind} Instance[${l.key}] in seq ${l.slot} at ${atMs}\n`;
}

/**
 * What this node committed before a restart: the contiguous commit prefix of its log. A torn
 * last line (killed mid-write) is cut off so new lines start on a fresh line.
 */
export function recoverCommitted(path: string): Entry[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lastNl = text.lastIndexOf('\n');
  if (lastNl + 1 < text.length) {
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, Buffer.byteLength(text.slice(0, lastNl + 1)));
    closeSync(fd);
  }
  const committed: Entry[] = [];
  for (const line of text.slice(0, lastNl + 1).split('\n')) {
    const m = COMMIT_RE.exec(line);
    if (!m) continue;
    const slot = Number(m[2]);
    if (slot !== committed.length) continue;
    committed.push({ slot, round: -1, key: m[1]! });
  }
  return committed;
}

export class InstanceLogWriter {
  private readonly fd: number;
  linesWritten = 0;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
  }

  write(lines: LogLine[], atMs: number): void {
    if (lines.length === 0) return;
    let text = '';
    for (const l of lines) text += formatLine(l, atMs);
    writeSync(this.fd, text);
    this.linesWritten += lines.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}
