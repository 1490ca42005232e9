// An in-process transport for engine tests: messages go through the real codec and are
// delivered asynchronously; replicas can be taken down (their traffic is dropped).
import type { GetAllPageReq, GetAllPageRsp, Transport, TransportHandlers, PeerMsg } from '../src/index.js';
import { peerMsgCodec } from '../src/storage/codec.js';

export class LocalNet {
  readonly handlers = new Map<number, TransportHandlers>();
  readonly down = new Set<number>();
  /** Return true to drop. */
  drop: (from: number, to: number, msg: PeerMsg) => boolean = () => false;

  transportFor(id: number): (h: TransportHandlers) => Promise<Transport> {
    return async (h) => {
      this.handlers.set(id, h);
      this.down.delete(id);
      return {
        send: (to, msg) => {
          if (this.down.has(id) || this.down.has(to) || this.drop(id, to, msg)) return;
          const bytes = peerMsgCodec.encode(msg);
          setImmediate(() => {
            if (this.down.has(to)) return;
            this.handlers.get(to)?.onMessage(id, peerMsgCodec.decode(bytes));
          });
        },
        getAllPage: async (to: number, req: GetAllPageReq): Promise<GetAllPageRsp> => {
          const hh = this.handlers.get(to);
          if (!hh || this.down.has(to)) throw new Error(`peer ${to} is down`);
          return hh.onGetAllPage(req);
        },
        close: async () => {
          this.down.add(id);
        },
      };
    };
  }
}
