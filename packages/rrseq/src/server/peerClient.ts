// The link from one server to one peer: ops queued while a call is out leave together in
// the next GRPCPeer call (at most `inFlightMax` calls at once). No retries here: a failed
// call answers ERROR for each of its ops and the coordinator decides what to do.
import type * as grpc from '@grpc/grpc-js';
import { callUnary, createGrpcClient } from '@quorumkit/shared-transport';
import { errorResult, type PeerOp, type PeerResult } from '../core/index.js';
import { opToWire, resultFromWire, type WirePeerResult } from './wire.js';

export interface PeerClientOptions {
  callDeadlineMs: number;
  inFlightMax: number;
  batchOpsMax: number;
  /** Ops waiting for a call slot; beyond this (a peer that hangs) new ops fail at once. */
  queueOpsMax: number;
}

/** A restarted peer is reachable again within ~2 s (grpc-js would back off up to 120 s). */
export const RECONNECT_CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 200,
  'grpc.max_reconnect_backoff_ms': 2_000,
} as const;

export const PEER_CLIENT_DEFAULTS: PeerClientOptions = { callDeadlineMs: 2_000, inFlightMax: 4, batchOpsMax: 4_096, queueOpsMax: 65_536 };

export class PeerClient {
  private readonly client: grpc.Client;
  private queue: PeerOp[] = [];
  private inFlight = 0;
  private closed = false;
  calls = 0;
  callsFailed = 0;

  constructor(
    readonly address: string,
    protoPath: string,
    private readonly self: number,
    private readonly onResults: (results: PeerResult[]) => void,
    private readonly opts: PeerClientOptions,
  ) {
    this.client = createGrpcClient(protoPath, 'pb.RRAPI', address, { channelOptions: RECONNECT_CHANNEL_OPTIONS });
  }

  send(ops: PeerOp[]): void {
    if (this.closed || this.queue.length + ops.length > this.opts.queueOpsMax) {
      this.onResults(ops.map((op) => errorResult(op, 'ERROR')));
      return;
    }
    this.queue.push(...ops);
    this.pump();
  }

  close(): void {
    this.closed = true;
    this.client.close();
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
          this.onResults(reply.results.map(resultFromWire));
          this.pump();
        },
        () => {
          this.inFlight -= 1;
          this.callsFailed += 1;
          this.onResults(ops.map((op) => errorResult(op, 'ERROR')));
          this.pump();
        },
      );
    }
  }
}
