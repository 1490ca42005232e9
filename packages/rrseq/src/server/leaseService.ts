// The GRPCLease stream (pb.RRLease): many allocations over one long-lived bidi stream, each
// answered as GRPCNextID would be, so an unbuffered client pays a stream message per ID
// instead of a unary call (PERFORMANCE.md: ~15x cheaper). Registered on the server's
// grpc.Server beside pb.RRAPI (the shared server factory takes unary handlers only).
import * as grpc from '@grpc/grpc-js';
import { loadProto } from '@quorumkit/shared-transport';

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

export interface LeaseService {
  /** End every open stream (server shutdown): clients fail over or fall back. */
  closeAll(): void;
}

/**
 * Serve pb.RRLease on `server`. `allocate` is the GRPCNextID handler: it resolves to a
 * range ([0,0) on failure) or rejects with a named error, whose message is sent back.
 */
export function attachLeaseService(
  server: grpc.Server,
  protoPath: string,
  allocate: (req: { name: string; rangeSize: string }) => Promise<{ fromId: string; toId: string }>,
  inFlightMax: number,
  onServed: () => void,
): LeaseService {
  const pb = loadProto(protoPath).pb as unknown as { RRLease: { service: grpc.ServiceDefinition } };
  const open = new Set<grpc.ServerDuplexStream<LeaseRequest, LeaseReply>>();
  server.addService(pb.RRLease.service, {
    GRPCLease: (call: grpc.ServerDuplexStream<LeaseRequest, LeaseReply>) => {
      open.add(call);
      let inFlight = 0;
      let ended = false;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        open.delete(call);
        call.end();
      };
      const send = (r: LeaseReply): void => {
        if (!done && !call.cancelled) call.write(r);
        if (ended && inFlight === 0) finish();
      };
      call.on('data', (req: LeaseRequest) => {
        const id = String(req.id ?? '0');
        // A limit refuses this one request; the stream and the server go on.
        if (inFlight >= inFlightMax) {
          send({ id, fromId: '0', toId: '0', error: `ELEASELIMIT: more than ${inFlightMax} requests in flight on this stream` });
          return;
        }
        inFlight++;
        allocate({ name: req.name, rangeSize: String(req.rangeSize ?? '0') }).then(
          (r) => {
            inFlight--;
            const ok = r.fromId !== '0' || r.toId !== '0';
            if (ok) onServed();
            send({ id, fromId: r.fromId, toId: r.toId, error: ok ? '' : 'ENORANGE: could not allocate a range (no majority reachable, deadline, or a refused request)' });
          },
          (e: unknown) => {
            inFlight--;
            const err = e as { code?: string; message?: string };
            send({ id, fromId: '0', toId: '0', error: `${err.message ?? String(e)}` });
          },
        );
      });
      call.on('end', () => {
        ended = true;
        if (inFlight === 0) finish();
      });
      call.on('cancelled', () => {
        done = true;
        open.delete(call);
      });
      call.on('error', () => {
        done = true;
        open.delete(call);
      });
    },
  });
  return {
    closeAll() {
      for (const call of [...open]) {
        open.delete(call);
        call.end();
      }
    },
  };
}
