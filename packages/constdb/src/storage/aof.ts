// Append-only file of this node's own ops. Frame: u32 length | u32 CRC32 | op bytes, where
// op bytes = u64 seq | key | delta (see codec). The length's top bit marks an op of a unit
// (EXEC) that more ops follow; a unit whose last op is missing is not replayed. A torn tail (crash mid-append) is detected
// by length/CRC and cut off at load. After each snapshot the file restarts empty: the
// snapshot records the last own seq it covers, and replay skips ops at or below it.
import { openSync, writeSync, fdatasyncSync, fdatasync, closeSync, readFileSync, ftruncateSync, existsSync, renameSync, rmSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { QuorumkitError } from '@quorumkit/shared-storage';
import { MORE_BIT, scanAof, type AofOp } from './aofScan.js';

export type { AofOp } from './aofScan.js';

export type AppendFsync = 'always' | 'everysec' | 'no';

export class AofError extends QuorumkitError {
  constructor(message: string) {
    super('EAOF', message);
  }
}

export class Aof {
  private fd: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  bytes = 0;
  lastFsyncMs = 0;
  /** every fdatasync of appended ops, with its duration in seconds (metrics) */
  onFsync: ((seconds: number) => void) | undefined;

  constructor(readonly path: string, readonly fsync: AppendFsync) {
    this.fd = openSync(path, 'a');
    if (fsync === 'everysec') {
      this.timer = setInterval(() => this.syncAsync(), 1000);
      this.timer.unref();
    }
  }

  append(op: Buffer, more = false): void {
    const head = Buffer.allocUnsafe(8);
    head.writeUInt32LE((op.length | (more ? MORE_BIT : 0)) >>> 0, 0);
    head.writeUInt32LE(crc32(op), 4);
    this.pending.push(head, op);
    this.pendingBytes += 8 + op.length;
    if (this.fsync !== 'always' && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.writePending());
    }
  }

  /** Writes buffered ops to the file (page cache). */
  writePending(): void {
    this.scheduled = false;
    if (this.pendingBytes === 0) return;
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    this.bytes += buf.length;
    this.dirty = true;
  }

  /** appendfsync always: called before replies leave, one fdatasync for the whole batch. */
  syncNow(): void {
    this.writePending();
    if (this.dirty) {
      const t0 = process.hrtime.bigint();
      fdatasyncSync(this.fd);
      this.onFsync?.(Number(process.hrtime.bigint() - t0) / 1e9);
      this.dirty = false;
      this.lastFsyncMs = Date.now();
    }
  }

  get needsSyncBeforeReply(): boolean {
    return this.fsync === 'always' && this.pendingBytes > 0;
  }

  private syncAsync(): void {
    this.writePending();
    if (!this.dirty) return;
    this.dirty = false;
    const t0 = process.hrtime.bigint();
    fdatasync(this.fd, () => {
      this.onFsync?.(Number(process.hrtime.bigint() - t0) / 1e9);
      this.lastFsyncMs = Date.now();
    });
  }

  /**
   * Starts a new file when a snapshot begins: the old one (kept as .old) is deleted once
   * the snapshot that covers it is durable. Load replays .old then the current file.
   */
  rotate(): void {
    this.writePending();
    if (this.fsync !== 'no') fdatasyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.path, `${this.path}.old`);
    this.fd = openSync(this.path, 'a');
    this.bytes = 0;
  }

  dropOld(): void {
    rmSync(`${this.path}.old`, { force: true });
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.writePending();
    if (this.fsync !== 'no') fdatasyncSync(this.fd);
    closeSync(this.fd);
  }
}

/** Ops of the rotated-out file (if a snapshot was interrupted) and then the current one. */
export type OnCut = (path: string, keptBytes: number, fileBytes: number) => void;

/** Bytes in the middle of the AOF are damaged: start-up stops (nothing is cut). */
export class AofCorruptError extends QuorumkitError {
  constructor(readonly path: string, readonly at: number, readonly fileBytes: number) {
    super('EAOFCORRUPT', `AOF ${path} is corrupt at byte ${at} of ${fileBytes} and intact ops follow (not a torn tail): refusing to start. ` +
      `Inspect it with constdb-check-aof ${path}; constdb-check-aof --fix ${path} cuts it at byte ${at} (the ops after are lost), or restore the file`);
  }
}

export function readAofs(path: string, onCut?: OnCut): AofOp[] {
  return [...readAof(`${path}.old`, onCut), ...readAof(path, onCut)];
}

/**
 * Reads every intact op of an AOF. A torn tail (a crash mid-append: nothing intact after the
 * damage, or a unit whose last op is missing) is cut off the file; damage with intact ops
 * after it throws AofCorruptError and leaves the file as it is.
 */
export function readAof(path: string, onCut?: OnCut): AofOp[] {
  if (!existsSync(path)) return [];
  const buf = readFileSync(path);
  const scan = scanAof(buf);
  if (scan.intactAfter !== undefined) throw new AofCorruptError(path, scan.damageAt!, buf.length);
  if (scan.goodBytes < buf.length) {
    onCut?.(path, scan.goodBytes, buf.length);
    truncateFile(path, scan.goodBytes);
  }
  return scan.ops;
}

export function truncateFile(path: string, bytes: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, bytes);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
