// The acceptor's durable state as an append-only file of JSON-line records, each line sealed
// with a CRC32. Appends are group-committed through the one log writer (logWriter.ts): every
// record queued while one fdatasync runs leaves in the next single write + fdatasync. A torn
// tail (killed mid-write) is cut off on open.
// Opening streams the file in fixed-size chunks (a log of any size restarts: no whole-file
// string, which V8 caps at 512 MiB) and tells a torn tail from a damaged log: a bad record with
// good records after it means acknowledged state was lost, and the node must re-learn it.
import { closeSync, copyFileSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32, QuorumkitError } from '@quorumkit/shared-storage';
import type { AcceptorRecord } from '../core/types.js';
import { forEachLineBytes } from './lineFile.js';
import { LOG_WRITER_DEFAULTS, LogWriter, type LogWriterOptions } from './logWriter.js';

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

/** fsync: false only for experiments (ACKs would then not survive a machine crash). */
export type AcceptorLogOptions = Omit<LogWriterOptions, 'errors'>;

export const ACCEPTOR_LOG_DEFAULTS = { syncDeadlineMs: LOG_WRITER_DEFAULTS.syncDeadlineMs };

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
  private readonly file: LogWriter;
  /** Compactions done (the log was replaced by a snapshot). */
  compactions = 0;
  recordCount = 0;

  private constructor(path: string, opts: AcceptorLogOptions) {
    this.file = new LogWriter(path, {
      ...opts,
      errors: {
        stalled: (ms) => new AcceptorLogStalled(`acceptor log write + fdatasync still running after ${ms} ms (disk stalled): stopping rather than voting on state that may not be durable`),
        failed: (cause) => new AcceptorLogError('acceptor log write failed', cause),
      },
    });
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
    return { log: new AcceptorLog(path, opts), existed, records: scan.records, damaged: scan.damaged };
  }

  /** Set once a flush missed its deadline (AcceptorLogStalled): every append fails from then on. */
  get stalled(): Error | undefined {
    return this.file.stalled;
  }

  get syncCount(): number {
    return this.file.syncCount;
  }

  /** When the write + fdatasync now running started (0 when idle). */
  get inflightSinceMs(): number {
    return this.file.inflightSinceMs;
  }

  /** Slowest write + fdatasync seen. */
  get slowestFlushMs(): number {
    return this.file.slowestFlushMs;
  }

  /** Appends waiting or running (post-mortems). */
  get pending(): { flushing: boolean; queued: number; waiters: number } {
    return this.file.pending;
  }

  /** Called with the duration of every write + fdatasync (the node's fsync histogram). */
  set onFlush(fn: ((ms: number) => void) | undefined) {
    this.file.onFlush = fn;
  }

  /** Resolves once the records are on disk (fdatasync), together with everyone else's. */
  append(records: AcceptorRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    if (this.file.stalled) return Promise.reject(this.file.stalled);
    let text = '';
    for (const r of records) text += seal(r);
    this.recordCount += records.length;
    return this.file.appendSynced(text);
  }

  /**
   * Replaces the log by `snapshot` (the acceptor's whole state after a compaction), durably:
   * a crash at any point leaves either the old log or the new one. Call only with no append
   * waiting (the follower calls it from its own dispatch, after its appends resolved).
   */
  rewrite(snapshot: Iterable<AcceptorRecord>): void {
    const p = this.file.pending;
    if (p.flushing || p.queued > 0) throw new AcceptorLogError('acceptor log rewrite while appends are pending');
    this.file.replace((put) => {
      for (const r of snapshot) put(seal(r));
    });
    this.compactions++;
  }

  close(): void {
    this.file.close();
  }
}
