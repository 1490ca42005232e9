// The callers the engine owes an answer: a writer per entity (resolved when its entry is
// chosen, rejected as a conflict when another value won it), read barriers by id, and callers
// waiting for an entity's in-flight proposal to be decided. Each wait is bounded by a timer.
import { CmdTimeoutError, ConflictError } from '../errors.js';

interface WriteWaiter { entry: bigint; resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
interface ReadWaiter { entityId: bigint; resolve: (upTo: bigint) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }

export class Waiters {
  private readonly writes = new Map<bigint, WriteWaiter>();
  private readonly reads = new Map<number, ReadWaiter>();
  /** Callers waiting for an entity's in-flight proposal to be decided (see whenIdle). */
  private readonly idle = new Map<bigint, (() => void)[]>();
  private nextReadId = 1;

  constructor(private readonly cmdTimeoutMs: number) {}

  hasWrite(entityId: bigint): boolean {
    return this.writes.has(entityId);
  }

  /** Wait for `entry` of the entity to be chosen; `start` proposes it (after registering). */
  write(entityId: bigint, entry: bigint, start: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.writes.delete(entityId);
        reject(new CmdTimeoutError(`write entity ${entityId} entry ${entry}`, this.cmdTimeoutMs));
      }, this.cmdTimeoutMs);
      this.writes.set(entityId, { entry, resolve, reject, timer });
      start();
    });
  }

  /** The entity's entry was chosen: answer its writer (ours won, or a conflict). */
  settleWrite(entityId: bigint, entry: bigint, mine: boolean): void {
    const w = this.writes.get(entityId);
    if (!w || w.entry !== entry) return;
    this.writes.delete(entityId);
    clearTimeout(w.timer);
    if (mine) w.resolve();
    else w.reject(new ConflictError(entityId, entry));
  }

  /** A read barrier: `start` gets its id; resolves with the entry it may read up to. */
  read(entityId: bigint, start: (readId: number) => void): Promise<bigint> {
    const readId = this.nextReadId++;
    return new Promise<bigint>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reads.delete(readId);
        reject(new CmdTimeoutError(`read entity ${entityId}`, this.cmdTimeoutMs));
      }, this.cmdTimeoutMs);
      this.reads.set(readId, { entityId, resolve, reject, timer });
      start(readId);
    });
  }

  readReady(readId: number, upTo: bigint): void {
    const w = this.reads.get(readId);
    if (!w) return;
    this.reads.delete(readId);
    clearTimeout(w.timer);
    w.resolve(upTo);
  }

  /** Resolves when decided() is called for the entity, or after `ms`. */
  whenDecided(entityId: bigint, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      let list = this.idle.get(entityId);
      if (!list) this.idle.set(entityId, (list = []));
      list.push(done);
    });
  }

  /** The entity's in-flight proposal was decided. */
  decided(entityId: bigint): void {
    const list = this.idle.get(entityId);
    if (!list) return;
    this.idle.delete(entityId);
    for (const f of list) f();
  }

  /** Stop: every writer and reader gets `err`, every idle waiter returns. */
  rejectAll(err: () => Error): void {
    for (const w of this.writes.values()) { clearTimeout(w.timer); w.reject(err()); }
    for (const w of this.reads.values()) { clearTimeout(w.timer); w.reject(err()); }
    this.writes.clear();
    this.reads.clear();
    for (const list of this.idle.values()) for (const f of list) f();
    this.idle.clear();
  }
}
