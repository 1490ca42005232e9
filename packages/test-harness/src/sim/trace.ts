/** The tail of a run's trace plus a hash over all of it, so replays can be compared cheaply. */
export class Trace {
  private buf: string[] = [];
  private h = 0x811c9dc5;
  private count = 0;
  constructor(private readonly max: number) {}

  push(line: string): void {
    this.count++;
    let h = this.h;
    for (let i = 0; i < line.length; i++) {
      h ^= line.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    this.h = Math.imul(h ^ 10, 0x01000193) >>> 0;
    this.buf.push(line);
    if (this.buf.length > this.max * 2) this.buf = this.buf.slice(-this.max);
  }

  lines(): string[] {
    return this.buf.length > this.max ? this.buf.slice(-this.max) : this.buf.slice();
  }

  hash(): string {
    return `${this.count}:${(this.h >>> 0).toString(16).padStart(8, '0')}`;
  }
}

/** JSON that survives bigint, Map, Set and bytes; cut to `max` characters. */
export function formatValue(v: unknown, max = 160): string {
  let s: string | undefined;
  try {
    // Fast path: most messages are plain JSON. bigint makes it throw; Map/Set/bytes need care.
    s = JSON.stringify(v);
    if (s !== undefined && (s.includes('{}') || s.includes('"0":'))) s = undefined;
  } catch {
    s = undefined;
  }
  if (s === undefined) {
    try {
      s =
        JSON.stringify(v, (_k, x: unknown) => {
          if (typeof x === 'bigint') return `${x}n`;
          if (x instanceof Map) return Object.fromEntries(x);
          if (x instanceof Set) return [...x];
          if (x instanceof Uint8Array) return `<${x.length} bytes>`;
          return x;
        }) ?? String(v);
    } catch {
      s = String(v); // cycles
    }
  }
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}
