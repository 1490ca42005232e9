// What the engine needs from a transport, and nothing of how it is done: the engine is given
// a factory (gRPC in src/server/transport.ts, in-process in tests) and never imports one.
import type { PeerMsg } from '../core/index.js';

export interface GetAllPageReq {
  entityId: bigint;
  session?: string;
  cursor?: Uint8Array;
  bytesMax: number;
}

export interface GetAllPageRsp {
  session: string;
  maxCommitted: bigint;
  rows: [Uint8Array, Uint8Array][];
  nextCursor?: Uint8Array;
}

/** How a replica reaches its peers (the original's route hook). */
export interface Route {
  /** 'host:port' of acceptor `acceptorId`'s peer listener. */
  peerAddress(acceptorId: number): string;
}

export function staticRoute(peers: string[]): Route {
  return {
    peerAddress(i) {
      const a = peers[i];
      if (a === undefined) throw new RangeError(`no peer address for acceptor ${i}`);
      return a;
    },
  };
}

export interface Transport {
  send(to: number, msg: PeerMsg): void;
  /** Encoded protocol-message bytes handed to the wire so far (for the bench's bytes per entry). */
  readonly bytesSent?: number;
  getAllPage(to: number, req: GetAllPageReq, deadlineMs: number): Promise<GetAllPageRsp>;
  close(): Promise<void>;
}

export interface TransportHandlers {
  onMessage(from: number, msg: PeerMsg): void;
  onGetAllPage(req: GetAllPageReq): Promise<GetAllPageRsp>;
}

/** Builds the transport of one replica once the engine's handlers exist. */
export type TransportFactory = (
  handlers: TransportHandlers,
  ctx: { acceptorId: number; acceptorNum: number; route: Route },
) => Promise<Transport>;
