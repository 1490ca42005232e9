// The client end of a GRPCLease stream (pb.RRLease) to one server: opened on first use,
// reopened after it broke, requests matched to replies by id. Every request is bounded by
// its own deadline and the caller's signal; a request that gave up may still be granted by
// the server (its range is then a gap, never handed out). A server without the service
// (the original) answers UNIMPLEMENTED: `unsupported` then tells the caller to use GRPCNextID.
import * as grpc from '@grpc/grpc-js';
import { CancelledError, DeadlineError, RemoteError, UnavailableError } from '@quorumkit/shared-transport';

interface LeaseReply {
  id: string;
  fromId: string;
  toId: string;
  error: string;
}

interface Pending {
  resolve: (r: { fromId: string; toId: string }) => void;
  reject: (e: Error) => void;
  cleanup: () => void;
}

type LeaseCall = grpc.ClientDuplexStream<{ id: string; name: string; rangeSize: string }, LeaseReply>;

export class LeaseStream {
  private call: LeaseCall | undefined;
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  /** The server has no GRPCLease (UNIMPLEMENTED): use GRPCNextID with it. */
  unsupported = false;

  constructor(
    private readonly client: grpc.Client,
    private readonly addr: string,
  ) {}

  request(name: string, size: bigint, deadlineMs: number, signal: AbortSignal): Promise<{ fromId: string; toId: string }> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new CancelledError(`${this.addr}: lease request cancelled`));
        return;
      }
      const call = this.open();
      const id = String(++this.seq);
      const timer = setTimeout(() => settle(new DeadlineError(`${this.addr}: no lease reply within ${deadlineMs} ms`)), deadlineMs);
      const onAbort = (): void => settle(new CancelledError(`${this.addr}: lease request cancelled`));
      const cleanup = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const settle = (e: Error): void => {
        if (!this.pending.delete(id)) return;
        cleanup();
        reject(e);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve, reject, cleanup });
      call.write({ id, name, rangeSize: size.toString() });
    });
  }

  close(): void {
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    this.failAll(new CancelledError(`${this.addr}: client closed`));
  }

  private open(): LeaseCall {
    if (this.call) return this.call;
    const call = (this.client as unknown as { GRPCLease(): LeaseCall }).GRPCLease();
    call.on('data', (r: LeaseReply) => {
      const p = this.pending.get(String(r.id));
      if (!p) return;
      this.pending.delete(String(r.id));
      p.cleanup();
      if (r.error) p.reject(new RemoteError(`${this.addr}: ${r.error}`, grpc.status.OK, /^[A-Z]+/.exec(r.error)?.[0]));
      else p.resolve({ fromId: r.fromId, toId: r.toId });
    });
    call.on('error', (e: grpc.ServiceError) => {
      if (e.code === grpc.status.UNIMPLEMENTED) this.unsupported = true;
      this.broken(call, new UnavailableError(`${this.addr}: lease stream failed: ${e.details || e.message}`, e.code ?? grpc.status.UNKNOWN));
    });
    call.on('end', () => this.broken(call, new UnavailableError(`${this.addr}: lease stream ended by the server`, grpc.status.UNAVAILABLE)));
    this.call = call;
    return call;
  }

  private broken(call: LeaseCall, e: Error): void {
    if (this.call !== call) return;
    this.call = undefined;
    this.failAll(e);
  }

  private failAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      p.cleanup();
      p.reject(e);
    }
  }
}
