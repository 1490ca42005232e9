// A stand-in pb.RRLease server for the client-side lease tests: it grants consecutive
// ranges of the size asked for and records what it reads.
import { createGrpcServer, uint64ToWire, type GrpcServer } from '@quorumkit/shared-transport';
import { rrSeqProtoPath } from '../../src/index.js';

export type LeaseReq = { id: string; name: string; rangeSize: string; more?: LeaseReq[] };
type LeaseReply = { id: string; fromId: string; toId: string; error: string; more?: LeaseReply[]; batches?: boolean };

export interface FakeLeaseServer {
  server: GrpcServer;
  /** Every GRPCLease message as read (a batch keeps its `more`). */
  messages: LeaseReq[];
  /** Every request served, batches flattened (`more` dropped). */
  items: LeaseReq[];
}

/**
 * `batches`: the server says it reads LeaseRequest.more (otherwise it answers only the
 * first request of a message, as an older server would). A request larger than `largest`
 * is refused with ENORANGE.
 */
export async function fakeLeaseServer(opts: { batches?: boolean; largest?: number } = {}): Promise<FakeLeaseServer> {
  const batches = opts.batches ?? true;
  const largest = BigInt(Math.min(opts.largest ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  const messages: LeaseReq[] = [];
  const items: LeaseReq[] = [];
  let next = 1n;
  const server = await createGrpcServer({
    protoPath: rrSeqProtoPath(),
    service: 'pb.RRLease',
    address: '127.0.0.1:0',
    handlers: {},
    bidiStreamHandlers: {
      GRPCLease: async (requests: AsyncIterable<LeaseReq>, out: { write(r: LeaseReply): Promise<void> }) => {
        for await (const req of requests) {
          messages.push(req);
          const replies = (batches ? [req, ...(req.more ?? [])] : [req]).map((r): LeaseReply => {
            items.push({ id: r.id, name: r.name, rangeSize: String(r.rangeSize) });
            const size = BigInt(r.rangeSize);
            if (size > largest) return { id: r.id, fromId: '0', toId: '0', error: 'ENORANGE: too large' };
            const from = next;
            next += size;
            return { id: r.id, fromId: uint64ToWire(from), toId: uint64ToWire(next), error: '' };
          });
          await out.write(batches ? { ...replies[0]!, more: replies.slice(1), batches: true } : replies[0]!);
        }
      },
    },
  });
  return { server, messages, items };
}
