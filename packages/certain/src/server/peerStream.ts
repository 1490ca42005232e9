// One long-lived gRPC stream per ordered peer pair for the protocol messages (issue 21 step
// 2): the unary PeerLink calls cost headers, a deadline, a promise and an HTTP/2 stream per
// batch (the gRPC/HTTP2 stack was 35-45 % of the servers' profile). Here everything queued for
// a peer within one turn of the event loop leaves as one frame (PeerFrame.messages: [4-byte
// big-endian length][bytes]...) written to a client stream that stays open. The stream is
// opened again after a failure with a capped backoff; while it is down or the peer does not
// read (HTTP/2 flow control), messages wait in a bounded queue whose oldest are dropped when
// it is full: a lost protocol message is one Paxos retries, a stale one is worth less than a
// new one. TLS / mTLS are the channel's, as for PeerLink: an unauthenticated peer never gets
// a stream.
import type * as grpc from '@grpc/grpc-js';
import { createGrpcClient, backoffDelayMs, QuorumkitError, type TlsFiles, type TlsReloader, type ClientStreamHandler } from '@quorumkit/shared-transport';

export interface PeerStreamLimits {
  frameBytesMax: number;
  queueCountMax: number;
  queueBytesMax: number;
  reconnectBackoffBaseMs: number;
  reconnectBackoffMaxMs: number;
  keepaliveMs: number;
}

export const peerStreamDefaults: PeerStreamLimits = {
  /** largest frame (the messages of one write) */
  frameBytesMax: 1024 * 1024,
  /** messages / bytes waiting for the stream; over either, the oldest are dropped */
  queueCountMax: 65_536,
  queueBytesMax: 32 * 1024 * 1024,
  reconnectBackoffBaseMs: 50,
  reconnectBackoffMaxMs: 1_000,
  keepaliveMs: 10_000,
};

export interface PeerStreamOptions extends Partial<PeerStreamLimits> {
  /** the peer's 'host:port' (its CertainPeer listener) */
  address: string;
  /** this replica's acceptor id */
  from: number;
  protoPath: string;
  tls?: TlsFiles | TlsReloader;
}

/** A message that cannot fit in one frame could never leave (a caller bug, refused). */
export class PeerMessageTooLargeError extends QuorumkitError {
  constructor(bytes: number, max: number) {
    super('EPEERMSGSIZE', `peer message of ${bytes} bytes exceeds the frame limit ${max}`);
  }
}

/** A frame whose length prefixes do not add up: the rest of the frame is skipped. */
export class PeerFrameError extends QuorumkitError {
  constructor(message: string) {
    super('EPEERFRAME', message);
  }
}

/** The body of one frame: each message as [4-byte big-endian length][bytes]. */
export function packFrame(msgs: Uint8Array[], bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes + 4 * msgs.length);
  let at = 0;
  for (const m of msgs) {
    out.writeUInt32BE(m.byteLength, at);
    out.set(m, at + 4);
    at += 4 + m.byteLength;
  }
  return out;
}

/** The messages of a frame body (views into it); throws PeerFrameError after the good ones. */
export function unpackFrame(body: Uint8Array, each: (msg: Uint8Array) => void): void {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  while (at < body.byteLength) {
    if (at + 4 > body.byteLength) throw new PeerFrameError(`frame ends inside a length prefix at ${at}`);
    const len = view.getUint32(at);
    if (at + 4 + len > body.byteLength) throw new PeerFrameError(`message of ${len} bytes at ${at} runs past the frame (${body.byteLength})`);
    each(body.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
}

export interface PeerStreamStats {
  messagesQueued: number;
  /** dropped: oldest out of a full queue, or sent after close */
  messagesDropped: number;
  messagesWritten: number;
  framesWritten: number;
  /** streams opened (the first and every reopen) and streams that ended in an error */
  streamsOpened: number;
  streamsFailed: number;
}

type Call = grpc.ClientWritableStream<{ from: number; messages: Buffer }>;

/** The sending side to one peer. */
export class PeerStreamSender {
  readonly stats: PeerStreamStats = { messagesQueued: 0, messagesDropped: 0, messagesWritten: 0, framesWritten: 0, streamsOpened: 0, streamsFailed: 0 };
  private readonly o: Required<Omit<PeerStreamOptions, 'tls'>>;
  private readonly client: grpc.Client;
  private queue: Uint8Array[] = [];
  private head = 0;
  private queuedBytes = 0;
  private call: Call | undefined;
  private openedAt = 0;
  private blocked = false;
  private scheduled = false;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(opts: PeerStreamOptions) {
    this.o = { ...peerStreamDefaults, ...opts } as Required<Omit<PeerStreamOptions, 'tls'>>;
    this.client = createGrpcClient(opts.protoPath, 'certain.CertainPeer', opts.address, {
      tls: opts.tls,
      messageBytesMax: this.o.frameBytesMax + 64 * 1024,
      channelOptions: {
        'grpc.initial_reconnect_backoff_ms': Math.min(100, this.o.reconnectBackoffMaxMs),
        'grpc.max_reconnect_backoff_ms': this.o.reconnectBackoffMaxMs,
        // a peer that vanished without a reset (a dead host) is found within ~2 keepalives
        'grpc.keepalive_time_ms': this.o.keepaliveMs,
        'grpc.keepalive_timeout_ms': this.o.keepaliveMs,
      },
    });
  }

  /** Messages waiting for the stream. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Queue one encoded message; it leaves with whatever else is sent in this turn. */
  send(bytes: Uint8Array): void {
    if (this.closed) {
      this.stats.messagesDropped++;
      return;
    }
    if (bytes.byteLength + 4 > this.o.frameBytesMax) throw new PeerMessageTooLargeError(bytes.byteLength, this.o.frameBytesMax - 4);
    this.queue.push(bytes);
    this.queuedBytes += bytes.byteLength;
    this.stats.messagesQueued++;
    while (this.queued > this.o.queueCountMax || this.queuedBytes > this.o.queueBytesMax) {
      this.queuedBytes -= this.queue[this.head]!.byteLength;
      this.queue[this.head++] = EMPTY;
      this.stats.messagesDropped++;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.pump();
      });
    }
  }

  private pump(): void {
    if (this.closed || this.blocked || this.queued === 0 || this.retryTimer) return;
    const call = this.call ?? this.open();
    while (this.queued > 0) {
      const msgs: Uint8Array[] = [];
      let bytes = 0;
      while (this.head < this.queue.length) {
        const m = this.queue[this.head]!;
        if (msgs.length > 0 && 4 * (msgs.length + 1) + bytes + m.byteLength > this.o.frameBytesMax) break;
        msgs.push(m);
        bytes += m.byteLength;
        this.queue[this.head++] = EMPTY;
      }
      this.queuedBytes -= bytes;
      this.compact();
      this.stats.framesWritten++;
      this.stats.messagesWritten += msgs.length;
      if (!call.write({ from: this.o.from, messages: packFrame(msgs, bytes) })) {
        // the peer is not reading as fast: wait for the stream to drain, the rest stays queued
        this.blocked = true;
        call.once('drain', () => {
          if (this.call !== call) return;
          this.blocked = false;
          this.pump();
        });
        return;
      }
    }
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private open(): Call {
    const call = (this.client as unknown as { PeerStream(cb: (err: grpc.ServiceError | null) => void): Call }).PeerStream((err) => this.ended(call, err));
    // errors arrive through the callback; an 'error' event without a listener would throw
    call.on('error', () => undefined);
    this.call = call;
    this.openedAt = Date.now();
    this.stats.streamsOpened++;
    return call;
  }

  /** The stream ended (the peer went away, or closed it): open it again after a backoff. */
  private ended(call: Call, err: grpc.ServiceError | null): void {
    if (this.call !== call) return;
    this.call = undefined;
    this.blocked = false;
    if (this.closed) return;
    if (err) this.stats.streamsFailed++;
    // a stream that lived a while was healthy: start the backoff over
    if (Date.now() - this.openedAt > this.o.reconnectBackoffMaxMs) this.failures = 0;
    const delay = backoffDelayMs(this.failures++, { baseMs: this.o.reconnectBackoffBaseMs, maxMs: this.o.reconnectBackoffMaxMs });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay);
    this.retryTimer.unref();
  }

  /** Drops what is queued, ends the stream and closes the channel. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.stats.messagesDropped += this.queued;
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    const call = this.call;
    this.call = undefined;
    call?.end();
    this.client.close();
  }
}

const EMPTY = new Uint8Array(0);

export interface PeerStreamReceiverStats {
  streams: number;
  frames: number;
  messages: number;
  /** messages whose bytes did not decode, frames whose prefixes did not add up, bad senders */
  bad: number;
}

/**
 * The receiving side: the PeerStream handler. `accept(from)` says whether the sender id is a
 * peer (a stream from anything else ends with its first frame); a message that does not
 * decode is skipped and counted, never the end of the stream or the server.
 */
export function peerStreamHandler<M>(opts: {
  accept(from: number): boolean;
  decode(bytes: Uint8Array): M;
  onMessage(from: number, msg: M): void;
  stats: PeerStreamReceiverStats;
}): ClientStreamHandler<{ from: number; messages: Uint8Array }, Record<string, never>> {
  const s = opts.stats;
  return async (frames) => {
    s.streams++;
    for await (const f of frames) {
      s.frames++;
      const from = Number(f.from);
      if (!opts.accept(from)) {
        s.bad++;
        throw new PeerFrameError(`frame from unknown peer ${f.from}`);
      }
      try {
        unpackFrame(f.messages ?? EMPTY, (bytes) => {
          let msg: M;
          try {
            msg = opts.decode(bytes);
          } catch {
            s.bad++;
            return;
          }
          s.messages++;
          try {
            opts.onMessage(from, msg);
          } catch {
            s.bad++; // the engine's own failure: the next message still goes in
          }
        });
      } catch (err) {
        if (!(err instanceof PeerFrameError)) throw err;
        s.bad++;
      }
    }
    return {};
  };
}
