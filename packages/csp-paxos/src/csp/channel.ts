// A small CSP toolkit: bounded channels whose writes never block and whose reads always
// carry a deadline, plus `select` over several channels. Each processor of a node is one
// async loop reading its channels; processors share no mutable state, only messages.
import { QuorumkitError } from '@quorumkit/shared-storage';

export class ChannelClosedError extends QuorumkitError {
  constructor(name: string) {
    super('ECHANCLOSED', `channel ${name} is closed`);
  }
}

export const CHANNEL_DEFAULTS = { capacityMax: 4096 } as const;

/** What a non-blocking send did: delivered, or refused because the channel was full or closed. */
export type SendResult = 'ok' | 'full' | 'closed';

/** `recv` result: a value, or `timeout` when the deadline passed first. */
export type RecvResult<T> = { ok: true; value: T } | { ok: false; reason: 'timeout' | 'closed' };

interface Waiter<T> {
  deliver(value: T): void;
  fail(reason: 'closed'): void;
}

export class Channel<T> {
  readonly name: string;
  readonly capacityMax: number;
  private readonly buf: T[] = [];
  private head = 0;
  private waiters: Waiter<T>[] = [];
  private closedFlag = false;
  /** How many sends were refused because the channel was full. */
  fullCount = 0;

  constructor(name: string, capacityMax: number = CHANNEL_DEFAULTS.capacityMax) {
    if (!Number.isInteger(capacityMax) || capacityMax < 1) throw new RangeError(`capacityMax must be a positive integer, got ${capacityMax}`);
    this.name = name;
    this.capacityMax = capacityMax;
  }

  get length(): number {
    return this.buf.length - this.head;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Never blocks: hands the value to a waiting reader, buffers it, or reports `full`. */
  send(value: T): SendResult {
    if (this.closedFlag) return 'closed';
    const w = this.waiters.shift();
    if (w) {
      w.deliver(value);
      return 'ok';
    }
    if (this.length >= this.capacityMax) {
      this.fullCount++;
      return 'full';
    }
    this.buf.push(value);
    return 'ok';
  }

  /** Takes a buffered value without waiting. */
  tryRecv(): T | undefined {
    if (this.length === 0) return undefined;
    const v = this.buf[this.head] as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.buf.length) {
      this.buf.splice(0, this.head);
      this.head = 0;
    }
    return v;
  }

  /** Takes up to `max` buffered values without waiting. */
  drain(max: number): T[] {
    const out: T[] = [];
    while (out.length < max && this.length > 0) out.push(this.tryRecv() as T);
    return out;
  }

  /** Waits at most `timeoutMs` for a value. */
  recv(opts: { timeoutMs: number }): Promise<RecvResult<T>> {
    const v = this.tryRecv();
    if (v !== undefined || this.length > 0) return Promise.resolve({ ok: true, value: v as T });
    if (this.closedFlag) return Promise.resolve({ ok: false, reason: 'closed' });
    return new Promise((resolve) => {
      const w: Waiter<T> = {
        deliver: (value) => {
          clearTimeout(timer);
          resolve({ ok: true, value });
        },
        fail: (reason) => {
          clearTimeout(timer);
          resolve({ ok: false, reason });
        },
      };
      const timer = setTimeout(() => {
        this.removeWaiter(w);
        resolve({ ok: false, reason: 'timeout' });
      }, Math.max(0, opts.timeoutMs));
      this.waiters.push(w);
    });
  }

  /** Wakes every reader with `closed`; buffered values can still be drained. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.fail('closed');
  }

  /** @internal used by select */
  addWaiter(w: Waiter<T>): void {
    this.waiters.push(w);
  }

  /** @internal used by select */
  removeWaiter(w: Waiter<T>): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
  }
}

export type SelectResult<T> = { ok: true; index: number; value: T } | { ok: false; reason: 'timeout' | 'closed' };

/**
 * Waits for the first value on any of `channels` (at most `timeoutMs`). Buffered values are
 * taken in channel order, so list the most urgent channel first.
 */
export function select<T>(channels: Channel<T>[], opts: { timeoutMs: number }): Promise<SelectResult<T>> {
  for (let i = 0; i < channels.length; i++) {
    const ch = channels[i]!;
    if (ch.length > 0) return Promise.resolve({ ok: true, index: i, value: ch.tryRecv() as T });
  }
  if (channels.every((c) => c.closed)) return Promise.resolve({ ok: false, reason: 'closed' });
  return new Promise((resolve) => {
    let done = false;
    const waiters: Waiter<T>[] = [];
    const finish = (r: SelectResult<T>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      channels.forEach((c, i) => c.removeWaiter(waiters[i]!));
      resolve(r);
    };
    channels.forEach((c, i) => {
      const w: Waiter<T> = {
        deliver: (value) => finish({ ok: true, index: i, value }),
        fail: () => {
          if (channels.every((ch) => ch.closed)) finish({ ok: false, reason: 'closed' });
        },
      };
      waiters.push(w);
      if (!c.closed) c.addWaiter(w);
    });
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout' }), Math.max(0, opts.timeoutMs));
  });
}
