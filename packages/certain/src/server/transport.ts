// Peer transport over gRPC: protocol messages ride one long-lived stream per peer
// (peerStream.ts: every message queued in a turn in one frame), or with `peerStream: false` the
// shared batching PeerLink (many per unary call); GetAll pages use the unary CertainPeer
// service. All share one listener per replica, which accepts both kinds of sender.
import {
  PeerLink, peerLinkService, createGrpcServer, createGrpcClient, callUnary, toBigInt, uint64ToWire,
  type GrpcServer, type TlsFiles, type TlsReloader,
} from '@quorumkit/shared-transport';
import type { PeerMsg } from '../core/index.js';
import type { GetAllPageReq, GetAllPageRsp, Route, Transport, TransportFactory, TransportHandlers } from '../engine/transport.js';
import { peerMsgCodec } from '../storage/codec.js';
import { certainProtoPath } from './protoPaths.js';
import { PeerStreamSender, peerStreamHandler, type PeerStreamReceiverStats } from './peerStream.js';

export type { GetAllPageReq, GetAllPageRsp, Route, Transport, TransportHandlers, TransportFactory } from '../engine/transport.js';
export { staticRoute } from '../engine/transport.js';

export interface GrpcTransportOptions {
  acceptorId: number;
  acceptorNum: number;
  route: Route;
  /** Where this replica listens for peers (default: its own route address). */
  listen?: string;
  handlers: TransportHandlers;
  inFlightMax?: number;
  /** TLS for the peer listener and for dialling peers (the node's certificate is its client certificate under mTLS) */
  tls?: TlsFiles | TlsReloader;
  /** send over one stream per peer (default) or, false, over PeerLink's unary batch calls */
  peerStream?: boolean;
}

export class GrpcTransport implements Transport {
  private readonly links = new Map<number, PeerLink<PeerMsg>>();
  private readonly streams = new Map<number, PeerStreamSender>();
  /** What arrived over peer streams. */
  readonly streamStats: PeerStreamReceiverStats;
  private readonly clients = new Map<number, ReturnType<typeof createGrpcClient>>();
  bytesSent = 0;
  /** The message codec, counting what it encodes for the wire. */
  private readonly countingCodec = {
    encode: (m: PeerMsg) => {
      const b = peerMsgCodec.encode(m);
      this.bytesSent += b.byteLength;
      return b;
    },
    decode: peerMsgCodec.decode,
  };

  private constructor(
    private readonly opts: GrpcTransportOptions,
    readonly server: GrpcServer,
    streamStats: PeerStreamReceiverStats,
  ) {
    this.streamStats = streamStats;
  }

  static async start(opts: GrpcTransportOptions): Promise<GrpcTransport> {
    const proto = certainProtoPath('certain.proto');
    const h = opts.handlers;
    const isPeer = (id: number) => Number.isInteger(id) && id >= 0 && id < opts.acceptorNum && id !== opts.acceptorId;
    const streamStats: PeerStreamReceiverStats = { streams: 0, frames: 0, messages: 0, bad: 0 };
    const server = await createGrpcServer({
      address: opts.listen ?? opts.route.peerAddress(opts.acceptorId),
      protoPath: proto,
      service: 'certain.CertainPeer',
      ...(opts.tls ? { tls: opts.tls } : {}),
      handlers: {
        GetAllPage: async (req: { entityId: string; session: string; cursor: Uint8Array; bytesMax: number }) => {
          const rsp = await h.onGetAllPage({
            entityId: toBigInt(req.entityId),
            session: req.session || undefined,
            cursor: req.cursor && req.cursor.length > 0 ? new Uint8Array(req.cursor) : undefined,
            bytesMax: req.bytesMax || 1024 * 1024,
          });
          return {
            session: rsp.session,
            maxCommitted: uint64ToWire(rsp.maxCommitted),
            keys: rsp.rows.map((r) => Buffer.from(r[0])),
            values: rsp.rows.map((r) => Buffer.from(r[1])),
            nextCursor: rsp.nextCursor ? Buffer.from(rsp.nextCursor) : Buffer.alloc(0),
            done: rsp.nextCursor === undefined,
          };
        },
      },
      clientStreamHandlers: {
        PeerStream: peerStreamHandler<PeerMsg>({ accept: isPeer, decode: peerMsgCodec.decode, onMessage: (from, msg) => h.onMessage(from, msg), stats: streamStats }),
      },
      extraServices: [
        peerLinkService<PeerMsg>({
          codec: peerMsgCodec,
          onMessage: (msg, from) => {
            const id = Number(from);
            if (!isPeer(id)) return;
            h.onMessage(id, msg);
          },
        }),
      ],
    });
    return new GrpcTransport(opts, server, streamStats);
  }

  private link(to: number): PeerLink<PeerMsg> {
    let l = this.links.get(to);
    if (!l) {
      l = new PeerLink<PeerMsg>({
        address: this.opts.route.peerAddress(to),
        from: String(this.opts.acceptorId),
        codec: this.countingCodec,
        inFlightMax: this.opts.inFlightMax ?? 8,
        // Paxos retries on its own: do not let a dead peer pile up retried batches.
        retryAttemptsMax: 2,
        callDeadlineMs: 2000,
        ...(this.opts.tls ? { tls: this.opts.tls } : {}),
      });
      this.links.set(to, l);
    }
    return l;
  }

  private stream(to: number): PeerStreamSender {
    let s = this.streams.get(to);
    if (!s) {
      s = new PeerStreamSender({ address: this.opts.route.peerAddress(to), from: this.opts.acceptorId, protoPath: certainProtoPath('certain.proto'), ...(this.opts.tls ? { tls: this.opts.tls } : {}) });
      this.streams.set(to, s);
    }
    return s;
  }

  send(to: number, msg: PeerMsg): void {
    if (to === this.opts.acceptorId) return;
    if (this.opts.peerStream === false) this.link(to).send(msg);
    else this.stream(to).send(this.countingCodec.encode(msg));
  }

  async getAllPage(to: number, req: GetAllPageReq, deadlineMs: number): Promise<GetAllPageRsp> {
    let c = this.clients.get(to);
    if (!c) {
      c = createGrpcClient(certainProtoPath('certain.proto'), 'certain.CertainPeer', this.opts.route.peerAddress(to), this.opts.tls ? { tls: this.opts.tls } : {});
      this.clients.set(to, c);
    }
    const rsp = await callUnary<unknown, { session: string; maxCommitted: string; keys: Uint8Array[]; values: Uint8Array[]; nextCursor: Uint8Array; done: boolean }>(
      c, 'GetAllPage',
      { entityId: uint64ToWire(req.entityId), session: req.session ?? '', cursor: req.cursor ? Buffer.from(req.cursor) : Buffer.alloc(0), bytesMax: req.bytesMax },
      { deadlineMs },
    );
    const rows: [Uint8Array, Uint8Array][] = rsp.keys.map((k, i) => [new Uint8Array(k), new Uint8Array(rsp.values[i] ?? new Uint8Array())]);
    return { session: rsp.session, maxCommitted: toBigInt(rsp.maxCommitted), rows, nextCursor: rsp.done ? undefined : new Uint8Array(rsp.nextCursor) };
  }

  async close(): Promise<void> {
    for (const s of this.streams.values()) s.close();
    await Promise.all([...this.links.values()].map((l) => l.close()));
    for (const c of this.clients.values()) c.close();
    await this.server.close();
  }
}

/** The default transport factory: gRPC PeerLink for protocol messages, unary GetAll pages. */
export const grpcTransport: TransportFactory = (handlers, ctx) =>
  GrpcTransport.start({ acceptorId: ctx.acceptorId, acceptorNum: ctx.acceptorNum, route: ctx.route, handlers });

/**
 * The gRPC transport with TLS on the peer links (`tls` undefined: plaintext, as grpcTransport);
 * `peerStream: false` sends over PeerLink's unary batch calls instead of one stream per peer.
 */
export function grpcTransportWith(tls: TlsFiles | TlsReloader | undefined, opts: { peerStream?: boolean } = {}): TransportFactory {
  return (handlers, ctx) => GrpcTransport.start({ acceptorId: ctx.acceptorId, acceptorNum: ctx.acceptorNum, route: ctx.route, handlers, ...(tls ? { tls } : {}), ...opts });
}
