// The replica's durable state (the seed's "persist file"): an append-only log
// (logFormat.ts). One group commit appends one record holding only what changed (the fixed
// part of the state and the names changed since the previous commit) and syncs it with one
// fdatasync: O(1) per allocation whatever the number of names. While one write is in
// flight, every further change waits for the next one, so one sync covers many ops across
// every name. A failed write fails exactly the ops waiting on it; the next write then
// rewrites the whole file, since a failed append may have left part of a record behind.
//
// Disk stays bounded: once the records appended since the last snapshot outgrow both the
// snapshot and compactBytesMin, the next write is a compaction: the full state into a temp
// file, synced, renamed over the log, directory synced. That costs O(names) but happens
// after Θ(names) bytes of appends, so it is O(1) amortised. The first write after a start
// is a compaction too: it migrates the previous format and drops a torn tail. So is the
// first write after the file was found deleted or replaced under the running server (an
// open handle would go on writing to a file nobody will read again). Whether the path still
// names our file is checked at most every statIntervalMs (a stat per commit cost as much
// as the append): a commit in that window lands in the old inode, and is made durable
// again by the compaction once the check notices; only a crash inside the window loses it,
// which is that replica losing its file, as if its disk were wiped.
import { constants } from 'node:fs';
import { open, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { atomicTempPath, fsyncDirectory, unframeFile } from '@quorumkit/shared-storage';
import type { ReplicaState, StateDelta } from '../core/index.js';
import { encodeRecord, encodeSnapshotFile, isLogFile, parseLog } from './logFormat.js';
import { decodeLegacyState } from './legacyState.js';

export interface LoadResult {
  state?: ReplicaState;
  /** Set when a file existed but could not be used (then the replica recovers from peers). */
  problem?: string;
  /** Bytes of an interrupted (never acknowledged) append dropped from the tail. */
  tornBytes?: number;
}

export async function loadState(path: string): Promise<LoadResult> {
  if (path === '') return {};
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return moveAside(path, `unreadable state file ${path}: ${String(e)}`);
  }
  try {
    if (isLogFile(bytes)) {
      const { state, tornBytes } = parseLog(bytes);
      return tornBytes > 0 ? { state, tornBytes } : { state };
    }
    // The previous format: one framed snapshot rewritten whole (read, then migrated).
    return { state: decodeLegacyState(unframeFile(bytes, path)) };
  } catch (e) {
    return moveAside(path, `${path} is damaged: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Corrupt, unreadable or foreign: unusable, so the replica rebuilds from its peers. The
 * file is moved aside (kept for inspection), never overwritten by the next write.
 */
async function moveAside(path: string, why: string): Promise<LoadResult> {
  const aside = `${path}.corrupt-${Date.now()}`;
  try {
    await rename(path, aside);
    return { problem: `${why} (moved aside to ${aside})` };
  } catch (moveErr) {
    // Refuse to start rather than let the next write destroy the evidence.
    throw new Error(`${why}; could not move it aside to ${aside}: ${String(moveErr)}`, { cause: moveErr });
  }
}

export interface StateFileOptions {
  /** false: no fsync (benchmarks only: a crash may lose acknowledged state). */
  fsync: boolean;
  /** Appended bytes tolerated beyond the last snapshot before compacting (and at least the snapshot's size). */
  compactBytesMin?: number;
  /** Most time between two checks that the path still names the file written to (ms). */
  statIntervalMs?: number;
  /**
   * Called with the seconds each durable write took (only with fsync): 'append' is the
   * O_DSYNC write of one log record, 'snapshot' the fsync of a compacted file plus that of
   * its directory. Operators read it as the persist log's fsync latency.
   */
  onFsync?: (kind: 'append' | 'snapshot', seconds: number) => void;
}

export const STATE_FILE_DEFAULTS = { compactBytesMin: 4 << 20, statIntervalMs: 100 } as const;

/** Where the state comes from: what changed (each write), everything (compactions). */
export interface StateSource {
  takeDelta(): StateDelta;
  snapshot(): ReplicaState;
}

export class StateFile {
  private writing = false;
  private waiting: Array<(ok: boolean) => void> = [];
  private idle: Array<() => void> = [];
  private fh: FileHandle | undefined;
  /** The inode the handle writes to (to notice the path now names another file, or none). */
  private ino = -1;
  private dev = -1;
  /** Size of the file as written by us, and its size right after the last compaction. */
  private fileBytes = 0;
  private snapshotBytes = 0;
  private mustCompact = true;
  private lastHeader = '';
  private checkedAt = -Infinity;
  private closed = false;
  syncCount = 0;
  compactions = 0;
  failures = 0;
  lastError: unknown;

  constructor(
    private readonly path: string,
    private readonly source: StateSource,
    private readonly opts: StateFileOptions,
  ) {}

  /** Durably store the state as it is at or after this call, then call done(ok). */
  persist(done: (ok: boolean) => void): void {
    if (this.path === '' || this.closed) {
      // In memory: nothing to write (the delta is taken only so that it does not pile up).
      if (this.path === '') this.source.takeDelta();
      done(this.path === '');
      return;
    }
    this.waiting.push(done);
    if (!this.writing) void this.writeLoop();
  }

  /** Resolves when no write is in flight or waiting. */
  flush(): Promise<void> {
    if (!this.writing && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Finish pending writes and release the file. Later persists fail. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }

  /** Bytes the file holds now (bounded by compaction). */
  get bytes(): number {
    return this.fileBytes;
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      let ok = true;
      try {
        await this.writeOnce();
      } catch (e) {
        ok = false;
        this.failures += 1;
        this.lastError = e;
        this.mustCompact = true;
      }
      for (const done of batch) done(ok);
    }
    this.writing = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private async writeOnce(): Promise<void> {
    // Taken synchronously, before any await: it covers every change made so far.
    const delta = this.source.takeDelta();
    const header = JSON.stringify(delta.header, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    if (this.mustCompact || delta.reset || !this.fh || !(await this.stillOurs())) {
      await this.compact(this.source.snapshot());
    } else {
      if (delta.names.length === 0 && header === this.lastHeader) return; // nothing new to make durable
      const rec = encodeRecord(delta);
      // With fsync the log is open with O_DSYNC: the write returns once durable, as a write
      // then fdatasync would, in one trip to the thread pool instead of two.
      const t0 = performance.now();
      await this.fh.write(rec);
      if (this.opts.fsync) this.opts.onFsync?.('append', (performance.now() - t0) / 1000);
      this.fileBytes += rec.length;
      this.syncCount += 1;
      const slack = Math.max(this.opts.compactBytesMin ?? STATE_FILE_DEFAULTS.compactBytesMin, this.snapshotBytes);
      if (this.fileBytes - this.snapshotBytes > slack) this.mustCompact = true;
    }
    this.lastHeader = header;
  }

  private async stillOurs(): Promise<boolean> {
    const now = performance.now();
    if (now - this.checkedAt < (this.opts.statIntervalMs ?? STATE_FILE_DEFAULTS.statIntervalMs)) return true;
    this.checkedAt = now;
    const st = await stat(this.path).catch(() => undefined);
    return st !== undefined && st.ino === this.ino && st.dev === this.dev;
  }

  private async compact(state: ReplicaState): Promise<void> {
    const bytes = encodeSnapshotFile(state);
    const tmp = atomicTempPath(this.path);
    let syncMs = 0;
    try {
      const t = await open(tmp, 'w');
      try {
        await t.write(bytes);
        if (this.opts.fsync) {
          const t0 = performance.now();
          await t.sync();
          syncMs += performance.now() - t0;
        }
      } finally {
        await t.close();
      }
      await rename(tmp, this.path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    // Acknowledged only once the rename itself is durable.
    if (this.opts.fsync) {
      const t0 = performance.now();
      await fsyncDirectory(dirname(this.path));
      syncMs += performance.now() - t0;
      this.opts.onFsync?.('snapshot', syncMs / 1000);
    }
    const old = this.fh;
    this.fh = undefined;
    await old?.close().catch(() => undefined);
    this.fh = await open(this.path, this.opts.fsync ? constants.O_WRONLY | constants.O_APPEND | constants.O_DSYNC : 'a');
    const st = await this.fh.stat();
    this.ino = st.ino;
    this.dev = st.dev;
    this.fileBytes = bytes.length;
    this.snapshotBytes = bytes.length;
    this.mustCompact = false;
    this.syncCount += 1;
    this.compactions += 1;
  }
}
