// The GRPCLease stream (pb.RRLease): many allocations over one long-lived bidi stream, each
// answered as GRPCNextID would be, so an unbuffered client pays a share of a stream message
// per ID instead of a unary call (PERFORMANCE.md: ~15x cheaper). A message may carry many
// requests (`more`: the clients of one process share a stream), and replies that are ready
// in the same event-loop turn leave in one message, so a quorum round serving many
// requests costs one message each way, not one per request. Served through the shared gRPC
// server's bidi handler support (cancellation, server close and error statuses are its job).

export interface LeaseRequest {
  id: string;
  name: string;
  rangeSize: string;
  more?: LeaseRequest[];
}

export interface LeaseReply {
  id: string;
  fromId: string;
  toId: string;
  error: string;
  more?: LeaseReply[];
  /** This server reads LeaseRequest.more (set on every reply). */
  batches?: boolean;
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
 * A reply counts as in flight until grpc-js has taken the message carrying it, so a caller
 * that stops reading reaches the limit instead of growing the server's send buffer.
 */
export function leaseHandler(
  allocate: (req: { name: string; rangeSize: string }) => Promise<{ fromId: string; toId: string }>,
  inFlightMax: number,
  onServed: () => void,
): LeaseHandler {
  return async (requests, out, ctx) => {
    let inFlight = 0;
    let drained: (() => void) | undefined;
    let outbox: LeaseReply[] = [];
    let scheduled = false;
    const written = (n: number): void => {
      inFlight -= n;
      if (inFlight === 0) drained?.();
    };
    // Replies completed in one turn (one quorum round serves many) leave together, after
    // every continuation of that turn ran: setImmediate, not a microtask.
    const send = (): void => {
      scheduled = false;
      const batch = outbox;
      outbox = [];
      const n = batch.length;
      if (n === 0) return;
      const first = batch[0]!;
      const msg: LeaseReply = n === 1 ? { ...first, batches: true } : { ...first, more: batch.slice(1), batches: true };
      void out.write(msg).then(
        () => written(n),
        () => written(n),
      );
    };
    const answer = (r: LeaseReply): void => {
      outbox.push(r);
      if (!scheduled) {
        scheduled = true;
        setImmediate(send);
      }
    };
    const one = async (req: LeaseRequest): Promise<void> => {
      const id = String(req.id ?? '0');
      // A limit refuses this one request; the stream and the server go on. Awaiting the
      // refusal stops reading requests until the caller takes replies again.
      if (inFlight >= inFlightMax) {
        await out.write({ id, fromId: '0', toId: '0', error: `ELEASELIMIT: more than ${inFlightMax} requests in flight on this stream`, batches: true });
        return;
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
    };
    for await (const req of requests) {
      await one(req);
      // Carried requests are whole requests; anything they carry themselves is ignored.
      for (const m of req.more ?? []) await one(m);
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
