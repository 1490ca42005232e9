// Receiving side of the peer link: a PeerLink service to register on a gRPC server. Batches of
// one sender session are handed to the handler in seq order, each at most once.
import * as grpc from '@grpc/grpc-js';
import { toBigInt } from '../core/int64.js';
import { QuorumkitError } from '../errors.js';
import type { ServiceSpec } from '../server/grpcServer.js';
import type { BatchReply } from '../generated/quorumkit/peerlink/BatchReply.js';
import type { BatchRequest__Output as BatchRequest } from '../generated/quorumkit/peerlink/BatchRequest.js';
import { jsonCodec, type Codec } from './codec.js';
import { PEERLINK_SERVICE, peerLinkProtoPath } from './peerLink.js';

export interface PeerLinkReceiverOptions<M> {
  /** called once per message, in send order per sender session; an async handler is awaited */
  onMessage: (msg: M, from: string) => void | Promise<void>;
  /** called when decoding or the handler fails for one message (default: ignored; delivery goes on) */
  onError?: (error: unknown, from: string) => void;
  codec?: Codec<M>;
  /** how long a batch that arrived early waits for a missing earlier one before the gap is skipped */
  reorderWaitMs?: number;
  /** most early batches held per session */
  reorderBatchesMax?: number;
  /** most sender sessions remembered (least recently used forgotten first) */
  sessionsMax?: number;
}

export const peerLinkReceiverDefaults = { reorderWaitMs: 1_000, reorderBatchesMax: 256, sessionsMax: 1_024 } as const;

export interface PeerLinkReceiverStats {
  batches: number;
  duplicates: number;
  messagesDelivered: number;
  messagesFailed: number;
  gapsSkipped: number;
}

class BadBatchError extends QuorumkitError {
  readonly grpcCode = grpc.status.INVALID_ARGUMENT;
  constructor(message: string) {
    super('EBADBATCH', message);
  }
}

class ReorderFullError extends QuorumkitError {
  readonly grpcCode = grpc.status.RESOURCE_EXHAUSTED;
  constructor() {
    super('EREORDERFULL', 'too many early batches held for this session; retry later');
  }
}

interface Pending {
  messages: Uint8Array[];
  done: Promise<number>;
  resolve: (delivered: number) => void;
}

interface Session {
  from: string;
  nextSeq: bigint;
  /** highest floor the sender announced: seqs below it that are missing will never come */
  floor: bigint;
  pending: Map<bigint, Pending>;
  delivering: boolean;
  gapTimer?: NodeJS.Timeout;
}


/** The PeerLink service, to pass in createGrpcServer's `extraServices`. */
export function peerLinkService<M = unknown>(opts: PeerLinkReceiverOptions<M>): ServiceSpec & { stats: PeerLinkReceiverStats } {
  const codec = opts.codec ?? (jsonCodec as Codec<M>);
  const reorderWaitMs = opts.reorderWaitMs ?? peerLinkReceiverDefaults.reorderWaitMs;
  const reorderBatchesMax = opts.reorderBatchesMax ?? peerLinkReceiverDefaults.reorderBatchesMax;
  const sessionsMax = opts.sessionsMax ?? peerLinkReceiverDefaults.sessionsMax;
  const stats: PeerLinkReceiverStats = { batches: 0, duplicates: 0, messagesDelivered: 0, messagesFailed: 0, gapsSkipped: 0 };
  const sessions = new Map<string, Session>();

  const fail = (e: unknown, from: string): void => {
    stats.messagesFailed++;
    try {
      opts.onError?.(e, from);
    } catch {
      // an error reporter that throws must not stop delivery
    }
  };

  async function deliverOne(s: Session, bytes: Uint8Array): Promise<boolean> {
    try {
      const r = opts.onMessage(codec.decode(bytes), s.from);
      if (r && typeof (r as Promise<void>).then === 'function') await r;
      stats.messagesDelivered++;
      return true;
    } catch (e) {
      fail(e, s.from);
      return false;
    }
  }

  function armGapTimer(s: Session): void {
    if (s.gapTimer || s.delivering || s.pending.size === 0 || s.pending.has(s.nextSeq)) return;
    s.gapTimer = setTimeout(() => {
      s.gapTimer = undefined;
      // a running drain re-arms the timer when it finishes
      if (s.delivering || s.pending.size === 0 || s.pending.has(s.nextSeq)) return;
      // the missing batch was lost: move on to the earliest one we hold
      s.nextSeq = [...s.pending.keys()].reduce((a, b) => (b < a ? b : a));
      stats.gapsSkipped++;
      void drain(s);
    }, reorderWaitMs);
    s.gapTimer.unref();
  }

  /** Moves past seqs the sender abandoned (below its floor and never arrived). */
  function skipAbandoned(s: Session): void {
    while (s.nextSeq < s.floor && !s.pending.has(s.nextSeq)) s.nextSeq++;
  }

  async function drain(s: Session): Promise<void> {
    if (s.delivering) return;
    s.delivering = true;
    try {
      skipAbandoned(s);
      for (let p = s.pending.get(s.nextSeq); p; p = s.pending.get(s.nextSeq)) {
        const seq = s.nextSeq;
        let delivered = 0;
        for (const m of p.messages) if (await deliverOne(s, m)) delivered++;
        s.pending.delete(seq);
        if (s.nextSeq <= seq) s.nextSeq = seq + 1n;
        p.resolve(delivered);
        skipAbandoned(s);
      }
    } finally {
      s.delivering = false;
    }
    armGapTimer(s);
  }

  function sessionFor(req: BatchRequest, floor: bigint): Session {
    const key = `${req.from}\0${req.session}`;
    let s = sessions.get(key);
    if (s) {
      sessions.delete(key); // re-insert: Map order doubles as least-recently-used order
    } else {
      s = { from: req.from, nextSeq: floor > 0n ? floor : 1n, floor, pending: new Map(), delivering: false };
      if (sessions.size >= sessionsMax) {
        const [oldKey, old] = sessions.entries().next().value as [string, Session];
        clearTimeout(old.gapTimer);
        for (const p of old.pending.values()) p.resolve(0);
        sessions.delete(oldKey);
      }
    }
    sessions.set(key, s);
    return s;
  }

  async function batch(req: BatchRequest): Promise<BatchReply> {
    if (typeof req.from !== 'string' || !req.session) throw new BadBatchError('from and session are required');
    let seq: bigint;
    let floor: bigint;
    try {
      seq = toBigInt(req.seq);
      floor = toBigInt(req.floor);
    } catch (e) {
      throw new BadBatchError(`bad seq/floor: ${(e as Error).message}`);
    }
    if (seq < 1n || floor > seq) throw new BadBatchError(`bad seq ${seq} / floor ${floor}`);
    stats.batches++;
    const s = sessionFor(req, floor);
    if (floor > s.floor) s.floor = floor;
    if (!s.delivering) skipAbandoned(s);
    const existing = s.pending.get(seq);
    if (seq < s.nextSeq || existing) {
      stats.duplicates++;
      return { delivered: existing ? await existing.done : 0 };
    }
    if (seq > s.nextSeq && s.pending.size >= reorderBatchesMax) throw new ReorderFullError();
    let resolve!: (n: number) => void;
    const done = new Promise<number>((r) => (resolve = r));
    s.pending.set(seq, { messages: req.messages ?? [], done, resolve });
    void drain(s);
    armGapTimer(s);
    return { delivered: await done };
  }

  return { protoPath: peerLinkProtoPath(), service: PEERLINK_SERVICE, handlers: { Batch: batch }, stats };
}
