/**
 * Simulated durable storage. Writes are visible at once to the node that made them, but only
 * what was covered by a `sync()` survives a crash (optionally a seeded prefix of the unsynced
 * writes survives too, like a write-ahead log cut mid-flush).
 */
export interface SimStorage {
  get<T = unknown>(key: string): T | undefined;
  put(key: string, value: unknown): void;
  del(key: string): void;
  keys(prefix?: string): string[];
  sync(): void;
}

type PendingOp = { key: string; value: unknown; del: boolean };

export class MemorySimStorage implements SimStorage {
  private durable = new Map<string, unknown>();
  private view = new Map<string, unknown>();
  private pending: PendingOp[] = [];
  syncs = 0;

  get<T = unknown>(key: string): T | undefined {
    const v = this.view.get(key);
    return v === undefined ? undefined : (structuredClone(v) as T);
  }

  put(key: string, value: unknown): void {
    const v = structuredClone(value);
    this.view.set(key, v);
    this.pending.push({ key, value: v, del: false });
  }

  del(key: string): void {
    this.view.delete(key);
    this.pending.push({ key, value: undefined, del: true });
  }

  keys(prefix = ''): string[] {
    const out: string[] = [];
    for (const k of this.view.keys()) if (k.startsWith(prefix)) out.push(k);
    return out.sort();
  }

  sync(): void {
    for (const op of this.pending) apply(this.durable, op);
    this.pending = [];
    this.syncs++;
  }

  /** Number of writes not yet synced. */
  get unsynced(): number {
    return this.pending.length;
  }

  /**
   * Crash: drop unsynced writes. `keepPrefix` writes (in order) survive anyway.
   * Returns how many writes were lost.
   */
  crash(keepPrefix = 0): number {
    const keep = Math.min(keepPrefix, this.pending.length);
    for (let i = 0; i < keep; i++) apply(this.durable, this.pending[i]!);
    const lost = this.pending.length - keep;
    this.pending = [];
    this.view = new Map(this.durable);
    return lost;
  }

  /** Lose everything, synced or not (a wiped disk). */
  wipe(): void {
    this.durable.clear();
    this.view.clear();
    this.pending = [];
  }
}

function apply(m: Map<string, unknown>, op: PendingOp): void {
  if (op.del) m.delete(op.key);
  else m.set(op.key, op.value);
}
