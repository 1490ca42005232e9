// RRSeq: a client's stream of IDs from a cluster of RRServers. Ranges come from
// GRPCNextID; the next range is fetched in the background once the current stock is
// `prefetchAt` consumed (double buffering), so next() does not wait on the network in
// steady state. IDs are handed out strictly increasing; after close() next() returns 0n.
import type * as grpc from '@grpc/grpc-js';
import { backoffDelayMs, callUnary, createGrpcClient, sleep, toBigInt } from '@quorumkit/shared-transport';
import { Registry } from 'prom-client';
import { RangeBuffer, clampBufSize, prefetchThreshold } from '../core/rangeBuffer.js';
import { ClientClosedError, InvalidArgumentError, NextAbortedError, NextTimeoutError, RangeRegressionError, RangeUnavailableError } from '../errors.js';
import { clientMetrics, type ClientCounters, type MeteredSeq } from './rrSeqMetrics.js';
import { RR_SEQ_DEFAULTS, type NextOptions, type RRSeqOptions } from './rrSeqOptions.js';
import { rrSeqProtoPath } from '../protoPath.js';
import { acquireLease, type LeaseStream } from './leaseStream.js';
import { RECONNECT_CHANNEL_OPTIONS } from '../server/peerClient.js';
import { RR_SERVER_DEFAULTS } from '../server/serverOptions.js';
import { normalizeAddr } from '../server/wire.js';

export { RR_SEQ_DEFAULTS, type NextOptions, type RRSeqError, type RRSeqOptions } from './rrSeqOptions.js';

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export class RRSeq {
  readonly bufSize: number;
  private readonly opts: Required<Omit<RRSeqOptions, 'onError' | 'registry' | 'tls'>> & Pick<RRSeqOptions, 'onError'>;
  private readonly clients: Array<{ addr: string; client: grpc.Client; lease: LeaseStream; release: () => void }>;
  private readonly buf = new RangeBuffer();
  private waiters: Array<(id: bigint) => void> = [];
  /** ready() callers: called with true after a successful fetch, false on close. */
  private readyWaiters: Array<(ok: boolean) => void> = [];
  private fetching = false;
  private closed = false;
  private target: number;
  private readonly abort = new AbortController();
  private iterable: AsyncIterable<bigint> | undefined;
  private readonly counters: ClientCounters;
  /** IDs handed out (a plain field: next() is the hot path; the metric reads it at scrape time). */
  private served = 0;
  private reported = 0;
  private live: Set<MeteredSeq>;
  /** Fetch the next range when fewer IDs than this remain (0n: never prefetch). */
  private readonly prefetchBelow: bigint;
  /** Current range size: starts at bufSize, doubles (up to rangeSizeMax) while next() outruns the fetches. */
  private rangeSize: number;
  /** The server every client of this name starts with (where their requests are batched). */
  private readonly preferred: number;
  /** When this client left `preferred` after a failure, and how long it waits to try it again. */
  private leftPreferredAt = 0;
  private preferredRetryMs: number;
  /** The last fetch failure, until a fetch succeeds again. */
  lastError: RangeUnavailableError | undefined;

  constructor(
    readonly name: string,
    bufSize: number,
    addrs: string[],
    opts: RRSeqOptions = {},
  ) {
    if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > RR_SERVER_DEFAULTS.nameBytesMax) {
      throw new InvalidArgumentError(`sequence name must be 1..${RR_SERVER_DEFAULTS.nameBytesMax} bytes`);
    }
    if (addrs.length === 0) throw new InvalidArgumentError('at least one server address is needed');
    this.bufSize = clampBufSize(bufSize);
    const limit = RR_SERVER_DEFAULTS.rangeSizeMax;
    if (BigInt(this.bufSize) > limit || BigInt(Math.floor(opts.rangeSizeMax ?? 0)) > limit) {
      throw new InvalidArgumentError(`buffer size ${bufSize} is above the servers' largest range (${limit} IDs): it could never be served`);
    }
    this.opts = { ...RR_SEQ_DEFAULTS, ...stripUndefined(opts) };
    this.preferredRetryMs = this.opts.preferredRetryMs;
    if (!(this.opts.prefetchAt > 0 && this.opts.prefetchAt <= 1)) throw new InvalidArgumentError('prefetchAt must be in (0, 1]');
    this.rangeSize = this.bufSize;
    this.opts.rangeSizeMax = Math.max(this.bufSize, Math.floor(this.opts.rangeSizeMax));
    this.prefetchBelow = this.bufSize > 0 ? BigInt(prefetchThreshold(this.bufSize, this.opts.prefetchAt)) : 0n;
    const protoPath = rrSeqProtoPath();
    // Every client of a name starts with the same server (whatever order its addresses
    // came in), so concurrent allocations of one name meet at one coordinator, which
    // batches them instead of racing them; on failure it moves to the next server.
    const sorted = [...new Set(addrs.map(normalizeAddr))].sort();
    this.clients = sorted.map((addr) => {
      const client = createGrpcClient(protoPath, 'pb.RRAPI', addr, { channelOptions: RECONNECT_CHANNEL_OPTIONS, ...(opts.tls ? { tls: opts.tls } : {}) });
      // The lease stream to this server is shared by every RRSeq of the process with the
      // same TLS settings: the requests of one turn travel in one message.
      const handle = acquireLease(protoPath, addr, RECONNECT_CHANNEL_OPTIONS, opts.tls);
      return { addr, client, lease: handle.lease, release: handle.release };
    });
    this.target = fnv1a(name) % this.clients.length;
    this.preferred = this.target;
    const m = clientMetrics(opts.registry ?? new Registry(), this);
    this.live = m.live;
    this.counters = m.counters;
  }

  /** The seed's constructor: RRSeq.create(name, bufSize, ...addrs). */
  static async create(name: string, bufSize: number, ...addrs: string[]): Promise<RRSeq> {
    const s = new RRSeq(name, bufSize, addrs);
    s.maybeFetch();
    return s;
  }

  /**
   * The next ID (waits for one if none is buffered); 0n once closed. With a signal or a
   * timeout the wait can end in a named error instead; a caller that gave up takes no ID.
   */
  next(opts: NextOptions = {}): Promise<bigint> {
    if (this.closed) return Promise.resolve(0n);
    if (opts.signal?.aborted) return Promise.reject(new NextAbortedError(`sequence ${this.name}: next() aborted`));
    // Earlier callers still waiting go first (FIFO keeps every caller's IDs increasing).
    const id = this.waiters.length === 0 ? this.buf.take() : undefined;
    if (id !== undefined) {
      this.served++;
      if (!this.fetching && this.buf.available() < this.prefetchBelow) this.maybeFetch();
      return Promise.resolve(id);
    }
    if (opts.signal === undefined && opts.timeoutMs === undefined) {
      return new Promise<bigint>((resolve) => {
        this.waiters.push(resolve);
        this.maybeFetch();
      });
    }
    return this.waitBounded<bigint>(this.waiters, 'next()', 'no ID', opts, (id, resolve) => resolve(id));
  }

  /**
   * Resolves once the cluster granted this client a range (at once if IDs are buffered);
   * the IDs stay for next(). Rejects ETIMEDOUT / EABORTED as next() does, ECLOSED once closed.
   */
  ready(opts: NextOptions = {}): Promise<void> {
    const closed = (): ClientClosedError => new ClientClosedError(`sequence ${this.name}: the client is closed`);
    if (this.closed) return Promise.reject(closed());
    if (this.buf.available() > 0n) return Promise.resolve();
    if (opts.signal?.aborted) return Promise.reject(new NextAbortedError(`sequence ${this.name}: ready() aborted`));
    return this.waitBounded<void>(this.readyWaiters, 'ready()', 'no range', opts, (ok, resolve, reject) => (ok ? resolve() : reject(closed())), true);
  }

  /** Queue a waiter on `queue` that gives up on opts.signal / opts.timeoutMs (and leaves the queue). */
  private waitBounded<R, V = R extends void ? boolean : bigint>(
    queue: Array<(v: V) => void>,
    what: string,
    none: string,
    opts: NextOptions,
    settle: (v: V, resolve: (r: R) => void, reject: (e: Error) => void) => void,
    wanted = false,
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const waiter = (v: V): void => {
        cleanup();
        settle(v, resolve, reject);
      };
      const giveUp = (err: Error): void => {
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        cleanup();
        reject(err);
      };
      const onAbort = (): void => giveUp(new NextAbortedError(`sequence ${this.name}: ${what} aborted`));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined) {
        const ms = Math.max(0, opts.timeoutMs);
        timer = setTimeout(() => giveUp(new NextTimeoutError(`sequence ${this.name}: ${none} within ${ms} ms${this.lastError ? ` (${this.lastError.reason})` : ''}`)), ms);
      }
      queue.push(waiter);
      this.maybeFetch(wanted);
    });
  }

  /**
   * A buffered ID if there is one right now (like a non-blocking channel read), else
   * undefined. A poll is demand: with buffer 0 one ID is then kept on the way, so that a
   * caller polling every D ms finds one at each poll (not at every second one).
   */
  tryNext(): bigint | undefined {
    if (this.closed) return undefined;
    const id = this.waiters.length === 0 ? this.buf.take() : undefined;
    if (id !== undefined) this.served++;
    this.maybeFetch(true);
    return id;
  }

  /** The IDs as an async iterable; the same object on every call. Ends after close(). */
  stream(): AsyncIterable<bigint> {
    this.iterable ??= {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<bigint>> => {
          const id = await this.next();
          return id === 0n ? { done: true, value: undefined } : { done: false, value: id };
        },
      }),
    };
    return this.iterable;
  }

  /** @internal IDs handed out since the last metrics scrape. */
  takeServedDelta(): number {
    const d = this.served - this.reported;
    this.reported = this.served;
    return d;
  }

  /** IDs buffered locally and not handed out yet. */
  buffered(): bigint {
    return this.buf.available();
  }

  /** Stop fetching, release waiters with 0n, close connections. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.live.delete(this);
    this.abort.abort();
    for (const w of this.waiters.splice(0)) w(0n);
    for (const w of this.readyWaiters.splice(0)) w(false);
    this.buf.clear();
    // The abort above failed this client's lease requests; the shared stream stays for others.
    for (const c of this.clients) {
      c.release();
      c.client.close();
    }
  }

  private maybeFetch(wanted = false): void {
    if (this.closed || this.fetching) return;
    const need =
      this.waiters.length > 0 ||
      this.readyWaiters.length > 0 ||
      (this.buf.available() === 0n && (this.bufSize > 0 || wanted)) ||
      this.buf.available() < this.prefetchBelow;
    if (!need) return;
    this.fetching = true;
    void this.fetchLoop();
  }

  private async fetchLoop(): Promise<void> {
    let failures = 0;
    try {
      while (!this.closed) {
        // Never fetch fewer IDs than callers are waiting for (they take them all at once).
        const waiting = Math.min(this.waiters.length, this.opts.waitersBatchMax);
        const size = Math.max(this.bufSize > 0 ? this.rangeSize : 1, waiting);
        const got = await this.fetchOnce(BigInt(size));
        if (this.closed) return;
        if (got) {
          failures = 0;
          this.maybeBackToPreferred(got.addr);
          this.lastError = undefined;
          const starved = this.waiters.length > 0;
          const regression = this.buf.push(got.from, got.to);
          if (regression) this.reportRegression(regression.from, regression.to, regression.high, got.addr);
          // Dynamic range size (off unless rangeSizeMax > bufSize): callers had to wait for
          // this range, so ask for twice as many next time; an unhurried fetch halves it back.
          if (this.bufSize > 0) {
            if (starved) this.rangeSize = Math.min(this.opts.rangeSizeMax, this.rangeSize * 2);
            else if (this.waiters.length === 0) this.rangeSize = Math.max(this.bufSize, Math.floor(this.rangeSize / 2));
          }
          this.counters.ranges.inc({ sequence: this.name });
          this.serveWaiters();
          for (const w of this.readyWaiters.splice(0)) w(true);
          const more = this.waiters.length > 0 || this.buf.available() < this.prefetchBelow;
          if (!more) return;
          continue;
        }
        failures += 1;
        if (this.target === this.preferred) this.leftPreferredAt = Date.now();
        this.target = (this.target + 1) % this.clients.length;
        if (failures % this.clients.length === 0) {
          await sleep(backoffDelayMs(failures / this.clients.length, { baseMs: this.opts.backoffBaseMs, maxMs: this.opts.backoffMaxMs }), this.abort.signal).catch(() => undefined);
        }
      }
    } finally {
      this.fetching = false;
      // Something may have been asked for while the last fetch was finishing.
      if (!this.closed && this.waiters.length > 0) this.maybeFetch();
    }
  }

  /**
   * After a failure moved this client off the server every client of its name starts with,
   * go back to it once in a while: clients left scattered over several servers would each
   * start their own rounds for one name (more rounds, conflicts) instead of sharing one.
   * The wait doubles each time the preferred server fails again (up to 60 s), so a server
   * that is down costs one failed fetch per wait, not one per fetch.
   */
  private maybeBackToPreferred(servedBy: string): void {
    if (this.target === this.preferred) {
      if (servedBy === this.clients[this.preferred]!.addr) this.preferredRetryMs = this.opts.preferredRetryMs;
      return;
    }
    if (Date.now() - this.leftPreferredAt < this.preferredRetryMs) return;
    this.target = this.preferred;
    this.preferredRetryMs = Math.min(60_000, this.preferredRetryMs * 2);
  }

  private reportRegression(from: bigint, to: bigint, high: bigint, addr: string): void {
    const reason = `${addr} granted [${from},${to}) but this client already held IDs up to ${high - 1n}: the cluster issued IDs twice (did a majority of servers lose their disks?); only IDs above ${high - 1n} are handed out`;
    const err = new RangeRegressionError(`sequence ${this.name}: range regression: ${reason}`, reason);
    this.counters.regressions.inc({ sequence: this.name });
    this.opts.onError?.(err);
  }

  private async fetchOnce(size: bigint): Promise<{ from: bigint; to: bigint; addr: string } | undefined> {
    const c = this.clients[this.target]!;
    let reason: string;
    try {
      const r = await this.callNextId(c, size);
      const from = toBigInt(r.fromId);
      const to = toBigInt(r.toId);
      if (from > 0n && to > from) return { from, to, addr: c.addr };
      reason = `${c.addr} could not allocate a range (no majority of servers reachable, or deadline exceeded)`;
    } catch (e) {
      reason = `${c.addr}: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (this.closed) return undefined;
    const err = new RangeUnavailableError(`sequence ${this.name}: no range: ${reason}`, reason);
    this.lastError = err;
    this.counters.failures.inc({ sequence: this.name });
    this.opts.onError?.(err);
    return undefined;
  }

  private async callNextId(c: (typeof this.clients)[number], size: bigint): Promise<{ fromId: string; toId: string }> {
    if (this.opts.stream && !c.lease.unsupported) {
      try {
        return await c.lease.request(this.name, size, this.opts.callDeadlineMs, this.abort.signal);
      } catch (e) {
        if (!c.lease.unsupported) throw e;
        // An original server: ask it the original way, now and from then on.
      }
    }
    return callUnary<unknown, { fromId: string; toId: string }>(
      c.client,
      'GRPCNextID',
      { name: this.name, rangeSize: size.toString() },
      { deadlineMs: this.opts.callDeadlineMs, signal: this.abort.signal },
    );
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      const id = this.buf.take();
      if (id === undefined) return;
      this.served++;
      this.waiters.shift()!(id);
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
