// The one writer of the node's three logs (acceptor, instance, values): an O_APPEND
// descriptor that puts whole lines in one write(2). Two ways to write:
// - writeNow: into the page cache (survives a killed process, not a machine crash): the
//   instance and values logs, whose lines are re-learned from the others if lost;
// - appendSynced: group commit: everything queued while one write + fdatasync runs leaves in
//   the next single write + fdatasync; each call resolves only once its text is durable.
//   The acceptor log's records go this way, and the node sends a GATHER / ACK only after
//   its records' promise resolved (persist before send). A write + fdatasync still running
//   after the deadline fails every waiter and every later append (the node must stop).
// replace() swaps the file for new content durably (temp + fdatasync + rename + directory
// fsync): a crash leaves the old file or the new one, never a mix.
import { closeSync, fdatasync, fdatasyncSync, fsyncSync, mkdirSync, openSync, renameSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Characters buffered before a piece of a replacement file is written. */
const REPLACE_PIECE_CHARS = 1 << 20;

export interface LogWriterOptions {
  /** Sync in appendSynced and replace (false only for experiments). Default true. */
  fsync?: boolean;
  /** appendSynced: a write + fdatasync running longer than this fails (default 30 s). */
  syncDeadlineMs?: number;
  /** The fdatasync call (tests inject a disk that never answers). */
  syncFn?: (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => void;
  /** The errors appendSynced fails with (the log's own named errors). */
  errors?: { stalled(deadlineMs: number): Error; failed(cause: unknown): Error };
}

export const LOG_WRITER_DEFAULTS = { syncDeadlineMs: 30_000 };

/** Makes a rename in `dir` durable. */
export function fsyncDirSync(dir: string): void {
  const dfd = openSync(dir, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/**
 * Replaces `path` by what `fill` puts (in bounded pieces), durably: a temp file beside it,
 * fdatasynced, renamed over it, the directory fsynced. Returns what `fill` returned.
 */
export function replaceFileDurably<T>(path: string, fill: (put: (text: string) => void) => T, fsync = true): T {
  const tmp = `${path}.replace`;
  const fd = openSync(tmp, 'w');
  let result: T;
  try {
    let piece = '';
    result = fill((text) => {
      piece += text;
      if (piece.length >= REPLACE_PIECE_CHARS) {
        writeSync(fd, piece);
        piece = '';
      }
    });
    if (piece.length > 0) writeSync(fd, piece);
    if (fsync) fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (fsync) fsyncDirSync(dirname(path));
  return result;
}

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
}

export class LogWriter {
  private fd: number;
  readonly path: string;
  private readonly fsync: boolean;
  private readonly syncDeadlineMs: number;
  private readonly syncFn: NonNullable<LogWriterOptions['syncFn']>;
  private readonly errors: NonNullable<LogWriterOptions['errors']>;
  private queue: string[] = [];
  private waiters: Waiter[] = [];
  private flushing = false;
  /** Set once a flush missed its deadline: every appendSynced fails from then on. */
  stalled: Error | undefined;
  /** fdatasync calls made by appendSynced. */
  syncCount = 0;
  /** When the write + fdatasync now running started (0 when idle). */
  inflightSinceMs = 0;
  /** Slowest write + fdatasync seen. */
  slowestFlushMs = 0;
  /** Called with the duration of every write + fdatasync (metrics). */
  onFlush: ((ms: number) => void) | undefined;

  constructor(path: string, opts: LogWriterOptions = {}) {
    mkdirSync(dirname(path), { recursive: true });
    this.path = path;
    this.fd = openSync(path, 'a');
    this.fsync = opts.fsync ?? true;
    this.syncDeadlineMs = opts.syncDeadlineMs ?? LOG_WRITER_DEFAULTS.syncDeadlineMs;
    this.syncFn = opts.syncFn ?? fdatasync;
    this.errors = opts.errors ?? {
      stalled: (ms) => new Error(`${path}: write + fdatasync still running after ${ms} ms`),
      failed: (cause) => new Error(`${path}: write failed`, { cause }),
    };
  }

  /** Whole lines in one write(2), into the page cache (not synced). */
  writeNow(text: string): void {
    if (text.length > 0) writeSync(this.fd, text);
  }

  /** Resolves once `text` is on disk (write + fdatasync), together with everyone else's. */
  appendSynced(text: string): Promise<void> {
    if (this.stalled) return Promise.reject(this.stalled);
    this.queue.push(text);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (!this.flushing) this.flush();
    });
  }

  /** Appends queued or running (a replace must wait for none). */
  get pending(): { flushing: boolean; queued: number; waiters: number } {
    return { flushing: this.flushing, queued: this.queue.length, waiters: this.waiters.length };
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
      this.stalled = this.errors.stalled(this.syncDeadlineMs);
      for (const w of [...waiters, ...this.waiters.splice(0)]) w.reject(this.stalled);
      this.queue = [];
    }, this.syncDeadlineMs);
    deadline.unref();
    const done = (err: unknown): void => {
      clearTimeout(deadline);
      this.inflightSinceMs = 0;
      const ms = Date.now() - started;
      this.slowestFlushMs = Math.max(this.slowestFlushMs, ms);
      this.onFlush?.(ms);
      if (settled) return;
      settled = true;
      for (const w of waiters) {
        if (err) w.reject(this.errors.failed(err));
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
   * Replaces the file by what `fill` puts (replaceFileDurably) and appends to the new file
   * from then on. Only with no appendSynced pending (its text would go to the old file).
   */
  replace<T>(fill: (put: (text: string) => void) => T): T {
    if (this.stalled) throw this.stalled;
    if (this.flushing || this.queue.length > 0) throw new Error(`${this.path}: replace while appends are pending`);
    const r = replaceFileDurably(this.path, fill, this.fsync);
    this.reopen();
    return r;
  }

  /** The file was replaced (rename): write to the new one from now on. */
  reopen(): void {
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
  }

  close(): void {
    closeSync(this.fd);
  }
}
