// The acceptor's durable state as an append-only file of JSON-line records, each line sealed
// with a CRC32. Appends are group-committed: every record queued while one fdatasync runs
// leaves in the next single write + fdatasync. A torn tail (killed mid-write) is cut off on open.
import { closeSync, fdatasync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, write } from 'node:fs';
import { dirname } from 'node:path';
import { crc32, QuorumkitError } from '@quorumkit/shared-storage';
import type { AcceptorRecord } from '../core/types.js';

export class AcceptorLogError extends QuorumkitError {
  constructor(message: string, cause?: unknown) {
    super('EACCEPTORLOG', message, { cause });
  }
}

export interface AcceptorLogOptions {
  /** false only for experiments: ACKs would then not survive a machine crash. */
  fsync?: boolean;
}

function seal(r: AcceptorRecord): string {
  const json = JSON.stringify(r);
  return `${crc32(Buffer.from(json)).toString(16)} ${json}\n`;
}

/** Parses the records of a log file; stops at the first torn or corrupt line. */
export function parseAcceptorLog(text: string): { records: AcceptorRecord[]; goodBytes: number } {
  const records: AcceptorRecord[] = [];
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) break;
    const line = text.slice(pos, nl);
    const sp = line.indexOf(' ');
    const json = line.slice(sp + 1);
    if (sp <= 0 || crc32(Buffer.from(json)).toString(16) !== line.slice(0, sp)) break;
    try {
      records.push(JSON.parse(json) as AcceptorRecord);
    } catch (_e) {
      break;
    }
    pos = nl + 1;
  }
  return { records, goodBytes: Buffer.byteLength(text.slice(0, pos)) };
}

export class AcceptorLog {
  private readonly fd: number;
  private readonly fsync: boolean;
  private queue: string[] = [];
  private waiters: Array<{ resolve(): void; reject(e: unknown): void }> = [];
  private flushing = false;
  syncCount = 0;
  recordCount = 0;
  /** When the write + fdatasync now running started (0 when idle). */
  inflightSinceMs = 0;
  /** Slowest write + fdatasync seen. */
  slowestFlushMs = 0;

  private constructor(fd: number, fsync: boolean) {
    this.fd = fd;
    this.fsync = fsync;
  }

  /** Opens (creating) the log and returns it with the records that survived. */
  static open(path: string, opts: AcceptorLogOptions = {}): { log: AcceptorLog; records: AcceptorRecord[] } {
    mkdirSync(dirname(path), { recursive: true });
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new AcceptorLogError(`cannot read ${path}`, e);
    }
    const { records, goodBytes } = parseAcceptorLog(text);
    const fd = openSync(path, 'a');
    if (fstatSync(fd).size > goodBytes) ftruncateSync(fd, goodBytes);
    return { log: new AcceptorLog(fd, opts.fsync ?? true), records };
  }

  /** Resolves once the records are on disk (fdatasync), together with everyone else's. */
  append(records: AcceptorRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    for (const r of records) this.queue.push(seal(r));
    this.recordCount += records.length;
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.flushing) this.flush();
    });
  }

  private flush(): void {
    if (this.queue.length === 0) {
      this.flushing = false;
      return;
    }
    this.flushing = true;
    const started = Date.now();
    this.inflightSinceMs = started;
    const buf = Buffer.from(this.queue.join(''));
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    const done = (err: unknown): void => {
      this.inflightSinceMs = 0;
      this.slowestFlushMs = Math.max(this.slowestFlushMs, Date.now() - started);
      for (const w of waiters) {
        if (err) w.reject(new AcceptorLogError('acceptor log write failed', err));
        else w.resolve();
      }
      this.flush();
    };
    write(this.fd, buf, 0, buf.length, null, (err) => {
      if (err || !this.fsync) return done(err);
      fdatasync(this.fd, (e2) => {
        this.syncCount++;
        done(e2);
      });
    });
  }

  close(): void {
    closeSync(this.fd);
  }
}
