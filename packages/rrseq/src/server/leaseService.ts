// The GRPCLease stream (pb.RRLease): many allocations over one long-lived bidi stream, each
// answered as GRPCNextID would be, so an unbuffered client pays a stream message per ID
// instead of a unary call (PERFORMANCE.md: ~15x cheaper). Served through the shared gRPC
// server's bidi handler support (cancellation, server close and error statuses are its job).

export interface LeaseRequest {
  id: string;
  name: string;
  rangeSize: string;
}

export interface LeaseReply {
  id: string;
  fromId: string;
  toId: string;
  error: string;
}

export const LEASE_DEFAULTS = { leaseInFlightMax: 4_096 } as const;

/** The shape of shared-transport's BidiStreamHandler for this method. */
export type LeaseHandler = (
  requests: AsyncIterable<LeaseRequest>,
  out: { write(r: LeaseReply): Promise<void> },
  ctx: { signal: AbortSignal },
) => Promise<void>;

/**
 * The pb.RRLease GRPCLease handler. `allocate` is the GRPCNextID handler: it resolves to a
 * range ([0,0) on failure) or rejects with a named error, whose message is sent back.
 * A reply counts as in flight until grpc-js has taken it, so a caller that stops reading
 * reaches the limit instead of growing the server's send buffer.
 */
export function leaseHandler(
  allocate: (req: { name: string; rangeSize: string }) => Promise<{ fromId: string; toId: string }>,
  inFlightMax: number,
  onServed: () => void,
): LeaseHandler {
  return async (requests, out, ctx) => {
    let inFlight = 0;
    let drained: (() => void) | undefined;
    const answer = (r: LeaseReply): void => {
      void out.write(r).then(
        () => {
          inFlight--;
          if (inFlight === 0) drained?.();
        },
        () => {
          inFlight--;
          if (inFlight === 0) drained?.();
        },
      );
    };
    for await (const req of requests) {
      const id = String(req.id ?? '0');
      // A limit refuses this one request; the stream and the server go on. Awaiting the
      // refusal stops reading requests until the caller takes replies again.
      if (inFlight >= inFlightMax) {
        await out.write({ id, fromId: '0', toId: '0', error: `ELEASELIMIT: more than ${inFlightMax} requests in flight on this stream` });
        continue;
      }
      inFlight++;
      allocate({ name: req.name, rangeSize: String(req.rangeSize ?? '0') }).then(
        (r) => {
          const ok = r.fromId !== '0' || r.toId !== '0';
          if (ok) onServed();
          answer({ id, fromId: r.fromId, toId: r.toId, error: ok ? '' : 'ENORANGE: could not allocate a range (no majority reachable, deadline, or a refused request)' });
        },
        (e: unknown) => answer({ id, fromId: '0', toId: '0', error: (e as { message?: string }).message ?? String(e) }),
      );
    }
    // The caller half-closed: answer what is in flight, then the call ends with OK. When the
    // call is over (cancelled, server closing) the replies could not be sent: end now.
    if (inFlight > 0 && !ctx.signal.aborted) {
      await new Promise<void>((resolve) => {
        drained = resolve;
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  };
}
