// SimpleBufSeq: the local, single-process baseline the original benchmarks RRSeq against.
// IDs come from an in-memory counter, refilled bufSize at a time; nothing is durable and
// nothing is shared between processes.
import { RangeBuffer, clampBufSize } from '../core/rangeBuffer.js';

export class SimpleBufSeq {
  readonly bufSize: number;
  private readonly buf = new RangeBuffer();
  private nextFree = 1n;
  private closed = false;
  private iterable: AsyncIterable<bigint> | undefined;

  constructor(bufSize: number) {
    this.bufSize = clampBufSize(bufSize);
  }

  next(): Promise<bigint> {
    return Promise.resolve(this.nextSync());
  }

  /** Synchronous next(): 0n once closed. */
  nextSync(): bigint {
    if (this.closed) return 0n;
    let id = this.buf.take();
    if (id === undefined) {
      const size = BigInt(Math.max(1, this.bufSize));
      this.buf.push(this.nextFree, this.nextFree + size);
      this.nextFree += size;
      id = this.buf.take()!;
    }
    return id;
  }

  stream(): AsyncIterable<bigint> {
    this.iterable ??= {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<bigint>> => {
          const id = this.nextSync();
          return id === 0n ? { done: true, value: undefined } : { done: false, value: id };
        },
      }),
    };
    return this.iterable;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
