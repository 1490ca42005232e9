// The link from one server to one peer. Ops go over one long-lived GRPCPeerStream: each
// send() is one batch, applied by the peer in the order sent (so pipelined writes of one
// name are never reordered by concurrent calls) and answered by batch number. A peer
// without the stream (an older quorumkit server) answers UNIMPLEMENTED: ops then go by
// GRPCPeer calls (queued while `inFlightMax` calls are out), and the stream is tried again
// later. No retries here: a batch that fails or passes its deadline answers ERROR for each
// of its ops, and the coordinator decides what to do.
import * as grpc from '@grpc/grpc-js';
import { callUnary, createGrpcClient, type TlsFiles, type TlsReloader } from '@quorumkit/shared-transport';
import { errorResult, type PeerOp, type PeerResult } from '../core/index.js';
import { opToWire, resultFromWire, type WirePeerOp, type WirePeerResult } from './wire.js';

export interface PeerClientOptions {
  /** A batch (stream) or call (unary) unanswered after this long answers ERROR. */
  callDeadlineMs: number;
  inFlightMax: number;
  batchOpsMax: number;
  /** Ops sent and unanswered or waiting; beyond this (a peer that hangs) new ops fail at once. */
  queueOpsMax: number;
}

/** A restarted peer is reachable again within ~2 s (grpc-js would back off up to 120 s). */
export const RECONNECT_CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
} as const;

export const PEER_CLIENT_DEFAULTS: PeerClientOptions = { callDeadlineMs: 2_000, inFlightMax: 4, batchOpsMax: 4_096, queueOpsMax: 65_536 };

/** After an UNIMPLEMENTED, unary calls for this long before trying the stream again (the peer may be upgraded). */
const STREAM_RETRY_MS = 30_000;

type PeerStream = grpc.ClientDuplexStream<{ fromNode: number; ops: WirePeerOp[]; batch: string }, { batch: string; results: WirePeerResult[] }>;

interface Outstanding {
  ops: PeerOp[];
  timer: NodeJS.Timeout;
}

export class PeerClient {
  private readonly client: grpc.Client;
  private queue: PeerOp[] = [];
  private inFlight = 0;
  private closed = false;
  private stream: PeerStream | undefined;
  private readonly outstanding = new Map<string, Outstanding>();
  private outstandingOps = 0;
  private nextBatch = 1;
  private unaryUntil = 0;
  calls = 0;
  callsFailed = 0;
  /** Whether the last batch or call answered (true) or failed / passed its deadline (false); undefined before any. */
  lastOk: boolean | undefined;

  constructor(
    readonly address: string,
    protoPath: string,
    private readonly self: number,
    private readonly onResults: (results: PeerResult[]) => void,
    private readonly opts: PeerClientOptions,
    /** The server's own TLS: its certificate is its client certificate under mTLS (docs/tls.md). */
    tls?: TlsFiles | TlsReloader,
  ) {
    // GRPCPeer calls and the GRPCPeerStream both go over this one channel, so both use its TLS.
    this.client = createGrpcClient(protoPath, 'pb.RRAPI', address, { channelOptions: RECONNECT_CHANNEL_OPTIONS, ...(tls ? { tls } : {}) });
  }

  send(ops: PeerOp[]): void {
    if (this.closed || this.queue.length + this.outstandingOps + ops.length > this.opts.queueOpsMax) {
      this.onResults(ops.map((op) => errorResult(op, 'ERROR')));
      return;
    }
    if (Date.now() >= this.unaryUntil) {
      for (let i = 0; i < ops.length; i += this.opts.batchOpsMax) this.sendOnStream(ops.slice(i, i + this.opts.batchOpsMax));
      return;
    }
    this.queue.push(...ops);
    this.pump();
  }

  close(): void {
    this.closed = true;
    this.stream?.cancel();
    this.client.close();
  }

  private sendOnStream(ops: PeerOp[]): void {
    const call = this.openStream();
    const batch = String(this.nextBatch++);
    this.calls += 1;
    const timer = setTimeout(() => this.failBatch(batch), this.opts.callDeadlineMs);
    this.outstanding.set(batch, { ops, timer });
    this.outstandingOps += ops.length;
    call.write({ fromNode: this.self, ops: ops.map(opToWire), batch });
  }

  private openStream(): PeerStream {
    if (this.stream) return this.stream;
    const call = (this.client as unknown as { GRPCPeerStream(): PeerStream }).GRPCPeerStream();
    this.stream = call;
    call.on('data', (reply: { batch: string; results: WirePeerResult[] }) => {
      const o = this.outstanding.get(String(reply.batch));
      if (!o) return; // it passed its deadline and was answered ERROR already
      this.settleBatch(String(reply.batch), o);
      this.lastOk = true;
      this.onResults(reply.results.map(resultFromWire));
    });
    const broken = (code?: number): void => {
      if (this.stream !== call) return;
      this.stream = undefined;
      if (code === grpc.status.UNIMPLEMENTED) this.unaryUntil = Date.now() + STREAM_RETRY_MS;
      // Everything sent on this stream is lost: answer ERROR (or resend by unary to an old peer).
      const lost = [...this.outstanding.entries()];
      for (const [batch, o] of lost) {
        this.settleBatch(batch, o);
        this.callsFailed += 1;
        this.lastOk = false;
        if (code === grpc.status.UNIMPLEMENTED && !this.closed) this.send(o.ops);
        else this.onResults(o.ops.map((op) => errorResult(op, 'ERROR')));
      }
    };
    call.on('error', (e: grpc.ServiceError) => broken(e.code));
    call.on('end', () => broken());
    call.on('status', (st: grpc.StatusObject) => broken(st.code));
    return call;
  }

  private settleBatch(batch: string, o: Outstanding): void {
    clearTimeout(o.timer);
    this.outstanding.delete(batch);
    this.outstandingOps -= o.ops.length;
  }

  private failBatch(batch: string): void {
    const o = this.outstanding.get(batch);
    if (!o) return;
    this.settleBatch(batch, o);
    this.callsFailed += 1;
    this.lastOk = false;
    this.onResults(o.ops.map((op) => errorResult(op, 'ERROR')));
  }

  private pump(): void {
    while (this.inFlight < this.opts.inFlightMax && this.queue.length > 0) {
      const ops = this.queue.splice(0, this.opts.batchOpsMax);
      this.inFlight += 1;
      this.calls += 1;
      callUnary<unknown, { results: WirePeerResult[] }>(
        this.client,
        'GRPCPeer',
        { fromNode: this.self, ops: ops.map(opToWire) },
        { deadlineMs: this.opts.callDeadlineMs },
      ).then(
        (reply) => {
          this.inFlight -= 1;
          this.lastOk = true;
          this.onResults(reply.results.map(resultFromWire));
          this.pump();
        },
        () => {
          this.inFlight -= 1;
          this.callsFailed += 1;
          this.lastOk = false;
          this.onResults(ops.map((op) => errorResult(op, 'ERROR')));
          this.pump();
        },
      );
    }
  }
}
