// One client-side link to one acceptor. Every operation queued for the acceptor while
// earlier calls are in flight leaves in ONE Batch call (a unary gRPC call costs ~15x a
// loopback round trip; carrying many messages per call is what makes throughput).
import { type TlsFiles, type TlsReloader, callUnary, createGrpcClient } from '@quorumkit/shared-transport';
import type * as grpc from '@grpc/grpc-js';
import type { WireAcceptor, WireOpKind, WireProposer } from '../wire/codec.js';
import { PROTO_PATH, SERVICE_NAME } from '../wire/protoPath.js';
import { IncarnationView } from '../core/index.js';
import type { AcceptorAnswer, AcceptorTransport } from './proposer.js';
import type { CancelSignal } from './cancelSignal.js';
import { BatchStreamLink, type FrameAnswer, StreamUnsupportedError, originOf } from './batchStreamLink.js';

interface WireBatchReply {
  Replies?: WireAcceptor[];
  AcceptorId?: number;
  Incarnation?: string;
  Known?: string[];
}

export interface AcceptorLinkOptions {
  /** Batch calls in flight at once; further ops wait and ride in the next call */
  callsInflightMax?: number;
  /** most ops in one Batch call */
  batchOpsMax?: number;
  /** deadline of one Batch call */
  callTimeoutMs?: number;
  /** the cluster view every Batch call states (issue 17 item 2); omitted: a request without one */
  view?: { clusterId: string; members: number };
  /**
   * Longest wait between two reconnect attempts to a down acceptor. grpc-js's default grows to
   * 120 s, so a long-lived client would ignore a restarted acceptor for minutes (issue 17 item 5).
   */
  reconnectBackoffMsMax?: number;
  /** ops queued for this acceptor (not yet sent) before new ones are refused at once */
  queueOpsMax?: number;
  /** TLS to the acceptor (shared-transport TlsFiles or TlsReloader; omitted: plaintext) */
  tls?: TlsFiles | TlsReloader;
  /** send batches over one long-lived BatchStream (default true); false: one unary Batch call each */
  stream?: boolean;
}

export const acceptorLinkDefaults = { callsInflightMax: 32, batchOpsMax: 512, callTimeoutMs: 2_000, reconnectBackoffMsMax: 1_000, queueOpsMax: 65_536 } as const;

interface Pending {
  kind: WireOpKind;
  req: WireProposer;
  resolve(r: AcceptorAnswer): void;
  reject(e: unknown): void;
  cancelled: boolean;
}

/** Value bytes one Batch call carries at most (gRPC messages are capped at 16 MiB; values at 1 MiB). */
const batchBytesMax = 4 << 20;

function opBytes(req: WireProposer): number {
  return 64 + (req.Id?.Key?.length ?? 0) + (req.Val?.Vbytes?.length ?? 0) + (req.PrevChosen?.Vbytes?.length ?? 0);
}

/** What a COMMIT folded into the next vote answers (COMMIT replies are hints; nobody reads them). */
const FOLDED_REPLY: WireAcceptor = Object.freeze({ LastBal: null, Val: null, VBal: null });

/**
 * One op instead of two: a COMMIT of (key, v) queued with an ACCEPT of (key, v + 1) rides on
 * that ACCEPT as its PrevChosen (the acceptor applies the same hint). Requests are copied, never
 * changed (one request object is shared by the links of every acceptor).
 */
function foldCommits(batch: Pending[]): { sent: Pending[]; folded: Pending[]; ops: { Kind: WireOpKind; Req: WireProposer }[] } {
  const acceptAt = new Map<string, number>();
  batch.forEach((p, i) => {
    if (p.kind === 'ACCEPT' && p.req.Id) acceptAt.set(`${String(p.req.Id.Ver ?? '0')}\u0000${p.req.Id.Key ?? ''}`, i);
  });
  const reqs = batch.map((p) => p.req);
  const folded = new Set<number>();
  if (acceptAt.size > 0) {
    batch.forEach((p, i) => {
      if (p.kind !== 'COMMIT' || !p.req.Id || !p.req.Val) return;
      let next: string;
      try {
        next = (BigInt(p.req.Id.Ver ?? '0') + 1n).toString();
      } catch {
        return;
      }
      const j = acceptAt.get(`${next}\u0000${p.req.Id.Key ?? ''}`);
      if (j === undefined || reqs[j]!.PrevChosen) return;
      reqs[j] = { ...reqs[j]!, PrevChosen: p.req.Val };
      folded.add(i);
    });
  }
  const sent = batch.filter((_, i) => !folded.has(i));
  const ops = batch.flatMap((p, i) => (folded.has(i) ? [] : [{ Kind: p.kind, Req: reqs[i]! }]));
  return { sent, folded: batch.filter((_, i) => folded.has(i)), ops };
}

export class AcceptorLink {
  private readonly client: grpc.Client;
  private queue: Pending[] = [];
  private inflight = 0;
  private scheduled = false;
  private closed = false;
  private readonly inflightMax: number;
  private readonly batchMax: number;
  private readonly timeoutMs: number;
  private readonly queueMax: number;
  /** Batch calls sent so far (for tests and the bench) */
  calls = 0;
  /** Date.now() of the last failed call (0: never) */
  lastFailureAt = 0;

  constructor(
    readonly address: string,
    opts: AcceptorLinkOptions = {},
  ) {
    const backoffMax = opts.reconnectBackoffMsMax ?? acceptorLinkDefaults.reconnectBackoffMsMax;
    this.client = createGrpcClient(PROTO_PATH, SERVICE_NAME, address, {
      ...(opts.tls ? { tls: opts.tls } : {}),
      channelOptions: {
        'grpc.initial_reconnect_backoff_ms': Math.min(100, backoffMax),
        'grpc.max_reconnect_backoff_ms': backoffMax,
      },
    });
    this.inflightMax = opts.callsInflightMax ?? acceptorLinkDefaults.callsInflightMax;
    this.batchMax = opts.batchOpsMax ?? acceptorLinkDefaults.batchOpsMax;
    this.timeoutMs = opts.callTimeoutMs ?? acceptorLinkDefaults.callTimeoutMs;
    this.queueMax = opts.queueOpsMax ?? acceptorLinkDefaults.queueOpsMax;
    this.view = opts.view ? { ClusterId: opts.view.clusterId, Members: opts.view.members } : {};
    this.stream = (opts.stream ?? true) ? new BatchStreamLink(this.client, address, this.view) : null;
  }
  /** the long-lived BatchStream (null: unary Batch calls only) */
  readonly stream: BatchStreamLink | null;
  private readonly view: { ClusterId?: string; Members?: number };

  /** Queue one op; it is sent with whatever else is queued for this acceptor. */
  request(kind: WireOpKind, req: WireProposer, signal?: CancelSignal): Promise<AcceptorAnswer> {
    if (this.closed) return Promise.reject(new Error(`link to ${this.address} is closed`));
    if (this.queue.length >= this.queueMax) {
      // a stalled acceptor: ops whose caller gave up go first; then this one is refused
      this.queue = this.queue.filter((p) => !p.cancelled);
      if (this.queue.length >= this.queueMax) {
        this.lastFailureAt = Date.now();
        return Promise.reject(new Error(`${this.address}: ${this.queue.length} ops queued (at most ${this.queueMax}): acceptor not keeping up`));
      }
    }
    return new Promise<AcceptorAnswer>((resolve, reject) => {
      const p: Pending = { kind, req, resolve, reject, cancelled: false };
      if (signal) {
        // Not sent yet when the caller no longer cares (quorum reached elsewhere): drop it.
        signal.addEventListener(
          'abort',
          () => {
            p.cancelled = true;
            reject(signal.reason ?? new Error('aborted'));
          },
          { once: true },
        );
      }
      this.queue.push(p);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inflight >= this.inflightMax) return;
    this.scheduled = true;
    // setImmediate: ops issued in the same turn of the event loop share a call.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inflight < this.inflightMax && this.queue.length > 0) {
      const live = this.queue.filter((p) => !p.cancelled);
      // at most batchMax ops and about batchBytesMax of values per call (at least one op)
      let take = 0;
      for (let bytes = 0; take < live.length && take < this.batchMax; take++) {
        bytes += opBytes(live[take]!.req);
        if (take > 0 && bytes > batchBytesMax) break;
      }
      const batch = live.slice(0, take);
      this.queue = live.slice(take);
      if (batch.length === 0) return;
      this.inflight++;
      this.calls++;
      const { sent, folded, ops } = foldCommits(batch);
      this.sendBatch(ops).then(
        ({ replies, origin }) => {
          sent.forEach((p, i) => {
            const r = replies[i];
            if (r) p.resolve({ reply: r, origin });
            else p.reject(new Error(`${this.address}: Batch reply has ${replies.length} replies for ${sent.length} ops`));
          });
          for (const p of folded) p.resolve({ reply: FOLDED_REPLY, origin });
          this.done();
        },
        (err: unknown) => {
          this.lastFailureAt = Date.now();
          for (const p of batch) p.reject(err);
          this.done();
        },
      );
    }
  }

  /** One batch over the link's BatchStream, or a unary Batch call when the acceptor has no BatchStream. */
  private async sendBatch(ops: { Kind: WireOpKind; Req: WireProposer }[]): Promise<FrameAnswer> {
    if (this.stream?.supported) {
      try {
        return await this.stream.send(ops, this.timeoutMs);
      } catch (e) {
        if (!(e instanceof StreamUnsupportedError)) throw e;
      }
    }
    const res = await callUnary<unknown, WireBatchReply>(this.client, 'Batch', { Ops: ops, ...this.view }, { deadlineMs: this.timeoutMs });
    return { replies: res.Replies ?? [], origin: originOf(res) };
  }

  private done(): void {
    this.inflight--;
    if (this.queue.length > 0) this.schedule();
  }

  close(): void {
    this.closed = true;
    for (const p of this.queue) p.reject(new Error(`link to ${this.address} closed`));
    this.queue = [];
    this.stream?.close();
    this.client.close();
  }
}

/** Acceptor i of a Proposer is links[i]. */
export class LinkTransport implements AcceptorTransport {
  readonly incarnations = new IncarnationView();
  constructor(readonly links: AcceptorLink[]) {}
  get size(): number {
    return this.links.length;
  }
  describe(i: number): string {
    return this.links[i]?.address ?? `acceptor ${i}`;
  }
  request(i: number, kind: WireOpKind, req: unknown, signal: CancelSignal): Promise<AcceptorAnswer> {
    return this.links[i]!.request(kind, req as never, signal);
  }
}
