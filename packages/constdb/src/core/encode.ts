// RESP2/RESP3 reply encoder into one growable buffer, so a whole batch of replies (every
// command of one read) leaves in a single socket write. take() hands out a view of the bytes
// written since the last take (no copy) and later replies go after it in the same buffer,
// which is replaced, never overwritten, once it fills: the socket may still hold that view.

const CRLF = '\r\n';

/** Room left below which take() starts a fresh buffer instead of appending to this one. */
const SLAB_MIN_ROOM = 2048;

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

  simple(s: string): void {
    this.ascii('+' + s + CRLF);
  }

  ok(): void {
    this.ascii('+OK\r\n');
  }

  error(s: string): void {
    this.ascii('-' + s.replace(/[\r\n]/g, ' ') + CRLF);
  }

  int(n: number | bigint): void {
    this.ascii(':' + n.toString() + CRLF);
  }

  bulk(b: Buffer | string): void {
    if (typeof b === 'string') b = Buffer.from(b, 'utf8');
    this.ensure(b.length + 16);
    this.len += this.buf.write('$' + b.length + CRLF, this.len, 'latin1');
    this.len += b.copy(this.buf, this.len);
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  /** A bulk whose bytes are a latin1 string (keys, members and fields are held that way). */
  bulkLatin1(s: string): void {
    this.ensure(s.length + 16);
    this.len += this.buf.write('$' + s.length + CRLF, this.len, 'latin1');
    this.len += this.buf.write(s, this.len, 'latin1');
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  /** A double already formatted as Redis prints it: RESP3 double, bulk string in RESP2. */
  double(text: string): void {
    if (this.proto === 3) this.ascii(',' + text + CRLF);
    else this.ascii('$' + text.length + CRLF + text + CRLF);
  }

  nil(): void {
    this.ascii(this.proto === 3 ? '_\r\n' : '$-1\r\n');
  }

  nilArray(): void {
    this.ascii(this.proto === 3 ? '_\r\n' : '*-1\r\n');
  }

  arr(n: number): void {
    this.ascii('*' + n + CRLF);
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
