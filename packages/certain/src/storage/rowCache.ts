// Hot rows of the data store in memory (issue 21: the card service read every card of a batch
// from LevelDB): the last applied value of a key, or that it is absent, LRU by bytes. The data
// store updates it when an apply's batch is written and drops it whole on a GetAll install, so
// it always says what the store holds. A read that raced a write of its entity is not cached
// (it may have seen the store before that write): per entity, writes in flight and a
// generation count tell the read whether it may fill the cache.

/** Per-row bookkeeping added to the key and value bytes. */
const ROW_OVERHEAD_BYTES = 64;

interface Row {
  value: Uint8Array | undefined;
  bytes: number;
}

export class RowCache {
  private readonly rows = new Map<string, Row>();
  private bytes = 0;
  private readonly writing = new Map<bigint, number>();
  private readonly gens = new Map<bigint, number>();
  private allGen = 0;
  readonly stats = { hits: 0, misses: 0 };

  constructor(readonly bytesMax: number) {}

  get size(): number {
    return this.rows.size;
  }

  /** The cached row: { value } (undefined value: known absent), or undefined when not cached. */
  get(key: string): Row | undefined {
    const r = this.rows.get(key);
    if (!r) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    // most recently used last (Map order)
    this.rows.delete(key);
    this.rows.set(key, r);
    return r;
  }

  /** Before reading the store: a ticket that says whether the result may be cached. */
  ticket(entityId: bigint): number {
    return (this.writing.get(entityId) ?? 0) > 0 ? -1 : this.gen(entityId);
  }

  /** After reading the store: cache the row if no write of the entity overlapped the read. */
  fill(entityId: bigint, ticket: number, key: string, value: Uint8Array | undefined): void {
    if (ticket >= 0 && ticket === this.gen(entityId)) this.set(key, value);
  }

  /** A write of the entity starts (reads meanwhile are not cached). */
  beginWrite(entityId: bigint): void {
    this.writing.set(entityId, (this.writing.get(entityId) ?? 0) + 1);
    this.gens.set(entityId, (this.gens.get(entityId) ?? 0) + 1);
  }

  endWrite(entityId: bigint): void {
    const n = (this.writing.get(entityId) ?? 1) - 1;
    if (n > 0) this.writing.set(entityId, n);
    else this.writing.delete(entityId);
    this.gens.set(entityId, (this.gens.get(entityId) ?? 0) + 1);
  }

  /** The store now holds `value` (undefined: deleted) at key. */
  set(key: string, value: Uint8Array | undefined): void {
    if (this.bytesMax <= 0) return;
    this.delete(key);
    const bytes = key.length + (value?.byteLength ?? 0) + ROW_OVERHEAD_BYTES;
    if (bytes > this.bytesMax / 8) return; // one huge row would flush everything else
    this.rows.set(key, { value, bytes });
    this.bytes += bytes;
    while (this.bytes > this.bytesMax) {
      const [k] = this.rows.keys();
      this.delete(k!);
    }
  }

  delete(key: string): void {
    const r = this.rows.get(key);
    if (!r) return;
    this.rows.delete(key);
    this.bytes -= r.bytes;
  }

  /** Forget everything (a GetAll replaced an entity's rows); reads in flight are not cached. */
  clear(): void {
    this.rows.clear();
    this.bytes = 0;
    this.allGen++;
  }

  private gen(entityId: bigint): number {
    return (this.gens.get(entityId) ?? 0) + this.allGen * 1_000_000_007;
  }
}
