// The keyspace's SCAN order: every key sits in one of 65,536 slots chosen by a hash of its
// bytes, and a cursor is a slot number. SCAN walks slots upward and returns whole slots, so
// a key present for the whole scan is returned exactly when the walk passes its slot,
// whatever is added or removed meanwhile (including records dropped by tombstone GC):
// Redis's guarantee. A two-level bitmap finds the next non-empty slot without visiting
// empty ones, so one call costs O(keys returned + 2,048 words), never O(all keys).
export const SCAN_SLOTS = 65536;

/** FNV-1a over the key's latin1 code units, folded to 16 bits. */
export function scanSlot(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return ((h >>> 16) ^ h) & (SCAN_SLOTS - 1);
}

export class ScanIndex {
  private readonly slots = new Map<number, Set<string>>();
  /** bit s set: slot s is non-empty */
  private readonly bits = new Uint32Array(SCAN_SLOTS / 32);

  add(key: string): void {
    const s = scanSlot(key);
    let set = this.slots.get(s);
    if (!set) {
      this.slots.set(s, (set = new Set()));
      this.bits[s >>> 5]! |= 1 << (s & 31);
    }
    set.add(key);
  }

  delete(key: string): void {
    const s = scanSlot(key);
    const set = this.slots.get(s);
    if (!set) return;
    set.delete(key);
    if (set.size === 0) {
      this.slots.delete(s);
      this.bits[s >>> 5]! &= ~(1 << (s & 31));
    }
  }

  /** The first non-empty slot >= `from`, or SCAN_SLOTS if there is none. */
  nextSlot(from: number): number {
    if (from >= SCAN_SLOTS) return SCAN_SLOTS;
    let w = from >>> 5;
    let word = this.bits[w]! & (~0 << (from & 31));
    while (word === 0) {
      if (++w >= this.bits.length) return SCAN_SLOTS;
      word = this.bits[w]!;
    }
    return (w << 5) + (31 - Math.clz32(word & -word));
  }

  /**
   * Keys of whole slots from slot `cursor` on, until at least `count` keys were visited.
   * Returns the keys and the next cursor (0 when the walk is complete).
   */
  scan(cursor: number, count: number): { keys: string[]; next: number } {
    const keys: string[] = [];
    let s = this.nextSlot(cursor);
    while (s < SCAN_SLOTS && keys.length < count) {
      for (const k of this.slots.get(s)!) keys.push(k);
      s = this.nextSlot(s + 1);
    }
    return { keys, next: s >= SCAN_SLOTS ? 0 : s };
  }

  /** Keys of the slots in [from, to). */
  keysInSlots(from: number, to: number): string[] {
    const keys: string[] = [];
    for (let s = this.nextSlot(from); s < to; s = this.nextSlot(s + 1)) for (const k of this.slots.get(s)!) keys.push(k);
    return keys;
  }
}
