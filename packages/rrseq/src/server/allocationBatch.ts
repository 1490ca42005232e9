// The allocations a server is waiting for, and the hand-over of each event-loop turn's
// requests to the engine together (from any stream or call): the requests of one name
// then share one allocation round, where handing them over one by one would start a
// round for the first alone.
import type { AllocErrorCode } from '../core/index.js';

export interface AllocationResult {
  from: bigint;
  to: bigint;
  error?: AllocErrorCode;
}

export interface AllocationRequest {
  req: number;
  name: string;
  size: bigint;
}

export class AllocationBatch {
  private readonly waiters = new Map<number, (r: AllocationResult) => void>();
  /** Requests of this event-loop turn, handed over together at the next setImmediate. */
  private pending: AllocationRequest[] = [];
  private scheduled = false;
  private nextReq = 1;
  private closed = false;

  /** `submit` receives each turn's requests (never called once closed). */
  constructor(private readonly submit: (reqs: AllocationRequest[]) => void) {}

  /** Wait for a range of `size` IDs of `name`, handed to the engine with this turn's others. */
  request(name: string, size: bigint): Promise<AllocationResult> {
    const req = this.nextReq++;
    return new Promise<AllocationResult>((resolve) => {
      this.waiters.set(req, resolve);
      this.pending.push({ req, name, size });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** The engine finished request `req` (ignored when it was already answered). */
  completed(req: number, from: bigint, to: bigint, error?: AllocErrorCode): void {
    const w = this.waiters.get(req);
    this.waiters.delete(req);
    w?.(error ? { from, to, error } : { from, to });
  }

  /** Answer every waiting request with `error` and take no more to the engine. */
  close(error: AllocErrorCode): void {
    this.closed = true;
    for (const w of this.waiters.values()) w({ from: 0n, to: 0n, error });
    this.waiters.clear();
  }

  private flush(): void {
    this.scheduled = false;
    const reqs = this.pending;
    this.pending = [];
    // Closing answered every waiter already.
    if (this.closed || reqs.length === 0) return;
    this.submit(reqs);
  }
}
