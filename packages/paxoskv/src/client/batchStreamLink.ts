// The client side of BatchStream: one long-lived bidi stream to one acceptor carries every
// Batch frame (no HTTP/2 stream, headers and protobuf objects per batch, as a unary call costs).
// Frames are matched to replies by Seq; each has its own deadline. When the stream breaks,
// every frame still waiting on it fails at once and the next frame opens a new stream (grpc-js
// reconnects the channel with the link's capped backoff). An acceptor without BatchStream
// (UNIMPLEMENTED) makes the link fall back to unary Batch calls for good.
//
// shared-transport has no client-side long-lived bidi stream helper (only the server side), so
// this one is built on grpc-js directly.
import * as grpc from '@grpc/grpc-js';
import { DeadlineError, RemoteError, UnavailableError } from '@quorumkit/shared-transport';
import type { ReplyOrigin } from '../core/index.js';
import { decodeReplies, encodeOps } from '../wire/binaryBatch.js';
import type { WireAcceptor, WireOpKind, WireProposer } from '../wire/codec.js';

interface WireFrameReply {
  Seq?: string;
  Body?: Uint8Array;
  AcceptorId?: number;
  Incarnation?: string;
  Known?: string[];
  ErrorCode?: string;
  Error?: string;
}

export interface FrameAnswer {
  replies: WireAcceptor[];
  origin: ReplyOrigin | null;
}

/** The acceptor does not serve BatchStream (an older version): use unary Batch. */
export class StreamUnsupportedError extends Error {
  constructor(address: string) {
    super(`${address} does not serve BatchStream`);
  }
}

interface Waiting {
  call: grpc.ClientDuplexStream<unknown, WireFrameReply>;
  resolve(a: FrameAnswer): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout>;
  sentAt: number;
}

type BidiMethod = (metadata: grpc.Metadata, options: grpc.CallOptions) => grpc.ClientDuplexStream<unknown, WireFrameReply>;

/** Who answered a batch (unary reply or stream frame), as which incarnation (null: not said). */
export function originOf(f: { AcceptorId?: number; Incarnation?: string; Known?: string[] }): ReplyOrigin | null {
  if (f.AcceptorId === undefined || f.Incarnation === undefined) return null;
  try {
    return { acceptor: Number(f.AcceptorId), incarnation: BigInt(f.Incarnation), known: (f.Known ?? []).map((k) => BigInt(k)) };
  } catch {
    return null;
  }
}

export class BatchStreamLink {
  private call: grpc.ClientDuplexStream<unknown, WireFrameReply> | null = null;
  /** Date.now() of the last frame received on the current stream */
  private lastDataAt = 0;
  private seq = 0n;
  private readonly waiting = new Map<string, Waiting>();
  /** false once the acceptor answered UNIMPLEMENTED */
  supported = true;
  /** streams opened so far (tests) */
  opened = 0;

  constructor(
    private readonly client: grpc.Client,
    private readonly address: string,
    private readonly view: { ClusterId?: string; Members?: number },
  ) {}

  /** Send one batch; resolves with its replies in op order (or rejects: the ops may or may not have run). */
  send(ops: { Kind: WireOpKind; Req: WireProposer }[], timeoutMs: number): Promise<FrameAnswer> {
    let body: Uint8Array;
    try {
      body = encodeOps(ops);
    } catch (e) {
      return Promise.reject(e);
    }
    const call = this.stream();
    const seq = (this.seq++).toString();
    return new Promise<FrameAnswer>((resolve, reject) => {
      const sentAt = Date.now();
      const timer = setTimeout(() => this.timedOut(seq), timeoutMs);
      this.waiting.set(seq, { call, resolve, reject, timer, sentAt });
      call.write({ Seq: seq, Body: body, ...this.view });
    });
  }

  private stream(): grpc.ClientDuplexStream<unknown, WireFrameReply> {
    if (this.call) return this.call;
    const method = (this.client as unknown as Record<string, BidiMethod>)['BatchStream']!;
    const call = method.call(this.client, new grpc.Metadata(), {});
    this.opened++;
    this.call = call;
    this.lastDataAt = Date.now();
    call.on('data', (f: WireFrameReply) => this.onFrame(call, f));
    call.on('error', (e: grpc.ServiceError) => this.gone(call, e));
    call.on('end', () => this.gone(call, null));
    return call;
  }

  private onFrame(call: grpc.ClientDuplexStream<unknown, WireFrameReply>, f: WireFrameReply): void {
    if (call === this.call) this.lastDataAt = Date.now();
    const w = this.waiting.get(String(f.Seq ?? ''));
    if (!w || w.call !== call) return; // timed out already (or from an older stream)
    this.waiting.delete(String(f.Seq));
    clearTimeout(w.timer);
    if (f.ErrorCode) {
      w.reject(new RemoteError(`Batch: ${f.Error ?? f.ErrorCode}`, grpc.status.UNKNOWN, f.ErrorCode));
      return;
    }
    let replies: WireAcceptor[];
    try {
      replies = decodeReplies(f.Body ?? new Uint8Array(0));
    } catch (e) {
      w.reject(e);
      return;
    }
    w.resolve({ replies, origin: originOf(f) });
  }

  /** The stream ended or broke: every frame still waiting on it fails now. */
  private gone(call: grpc.ClientDuplexStream<unknown, WireFrameReply>, e: grpc.ServiceError | null): void {
    if (this.call === call) this.call = null;
    let err: Error;
    if (e?.code === grpc.status.UNIMPLEMENTED) {
      this.supported = false;
      err = new StreamUnsupportedError(this.address);
    } else if (e?.code === grpc.status.UNAVAILABLE) {
      err = new UnavailableError(`BatchStream to ${this.address}: ${e.details || e.message}`, e.code);
    } else {
      err = new UnavailableError(`BatchStream to ${this.address} ended${e ? `: ${e.details || e.message}` : ''}`, e?.code ?? grpc.status.UNAVAILABLE);
    }
    for (const [seq, w] of this.waiting) {
      if (w.call !== call) continue;
      this.waiting.delete(seq);
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private timedOut(seq: string): void {
    const w = this.waiting.get(seq);
    if (!w) return;
    this.waiting.delete(seq);
    w.reject(new DeadlineError(`Batch to ${this.address}: no reply within ${Date.now() - w.sentAt} ms`));
    // nothing at all came back on this stream since the frame left: it may be wedged; start over
    if (w.call === this.call && this.lastDataAt <= w.sentAt) w.call.cancel();
  }

  close(): void {
    const call = this.call;
    this.call = null;
    if (call) {
      call.cancel();
      this.gone(call, null);
    }
  }
}
