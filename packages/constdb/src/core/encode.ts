// RESP2/RESP3 reply encoder into one growable buffer, so a whole batch of replies (every
// command of one read) leaves in a single socket write. take() hands out a view of the bytes
// written since the last take (no copy) and later replies go after it in the same buffer,
// which is replaced, never overwritten, once it fills: the socket may still hold that view.

const CRLF = '\r\n';

/** Room left below which take() starts a fresh buffer instead of appending to this one. */
const SLAB_MIN_ROOM = 2048;

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Values up to this many bytes are copied by a JS loop (no native call). */
const SMALL_COPY = 64;

export class ReplyBuffer {
  private buf: Buffer;
  /** end of the bytes written */
  private len = 0;
  /** start of the bytes not taken yet (everything before belongs to earlier take()s) */
  private start = 0;
  /** 2 or 3 (after HELLO 3) */
  proto = 2;

  constructor(private readonly initialBytes = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Reply bytes written and not taken yet. */
  get pending(): number {
    return this.len - this.start;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    // a new buffer holds the untaken bytes: taken views keep the old one alive, unchanged
    const pending = this.len - this.start;
    let size = Math.max(this.initialBytes, this.buf.length);
    while (size < pending + extra) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, this.start, this.len);
    this.buf = nb;
    this.start = 0;
    this.len = pending;
  }

  private ascii(s: string): void {
    this.ensure(s.length);
    this.len += this.buf.write(s, this.len, 'latin1');
  }

  /**
   * `<prefix><n>\r\n` for a non-negative safe integer, stored byte by byte: the reply headers
   * of every command (bulk lengths, integers) were a string concatenation plus a call into C++
   * (latin1Write) each, the largest encoder cost of a pipelined GET. Room is ensured by the caller.
   */
  private header(prefix: number, n: number): void {
    const buf = this.buf;
    let p = this.len;
    buf[p++] = prefix;
    if (n < 10) buf[p++] = 48 + n;
    else {
      let digits = 1;
      for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
      for (let i = p + digits - 1; i >= p; i--) {
        buf[i] = 48 + (n % 10);
        n = Math.floor(n / 10);
      }
      p += digits;
    }
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  simple(s: string): void {
    this.ascii('+' + s + CRLF);
  }

  ok(): void {
    this.ensure(5);
    const buf = this.buf;
    const p = this.len;
    buf[p] = 43; // +OK\r\n
    buf[p + 1] = 79;
    buf[p + 2] = 75;
    buf[p + 3] = 13;
    buf[p + 4] = 10;
    this.len = p + 5;
  }

  error(s: string): void {
    this.ascii('-' + s.replace(/[\r\n]/g, ' ') + CRLF);
  }

  int(n: number | bigint): void {
    // counters are bigints: a safe one is written as digits like a number (no string)
    const x = typeof n === 'number' ? n : n >= MIN_SAFE && n <= MAX_SAFE ? Number(n) : Number.NaN;
    if (!Number.isSafeInteger(x)) return this.ascii(':' + n.toString() + CRLF);
    this.ensure(24);
    if (x >= 0) return this.header(58, x);
    this.buf[this.len++] = 58;
    this.header(45, -x);
  }

  bulk(b: Buffer | string): void {
    if (typeof b === 'string') b = Buffer.from(b, 'utf8');
    const n = b.length;
    this.ensure(n + 24);
    this.header(36, n);
    if (n <= SMALL_COPY) {
      // short values: a loop beats the call into C++ that Buffer.copy makes
      const buf = this.buf;
      const p = this.len;
      for (let i = 0; i < n; i++) buf[p + i] = b[i]!;
      this.len = p + n;
    } else this.len += b.copy(this.buf, this.len);
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  /** A bulk whose bytes are a latin1 string (keys, members and fields are held that way). */
  bulkLatin1(s: string): void {
    const n = s.length;
    this.ensure(n + 24);
    this.header(36, n);
    if (n <= SMALL_COPY) {
      const buf = this.buf;
      const p = this.len;
      for (let i = 0; i < n; i++) buf[p + i] = s.charCodeAt(i);
      this.len = p + n;
    } else this.len += this.buf.write(s, this.len, 'latin1');
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  /** A double already formatted as Redis prints it: RESP3 double, bulk string in RESP2. */
  double(text: string): void {
    if (this.proto === 3) this.ascii(',' + text + CRLF);
    else this.ascii('$' + text.length + CRLF + text + CRLF);
  }

  nil(): void {
    if (this.proto === 3) return this.ascii('_\r\n');
    this.ensure(5);
    const buf = this.buf;
    const p = this.len;
    buf[p] = 36; // $-1\r\n
    buf[p + 1] = 45;
    buf[p + 2] = 49;
    buf[p + 3] = 13;
    buf[p + 4] = 10;
    this.len = p + 5;
  }

  nilArray(): void {
    this.ascii(this.proto === 3 ? '_\r\n' : '*-1\r\n');
  }

  arr(n: number): void {
    if (n >= 0 && n <= Number.MAX_SAFE_INTEGER && Number.isInteger(n)) {
      this.ensure(24);
      this.header(42, n);
    } else this.ascii('*' + n + CRLF);
  }

  /** Push frame of n (pub/sub messages): RESP3 push, array in RESP2. */
  push(n: number): void {
    this.ascii((this.proto === 3 ? '>' : '*') + n + CRLF);
  }

  /** Map of n pairs: RESP3 map, or a flat array of 2n in RESP2 (HGETALL's shape). */
  map(n: number): void {
    this.ascii(this.proto === 3 ? '%' + n + CRLF : '*' + 2 * n + CRLF);
  }

  /** Set reply: RESP3 set, array in RESP2. */
  set(n: number): void {
    this.ascii((this.proto === 3 ? '~' : '*') + n + CRLF);
  }

  /** Verbatim text (INFO): RESP3 verbatim string, bulk in RESP2. */
  verbatim(s: string): void {
    if (this.proto === 3) {
      const b = Buffer.from('txt:' + s, 'utf8');
      this.ensure(b.length + 16);
      this.len += this.buf.write('=' + b.length + CRLF, this.len, 'latin1');
      this.len += b.copy(this.buf, this.len);
      this.ascii(CRLF);
    } else this.bulk(s);
  }

  /**
   * Takes the bytes written since the last take: a view, not a copy. They are never written
   * over (later replies go after them, or into a new buffer), so the caller may hand the view
   * to a socket that sends it later.
   */
  take(): Buffer {
    const out = this.buf.subarray(this.start, this.len);
    if (this.buf.length - this.len < SLAB_MIN_ROOM || this.buf.length > 1024 * 1024) {
      // full (or grown by a big reply): the next replies start a fresh buffer of the initial size
      this.buf = Buffer.allocUnsafe(this.initialBytes);
      this.len = 0;
    }
    this.start = this.len;
    return out;
  }
}
