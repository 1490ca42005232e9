// Append-only file of this node's own ops. Frame: u32 length | u32 CRC32 | op bytes, where
// op bytes = u64 seq | key | delta (see codec). The length's top bit marks an op of a unit
// (EXEC) that more ops follow; a unit whose last op is missing is not replayed. A torn tail (crash mid-append) is detected
// by length/CRC and cut off at load. After each snapshot the file restarts empty: the
// snapshot records the last own seq it covers, and replay skips ops at or below it.
import { openSync, writeSync, fdatasyncSync, fdatasync, closeSync, readFileSync, ftruncateSync, existsSync, renameSync, rmSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { QuorumkitError } from '@quorumkit/shared-storage';

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
      fdatasyncSync(this.fd);
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
    fdatasync(this.fd, () => {
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

/** Top bit of the length word: more ops of the same unit follow. */
const MORE_BIT = 0x80000000;

export interface AofOp { op: Buffer; more: boolean }

export function readAofs(path: string, onCut?: OnCut): AofOp[] {
  return [...readAof(`${path}.old`, onCut), ...readAof(path, onCut)];
}

/** Reads every intact op of an AOF; cuts a torn or corrupt tail (and a unit it leaves unfinished) off the file. */
export function readAof(path: string, onCut?: OnCut): AofOp[] {
  if (!existsSync(path)) return [];
  const buf = readFileSync(path);
  const ops: AofOp[] = [];
  let off = 0;
  // end of the last complete unit, and how many ops it holds
  let unitEnd = 0;
  let unitOps = 0;
  while (off + 8 <= buf.length) {
    const word = buf.readUInt32LE(off);
    const len = word & ~MORE_BIT;
    const crc = buf.readUInt32LE(off + 4);
    if (off + 8 + len > buf.length) break;
    const op = buf.subarray(off + 8, off + 8 + len);
    if (crc32(op) !== crc) break;
    const more = (word & MORE_BIT) !== 0;
    ops.push({ op, more });
    off += 8 + len;
    if (!more) {
      unitEnd = off;
      unitOps = ops.length;
    }
  }
  ops.length = unitOps;
  off = unitEnd;
  if (off < buf.length) {
    onCut?.(path, off, buf.length);
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, off);
    } finally {
      closeSync(fd);
    }
  }
  return ops;
}
