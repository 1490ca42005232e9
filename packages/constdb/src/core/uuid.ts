// 64-bit write ids: uuid = (ms << 22) | seq. Strictly increasing per node even when the
// wall clock goes back (seq carries into the ms part), and pushed past every uuid this
// node has observed so causally later writes always compare greater (LWW follows causality).
export const SEQ_BITS = 22n;

export class UuidClock {
  private last = 0n;
  /** the last ms read and its uuid base: commands of one batch share one clock reading, so
   * the bigint conversion and shift are done once per batch, not once per write */
  private baseMs = -1;
  private base = 0n;

  next(nowMs: number): bigint {
    const ms = Math.max(0, Math.floor(nowMs));
    if (ms !== this.baseMs) {
      this.baseMs = ms;
      this.base = BigInt(ms) << SEQ_BITS;
    }
    let u = this.base;
    if (u <= this.last) u = this.last + 1n;
    this.last = u;
    return u;
  }

  observe(u: bigint): void {
    if (u > this.last) this.last = u;
  }

  get current(): bigint {
    return this.last;
  }
}

export function uuidMs(u: bigint): number {
  return Number(u >> SEQ_BITS);
}

/** Total order of concurrent writes: uuid first, node id breaks ties. */
export function dotGreater(u1: bigint, n1: number, u2: bigint, n2: number): boolean {
  return u1 > u2 || (u1 === u2 && n1 > n2);
}
