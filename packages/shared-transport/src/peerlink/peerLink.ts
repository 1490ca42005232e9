// Sending side of the batching peer link: whatever is queued for one peer leaves together in
// one unary Batch call, with at most `inFlightMax` calls outstanding.
import { randomBytes } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { callUnary, createGrpcClient } from '../client/grpcClient.js';
import { sleep } from '../client/sleep.js';
import { backoffDelayMs } from '../core/backoff.js';
import { BatchQueue, type BatchLimits } from '../core/batchQueue.js';
import { uint64ToWire } from '../core/int64.js';
import { QuorumkitError } from '../errors.js';
import { bundledProtoPath } from '../server/protoLoader.js';
import type { TlsFiles, TlsReloader } from '../tls.js';
import type { BatchReply__Output } from '../generated/quorumkit/peerlink/BatchReply.js';
import type { BatchRequest } from '../generated/quorumkit/peerlink/BatchRequest.js';
import { jsonCodec, type Codec } from './codec.js';

export const PEERLINK_SERVICE = 'quorumkit.peerlink.PeerLink';

/** Absolute path of proto/peerlink.proto (for clients in other languages, or reflection). */
export function peerLinkProtoPath(): string {
  return bundledProtoPath('peerlink.proto');
}

export interface PeerLinkOptions<M> extends Partial<BatchLimits> {
  /** the peer's 'host:port' */
  address: string;
  /** this node's id, handed to the receiver's handler */
  from: string;
  codec?: Codec<M>;
  tls?: TlsFiles | TlsReloader;
  /** most Batch calls outstanding at once (K) */
  inFlightMax?: number;
  /** deadline of one Batch call */
  callDeadlineMs?: number;
  /** attempts per batch (first + retries) before it is abandoned */
  retryAttemptsMax?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /**
   * Longest wait between reconnect attempts to a peer that went away. grpc-js defaults to
   * 120 s, so a restarted peer stayed unreachable for seconds (a certain replica restarted on
   * a wiped disk waited ~1.6 s for its peers' channels to come back before it could recover).
   */
  reconnectBackoffMaxMs?: number;
}

export const peerLinkDefaults = {
  batchCountMax: 256,
  batchBytesMax: 1024 * 1024,
  queueCountMax: 65_536,
  queueBytesMax: 64 * 1024 * 1024,
  inFlightMax: 8,
  callDeadlineMs: 5_000,
  retryAttemptsMax: 5,
  backoffBaseMs: 20,
  backoffMaxMs: 1_000,
  reconnectBackoffMaxMs: 1_000,
} as const;

export interface PeerLinkStats {
  /** messages accepted by send() */
  messagesQueued: number;
  /** messages the receiver acknowledged */
  messagesDelivered: number;
  /** messages refused by send() because the queue was full or the link closed */
  messagesDropped: number;
  /** messages in batches given up after retryAttemptsMax attempts (or cut by close) */
  messagesAbandoned: number;
  batchesSent: number;
  batchesAbandoned: number;
  /** Batch calls made (including retries) and how many of them failed */
  calls: number;
  callsFailed: number;
}

/** Sending a message larger than batchBytesMax is a caller bug: it could never leave. */
export class MessageTooLargeError extends QuorumkitError {
  constructor(bytes: number, max: number) {
    super('EMSGSIZE', `message of ${bytes} bytes exceeds batchBytesMax ${max}`);
  }
}

interface InFlight {
  seq: number;
  /** enqueue index of the batch's first message, for flush() */
  firstMsg: number;
}

export class PeerLink<M = unknown> {
  readonly stats: PeerLinkStats = {
    messagesQueued: 0,
    messagesDelivered: 0,
    messagesDropped: 0,
    messagesAbandoned: 0,
    batchesSent: 0,
    batchesAbandoned: 0,
    calls: 0,
    callsFailed: 0,
  };
  private readonly opts: Required<Omit<PeerLinkOptions<M>, 'tls' | keyof BatchLimits>>;
  private readonly queue: BatchQueue;
  private readonly client: grpc.Client;
  private readonly session = randomBytes(8).toString('hex');
  private readonly inFlight = new Map<number, InFlight>();
  private readonly closing = new AbortController();
  private flushWaiters: { upTo: number; resolve: () => void }[] = [];
  private nextSeq = 1;
  private scheduled = false;
  private closed = false;

  constructor(options: PeerLinkOptions<M>) {
    const limits: BatchLimits = {
      batchCountMax: options.batchCountMax ?? peerLinkDefaults.batchCountMax,
      batchBytesMax: options.batchBytesMax ?? peerLinkDefaults.batchBytesMax,
      queueCountMax: options.queueCountMax ?? peerLinkDefaults.queueCountMax,
      queueBytesMax: options.queueBytesMax ?? peerLinkDefaults.queueBytesMax,
    };
    for (const [k, v] of Object.entries(limits)) if (!(v >= 1)) throw new RangeError(`PeerLink ${k} must be >= 1`);
    this.queue = new BatchQueue(limits);
    this.opts = {
      address: options.address,
      from: options.from,
      codec: options.codec ?? (jsonCodec as Codec<M>),
      inFlightMax: Math.max(1, options.inFlightMax ?? peerLinkDefaults.inFlightMax),
      callDeadlineMs: options.callDeadlineMs ?? peerLinkDefaults.callDeadlineMs,
      retryAttemptsMax: Math.max(1, options.retryAttemptsMax ?? peerLinkDefaults.retryAttemptsMax),
      backoffBaseMs: options.backoffBaseMs ?? peerLinkDefaults.backoffBaseMs,
      backoffMaxMs: options.backoffMaxMs ?? peerLinkDefaults.backoffMaxMs,
      reconnectBackoffMaxMs: Math.max(1, options.reconnectBackoffMaxMs ?? peerLinkDefaults.reconnectBackoffMaxMs),
    };
    // room for the batch plus per-message framing
    const messageBytesMax = limits.batchBytesMax + limits.batchCountMax * 16 + 4096;
    this.client = createGrpcClient(peerLinkProtoPath(), PEERLINK_SERVICE, options.address, {
      tls: options.tls,
      messageBytesMax,
      channelOptions: {
        'grpc.initial_reconnect_backoff_ms': Math.min(100, this.opts.reconnectBackoffMaxMs),
        'grpc.max_reconnect_backoff_ms': this.opts.reconnectBackoffMaxMs,
      },
    });
  }

  /** Messages waiting to leave (not yet in a call). */
  get queued(): number {
    return this.queue.length;
  }

  /** Batch calls currently outstanding (or waiting to retry). */
  get inFlightCalls(): number {
    return this.inFlight.size;
  }

  /**
   * Queues a message for the peer. Returns false (and counts it in messagesDropped) when the
   * queue is full or the link is closed; throws MessageTooLargeError if it can never fit.
   */
  send(msg: M): boolean {
    if (this.closed) {
      this.stats.messagesDropped++;
      return false;
    }
    const bytes = this.opts.codec.encode(msg);
    const r = this.queue.enqueue(bytes);
    if (r === 'too-large') throw new MessageTooLargeError(bytes.byteLength, this.queue.limits.batchBytesMax);
    if (r === 'full') {
      this.stats.messagesDropped++;
      return false;
    }
    this.stats.messagesQueued++;
    if (!this.scheduled) {
      this.scheduled = true;
      // everything sent in this tick rides in the same batch
      queueMicrotask(() => {
        this.scheduled = false;
        this.pump();
      });
    }
    return true;
  }

  /** Resolves once every message sent before this call was delivered or abandoned. */
  flush(): Promise<void> {
    const upTo = this.queue.enqueued;
    if (this.settledUpTo(upTo)) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push({ upTo, resolve }));
  }

  /** Drops what is still queued, cancels outstanding calls and closes the channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stats.messagesDropped += this.queue.clear();
    this.closing.abort();
    // let the aborted calls settle so their accounting is done before we return
    while (this.inFlight.size > 0) await sleep(1);
    this.client.close();
    this.notifyFlush();
  }

  private settledUpTo(upTo: number): boolean {
    if (this.queue.taken < upTo && this.queue.length > 0) return false;
    for (const b of this.inFlight.values()) if (b.firstMsg < upTo) return false;
    return true;
  }

  private notifyFlush(): void {
    if (this.flushWaiters.length === 0) return;
    const waiting: typeof this.flushWaiters = [];
    for (const w of this.flushWaiters) {
      if (this.closed || this.settledUpTo(w.upTo)) w.resolve();
      else waiting.push(w);
    }
    this.flushWaiters = waiting;
  }

  private floor(): number {
    let min = this.nextSeq;
    for (const seq of this.inFlight.keys()) if (seq < min) min = seq;
    return min;
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.opts.inFlightMax && this.queue.length > 0) {
      const firstMsg = this.queue.taken;
      const messages = this.queue.take();
      const seq = this.nextSeq++;
      this.inFlight.set(seq, { seq, firstMsg });
      void this.deliver(seq, messages);
    }
  }

  private async deliver(seq: number, messages: Uint8Array[]): Promise<void> {
    const signal = this.closing.signal;
    let ok = false;
    for (let attempt = 0; attempt < this.opts.retryAttemptsMax && !signal.aborted; attempt++) {
      if (attempt > 0) {
        const delay = backoffDelayMs(attempt - 1, { baseMs: this.opts.backoffBaseMs, maxMs: this.opts.backoffMaxMs });
        if (!(await sleep(delay, signal).then(() => true, () => false))) break;
      }
      this.stats.calls++;
      try {
        await callUnary<BatchRequest, BatchReply__Output>(
          this.client,
          'Batch',
          {
            from: this.opts.from,
            session: this.session,
            seq: uint64ToWire(BigInt(seq)),
            floor: uint64ToWire(BigInt(this.floor())),
            messages,
          },
          { deadlineMs: this.opts.callDeadlineMs, signal },
        );
        ok = true;
        break;
      } catch {
        // the channel reconnects by itself; the next attempt waits a jittered backoff
        this.stats.callsFailed++;
      }
    }
    this.inFlight.delete(seq);
    if (ok) {
      this.stats.batchesSent++;
      this.stats.messagesDelivered += messages.length;
    } else {
      this.stats.batchesAbandoned++;
      this.stats.messagesAbandoned += messages.length;
    }
    this.pump();
    this.notifyFlush();
  }
}
