// The acceptor's durable state as an append-only file of JSON-line records, each line sealed
// with a CRC32. Appends are group-committed: every record queued while one fdatasync runs
// leaves in the next single write + fdatasync. A torn tail (killed mid-write) is cut off on open.
// Opening streams the file in fixed-size chunks (a log of any size restarts: no whole-file
// string, which V8 caps at 512 MiB) and tells a torn tail from a damaged log: a bad record with
// good records after it means acknowledged state was lost, and the node must re-learn it.
import { closeSync, copyFileSync, existsSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, renameSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32, QuorumkitError } from '@quorumkit/shared-storage';
import type { AcceptorRecord } from '../core/types.js';
import { forEachLineBytes, fsyncDirSync } from './lineFile.js';

export class AcceptorLogError extends QuorumkitError {
  constructor(message: string, cause?: unknown) {
    super('EACCEPTORLOG', message, { cause });
  }
}

/**
 * A write + fdatasync did not finish within the deadline. The records' fate is unknown, and the
 * acceptor's memory is already ahead of its disk, so the log refuses every later append too:
 * the node must stop (a restart replays what did reach the disk) rather than vote on state it
 * cannot prove.
 */
export class AcceptorLogStalled extends QuorumkitError {
  constructor(message: string) {
    super('EACCEPTORSTALL', message);
  }
}

export interface AcceptorLogOptions {
  /** false only for experiments: ACKs would then not survive a machine crash. */
  fsync?: boolean;
  /** A write + fdatasync still running after this long fails every waiter (default 30 s). */
  syncDeadlineMs?: number;
  /** The fdatasync call (tests inject a disk that never answers). */
  syncFn?: (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => void;
}

export const ACCEPTOR_LOG_DEFAULTS = { syncDeadlineMs: 30_000 };

function seal(r: AcceptorRecord): string {
  const json = JSON.stringify(r);
  return `${crc32(Buffer.from(json)).toString(16)} ${json}\n`;
}

/** Bytes read per chunk when opening. */
export const ACCEPTOR_LOG_READ_CHUNK_BYTES = 1 << 20;

/** One sealed line (without its newline) -> its record, or undefined when it fails the checks. */
function unseal(line: Buffer): AcceptorRecord | undefined {
  const sp = line.indexOf(0x20);
  if (sp <= 0) return undefined;
  const json = line.subarray(sp + 1);
  if (crc32(json).toString(16) !== line.subarray(0, sp).toString('latin1')) return undefined;
  try {
    return JSON.parse(json.toString('utf8')) as AcceptorRecord;
  } catch (_e) {
    return undefined;
  }
}

export interface ScanResult {
  /** Records up to the first bad one. */
  records: number;
  goodBytes: number;
  /** A bad record is followed by at least one good one (not a torn tail). */
  damaged: boolean;
}

/**
 * Streams the sealed lines of `fd` (chunk by chunk, never the whole file at once), calling
 * `onRecord` for each record of the good prefix.
 */
export function scanAcceptorLog(fd: number, onRecord: (r: AcceptorRecord) => void, chunkBytes = ACCEPTOR_LOG_READ_CHUNK_BYTES): ScanResult {
  let goodBytes = 0;
  let records = 0;
  let bad = false;
  let damaged = false;
  forEachLineBytes(
    fd,
    (line) => {
      const rec = unseal(line);
      if (!bad && rec) {
        onRecord(rec);
        records++;
        goodBytes += line.length + 1;
      } else if (!rec) bad = true;
      else damaged = true;
      return !damaged;
    },
    chunkBytes,
  );
  return { records, goodBytes, damaged };
}

/** Parses the records of a log held in memory (tests, tools). */
export function parseAcceptorLog(text: string): { records: AcceptorRecord[]; goodBytes: number; damaged: boolean } {
  const records: AcceptorRecord[] = [];
  const bytes = Buffer.from(text);
  let pos = 0;
  let goodBytes = 0;
  let bad = false;
  let damaged = false;
  for (;;) {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) break;
    const rec = unseal(bytes.subarray(pos, nl));
    if (!bad && rec) {
      records.push(rec);
      goodBytes = nl + 1;
    } else if (!rec) bad = true;
    else damaged = true;
    pos = nl + 1;
  }
  return { records, goodBytes, damaged };
}

export interface OpenedAcceptorLog {
  log: AcceptorLog;
  /** The file was there before this open. */
  existed: boolean;
  records: number;
  damaged: boolean;
}

export class AcceptorLog {
  private fd: number;
  private readonly path: string;
  /** Compactions done (the log was replaced by a snapshot). */
  compactions = 0;
  private readonly fsync: boolean;
  private readonly syncDeadlineMs: number;
  private readonly syncFn: NonNullable<AcceptorLogOptions['syncFn']>;
  /** Set once a flush missed its deadline: every append fails from then on. */
  stalled: AcceptorLogStalled | undefined;
  private queue: string[] = [];
  private waiters: Array<{ resolve(): void; reject(e: unknown): void }> = [];
  private flushing = false;
  syncCount = 0;
  recordCount = 0;
  /** When the write + fdatasync now running started (0 when idle). */
  inflightSinceMs = 0;
  /** Slowest write + fdatasync seen. */
  slowestFlushMs = 0;

  private constructor(fd: number, path: string, opts: AcceptorLogOptions) {
    this.fd = fd;
    this.path = path;
    this.fsync = opts.fsync ?? true;
    this.syncDeadlineMs = opts.syncDeadlineMs ?? ACCEPTOR_LOG_DEFAULTS.syncDeadlineMs;
    this.syncFn = opts.syncFn ?? fdatasync;
  }

  /**
   * Opens (creating) the log, streaming the records that survived into `onRecord`. A torn tail
   * is cut off. A damaged log is copied aside (`acceptor.log.damaged-<ms>`, for a post-mortem),
   * cut to its good prefix and reported; the caller then re-learns the state before voting.
   */
  static open(path: string, onRecord: (r: AcceptorRecord) => void, opts: AcceptorLogOptions = {}): OpenedAcceptorLog {
    mkdirSync(dirname(path), { recursive: true });
    const existed = existsSync(path);
    let fd: number;
    let scan: ScanResult;
    try {
      fd = openSync(path, existed ? 'r+' : 'w+');
      scan = scanAcceptorLog(fd, onRecord);
    } catch (e) {
      throw new AcceptorLogError(`cannot read the acceptor log ${path}: ${(e as Error).message}`, e);
    }
    if (scan.damaged) copyFileSync(path, `${path}.damaged-${Date.now()}`);
    if (fstatSync(fd).size > scan.goodBytes) ftruncateSync(fd, scan.goodBytes);
    closeSync(fd);
    const afd = openSync(path, 'a');
    return { log: new AcceptorLog(afd, path, opts), existed, records: scan.records, damaged: scan.damaged };
  }

  /** Resolves once the records are on disk (fdatasync), together with everyone else's. */
  append(records: AcceptorRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.stalled) return Promise.reject(this.stalled);
    for (const r of records) this.queue.push(seal(r));
    this.recordCount += records.length;
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.flushing) this.flush();
    });
  }

  private flush(): void {
    if (this.queue.length === 0 || this.stalled) {
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
    let settled = false;
    const deadline = setTimeout(() => {
      if (settled) return;
      settled = true;
      this.stalled = new AcceptorLogStalled(`acceptor log write + fdatasync still running after ${this.syncDeadlineMs} ms (disk stalled): stopping rather than voting on state that may not be durable`);
      for (const w of [...waiters, ...this.waiters.splice(0)]) w.reject(this.stalled);
      this.queue = [];
    }, this.syncDeadlineMs);
    deadline.unref();
    const done = (err: unknown): void => {
      clearTimeout(deadline);
      this.inflightSinceMs = 0;
      this.slowestFlushMs = Math.max(this.slowestFlushMs, Date.now() - started);
      if (settled) return;
      settled = true;
      for (const w of waiters) {
        if (err) w.reject(new AcceptorLogError('acceptor log write failed', err));
        else w.resolve();
      }
      this.flush();
    };
    write(this.fd, buf, 0, buf.length, null, (err) => {
      if (err || !this.fsync) return done(err);
      this.syncFn(this.fd, (e2) => {
        this.syncCount++;
        done(e2);
      });
    });
  }

  /**
   * Replaces the log by `snapshot` (the acceptor's whole state after a compaction): written to
   * a temporary file in bounded pieces, synced, renamed over the log, directory synced. A crash
   * at any point leaves either the old log or the new one. Call only with no append waiting
   * (the follower calls it from its own dispatch, after its appends resolved).
   */
  rewrite(snapshot: Iterable<AcceptorRecord>): void {
    if (this.stalled) throw this.stalled;
    if (this.flushing || this.queue.length > 0) throw new AcceptorLogError('acceptor log rewrite while appends are pending');
    const tmp = `${this.path}.compact`;
    const fd = openSync(tmp, 'w');
    try {
      let piece = '';
      for (const r of snapshot) {
        piece += seal(r);
        if (piece.length >= 1 << 20) {
          writeSync(fd, piece);
          piece = '';
        }
      }
      if (piece.length > 0) writeSync(fd, piece);
      if (this.fsync) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    if (this.fsync) fsyncDirSync(dirname(this.path));
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
    this.compactions++;
  }

  close(): void {
    closeSync(this.fd);
  }
}
