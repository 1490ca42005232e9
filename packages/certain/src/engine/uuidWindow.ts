// The uuids chosen on this replica within the dedup window, in memory, so a fresh request's
// uuid is known fresh without a storage read (issue 21: two LevelDB point reads per request
// before). It is a filter, not the index itself: it holds a 30-bit fingerprint of (entity,
// uuid) per chosen uuid, counted, so "absent" is certain and "present" means "maybe": a hit
// (a retry, or a fingerprint collision, ~n / 2^30) is answered by the stores' indexes as
// before, which also judge the window exactly. Filled at start from the plog's and the data
// store's uuid time indexes, then with every chosen record the engine persists (and the rows
// a GetAll copied). Bounded: entries leave one slack period after the window, and at most
// entriesMax are held; over that the oldest go, and until they would have expired anyway the
// filter is incomplete and every lookup falls back to the stores (counted in stats.fallbacks).
// Pure: time comes in as arguments.

/** A uuid's entry stays this long past the window (the stores' row times are later than ours). */
export const UUID_WINDOW_SLACK_MS = 60_000;

export interface UuidWindowOptions {
  windowMs: number;
  entriesMax: number;
  slackMs?: number;
}

const INITIAL_CAPACITY = 1024;

function lo32(x: bigint): number {
  return Number(BigInt.asUintN(32, x));
}

/** 30-bit fingerprint (a V8 small integer as a Map key: no allocation). */
export function uuidFingerprint(entityId: bigint, uuid: bigint): number {
  let h = Math.imul(lo32(uuid) ^ 0x2545f491, 0x9e3779b1);
  h = Math.imul(h ^ lo32(uuid >> 32n) ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ lo32(entityId) ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ lo32(entityId >> 32n) ^ (h >>> 16), 0x27d4eb2f);
  return (h ^ (h >>> 15)) & 0x3fffffff;
}

export class UuidWindow {
  /** Stores that cannot list their uuids by time (custom Plog / Db): always ask the stores. */
  enabled = true;
  readonly stats = { known: 0, maybe: 0, fallbacks: 0, evicted: 0 };
  private readonly counts = new Map<number, number>();
  // a ring of (fingerprint, time) in the order added: expiry and eviction pop the head
  private fps = new Int32Array(INITIAL_CAPACITY);
  private ats = new Float64Array(INITIAL_CAPACITY);
  private head = 0;
  private len = 0;
  /** Until then entries were evicted that are still inside the window: lookups must read. */
  private incompleteUntilMs = -Infinity;
  private readonly keepMs: number;

  constructor(private readonly opts: UuidWindowOptions) {
    this.keepMs = opts.windowMs + (opts.slackMs ?? UUID_WINDOW_SLACK_MS);
  }

  get size(): number {
    return this.len;
  }

  /** A uuid chosen on the entity at `atMs` (an upper bound of its stores' row times is fine). */
  add(entityId: bigint, uuid: bigint, atMs: number, nowMs: number): void {
    this.expire(nowMs);
    if (this.opts.entriesMax <= 0) {
      // holds nothing: every lookup reads until this uuid would have expired
      this.stats.evicted++;
      this.incompleteUntilMs = Math.max(this.incompleteUntilMs, atMs + this.keepMs);
      return;
    }
    if (this.len >= this.opts.entriesMax) this.pop(true);
    if (this.len === this.fps.length) this.grow();
    const i = (this.head + this.len) % this.fps.length;
    const fp = uuidFingerprint(entityId, uuid);
    this.fps[i] = fp;
    this.ats[i] = atMs;
    this.len++;
    this.counts.set(fp, (this.counts.get(fp) ?? 0) + 1);
  }

  /**
   * True only when the uuid was certainly not chosen here within the window: no read needed.
   * False: maybe (a hit, or the filter is incomplete or disabled): ask the stores.
   */
  knownFresh(entityId: bigint, uuid: bigint, nowMs: number): boolean {
    if (!this.enabled) return false;
    this.expire(nowMs);
    if (nowMs < this.incompleteUntilMs) {
      this.stats.fallbacks++;
      return false;
    }
    if (this.counts.has(uuidFingerprint(entityId, uuid))) {
      this.stats.maybe++;
      return false;
    }
    this.stats.known++;
    return true;
  }

  private expire(nowMs: number): void {
    const cutoff = nowMs - this.keepMs;
    while (this.len > 0 && this.ats[this.head]! < cutoff) this.pop(false);
  }

  private pop(evicted: boolean): void {
    const fp = this.fps[this.head]!;
    if (evicted) {
      this.stats.evicted++;
      const until = this.ats[this.head]! + this.keepMs;
      if (until > this.incompleteUntilMs) this.incompleteUntilMs = until;
    }
    const n = (this.counts.get(fp) ?? 1) - 1;
    if (n > 0) this.counts.set(fp, n);
    else this.counts.delete(fp);
    this.head = (this.head + 1) % this.fps.length;
    this.len--;
  }

  private grow(): void {
    const cap = Math.min(this.fps.length * 2, Math.max(this.opts.entriesMax, INITIAL_CAPACITY));
    const fps = new Int32Array(cap);
    const ats = new Float64Array(cap);
    for (let k = 0; k < this.len; k++) {
      const i = (this.head + k) % this.fps.length;
      fps[k] = this.fps[i]!;
      ats[k] = this.ats[i]!;
    }
    this.fps = fps;
    this.ats = ats;
    this.head = 0;
  }
}
