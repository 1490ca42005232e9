// An array kept sorted by a total order, with free room at both ends: pushing before the
// first or after the last element (LPUSH/RPUSH, ZPOPMIN/ZPOPMAX) is O(1) amortized, a
// position anywhere is found by binary search, and a middle insert or removal moves only
// the shorter side (with plain loops: Array.prototype.copyWithin takes V8's generic path,
// ~10x slower per element, which made a ZADD that moves a member of a 100k-member sorted set
// cost ~170 us of CPU). Lists order their elements by position id, sorted sets by (score, member).
export class SortedSeq<T> {
  private a: Array<T | undefined>;
  private head: number;
  private tail: number;

  constructor(private readonly cmp: (x: T, y: T) => number, cap = 8) {
    this.a = new Array<T | undefined>(cap * 2);
    this.head = cap;
    this.tail = cap;
  }

  get length(): number {
    return this.tail - this.head;
  }

  at(i: number): T {
    return this.a[this.head + i]!;
  }

  first(): T | undefined {
    return this.tail > this.head ? this.a[this.head] : undefined;
  }

  last(): T | undefined {
    return this.tail > this.head ? this.a[this.tail - 1] : undefined;
  }

  /** Index of the first element not less than x (length when every element is less). */
  lowerBound(x: T): number {
    let lo = this.head;
    let hi = this.tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(this.a[mid]!, x) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }

  /** Index of the first element for which `pred` holds (pred must be false then true along the order). */
  firstWhere(pred: (x: T) => boolean): number {
    let lo = this.head;
    let hi = this.tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pred(this.a[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    return lo - this.head;
  }

  /** Index of x (compared equal by cmp), or -1. */
  indexOf(x: T): number {
    const i = this.lowerBound(x);
    return i < this.length && this.cmp(this.at(i), x) === 0 ? i : -1;
  }

  insert(x: T): number {
    const n = this.length;
    if (n === 0 || this.cmp(x, this.a[this.tail - 1]!) > 0) return this.insertAt(n, x);
    if (this.cmp(x, this.a[this.head]!) < 0) return this.insertAt(0, x);
    return this.insertAt(this.lowerBound(x), x);
  }

  /** Removes the element comparing equal to x; false when absent. */
  remove(x: T): boolean {
    const i = this.indexOf(x);
    if (i < 0) return false;
    this.removeAt(i);
    return true;
  }

  removeAt(i: number): T {
    const p = this.head + i;
    const x = this.a[p]!;
    const a = this.a;
    if (i < this.length / 2) {
      for (let j = p; j > this.head; j--) a[j] = a[j - 1];
      a[this.head++] = undefined;
    } else {
      for (let j = p; j < this.tail - 1; j++) a[j] = a[j + 1];
      a[--this.tail] = undefined;
    }
    if (this.head === this.tail) this.head = this.tail = this.a.length >>> 1;
    return x;
  }

  private insertAt(i: number, x: T): number {
    const n = this.length;
    if (i === 0 && this.head > 0) {
      this.a[--this.head] = x;
      return 0;
    }
    if (i === n && this.tail < this.a.length) {
      this.a[this.tail++] = x;
      return i;
    }
    if (this.head === 0 || this.tail === this.a.length) this.regrow(n + 1);
    const a = this.a;
    if (i < n / 2) {
      for (let j = this.head - 1; j < this.head + i - 1; j++) a[j] = a[j + 1];
      this.head--;
    } else {
      for (let j = this.tail; j > this.head + i; j--) a[j] = a[j - 1];
      this.tail++;
    }
    this.a[this.head + i] = x;
    return i;
  }

  /** Re-centres the elements in an array with room for `need` plus as much again on both sides. */
  private regrow(need: number): void {
    const n = this.length;
    const cap = Math.max(8, need * 2);
    const b = new Array<T | undefined>(cap * 2);
    const h = (cap * 2 - n) >>> 1;
    for (let i = 0; i < n; i++) b[h + i] = this.a[this.head + i];
    this.a = b;
    this.head = h;
    this.tail = h + n;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.tail; i++) yield this.a[i]!;
  }
}
