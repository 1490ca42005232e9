// The client's local stock of IDs: the ranges it was granted, handed out in order.
// Ranges are accepted only above everything seen before, so a client's stream is
// strictly increasing even if a server misbehaved; a range that starts below that is
// proof the cluster re-issued IDs, and push() returns it so the client reports it.

/** A granted range that started below the highest ID this client already held. */
export interface RangeRegression {
  from: bigint;
  to: bigint;
  /** The highest ID held before (exclusive end of what was held). */
  high: bigint;
}

export class RangeBuffer {
  private ranges: Array<{ next: bigint; to: bigint }> = [];
  private high = 0n;
  private stock = 0n;

  /**
   * Add [from, to); the part below the highest ID already held is dropped (never handed
   * out), and if there was such a part the regression is returned.
   */
  push(from: bigint, to: bigint): RangeRegression | undefined {
    const regression = from < this.high ? { from, to, high: this.high } : undefined;
    const start = from > this.high ? from : this.high;
    if (to <= start) return regression;
    this.ranges.push({ next: start, to });
    this.high = to;
    this.stock += to - start;
    return regression;
  }

  take(): bigint | undefined {
    const r = this.ranges[0];
    if (!r) return undefined;
    const id = r.next;
    r.next += 1n;
    this.stock -= 1n;
    if (r.next >= r.to) this.ranges.shift();
    return id;
  }

  /** IDs held and not handed out yet. */
  available(): bigint {
    return this.stock;
  }

  clear(): void {
    this.ranges = [];
    this.stock = 0n;
  }
}

/** The original's rule: a negative buffer size means 0 (no buffering). */
export function clampBufSize(bufSize: number): number {
  if (!Number.isFinite(bufSize) || bufSize < 0) return 0;
  return Math.floor(bufSize);
}

/**
 * Whether a client holding `available` IDs should fetch another range now: when less than
 * (1 - prefetchAt) of a range is left, i.e. the current range is `prefetchAt` consumed.
 * Unbuffered clients (bufSize 0) never prefetch.
 */
export function shouldPrefetch(available: bigint, bufSize: number, prefetchAt: number): boolean {
  if (bufSize <= 0) return false;
  return available < BigInt(prefetchThreshold(bufSize, prefetchAt));
}

/**
 * Fetch when fewer IDs than this are left. At least 1 (refill when empty); with a buffer of
 * 2 or more and prefetchAt < 1 at least 2, so a small buffer (2) fetches ahead of need
 * instead of only once it ran dry.
 */
export function prefetchThreshold(bufSize: number, prefetchAt: number): number {
  const keep = Math.ceil(bufSize * (1 - prefetchAt));
  const floor = bufSize >= 2 && prefetchAt < 1 ? 2 : 1;
  return Math.max(floor, keep);
}
