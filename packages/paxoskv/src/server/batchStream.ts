// The acceptor side of BatchStream: one long-lived stream per client carries Batch frames
// (binary bodies, src/wire/binaryBatch.ts). Frames run concurrently, as separate unary Batch
// calls would, and each reply goes back as soon as its ops are durable, matched by Seq. A frame
// that is refused (malformed, wrong view, recovering) answers its error and changes nothing;
// the stream goes on.
import type { BidiStreamHandler } from '@quorumkit/shared-transport';
import type { AcceptorReply } from '../core/index.js';
import { decodeOps, encodeReplies } from '../wire/binaryBatch.js';
import type { WireBatchOp } from '../wire/codec.js';

/** One op's answer in core form; `ver` is the reply's Ver (LATEST, PREPARE_FROM). */
export interface OpReply {
  r: AcceptorReply;
  ver?: bigint;
}

export interface WireBatchFrame {
  Seq?: string | number | null;
  Body?: Uint8Array | null;
  ClusterId?: string | null;
  Members?: number | null;
}

export interface BatchStreamDeps {
  /** checks the frame's view and the acceptor's mode, then runs the ops (the unary Batch's path) */
  run(ops: WireBatchOp[], frame: WireBatchFrame): Promise<OpReply[]>;
  /** who answers (incarnation fencing), read after the ops as for the unary Batch */
  origin(): { AcceptorId: number; Incarnation: string; Known: string[] };
  /** a frame was refused (metrics, log) */
  refused(e: unknown): void;
}

/** Frames of one stream being worked on at once; the stream is not read further meanwhile (flow control). */
export const streamFramesInflightMax = 64;

export function batchStreamHandler(deps: BatchStreamDeps): BidiStreamHandler<WireBatchFrame, object> {
  const answer = async (f: WireBatchFrame): Promise<object> => {
    const Seq = String(f.Seq ?? '0');
    try {
      const replies = await deps.run(decodeOps(f.Body ?? new Uint8Array(0)), f);
      return { Seq, Body: encodeReplies(replies), ...deps.origin() };
    } catch (e) {
      deps.refused(e);
      const code = (e as { code?: unknown }).code;
      return { Seq, ErrorCode: typeof code === 'string' ? code : 'EINTERNAL', Error: (e as Error)?.message ?? String(e) };
    }
  };
  return async (requests, out) => {
    const inflight = new Set<Promise<void>>();
    for await (const frame of requests) {
      const p: Promise<void> = answer(frame)
        .then((reply) => out.write(reply))
        .catch(() => undefined) // a reply that cannot be sent: the client's frame times out
        .finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= streamFramesInflightMax) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  };
}
