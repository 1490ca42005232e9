// The client end of a GRPCLease stream (pb.RRLease) to one server, shared by every RRSeq
// of this process that talks to that server with the same TLS settings (acquireLease):
// opened on first use, reopened after it broke, requests matched to replies by id. The
// requests made in one event-loop turn leave in one message (LeaseRequest.more) once the
// server said it reads them, so 32 unbuffered clients waiting on one quorum round cost one
// message each way instead of 32. Every request is bounded by its own deadline and its
// caller's signal; a request that gave up may still be granted by the server (its range is
// then a gap, never handed out). A server without the service (the original) answers
// UNIMPLEMENTED: `unsupported` then tells the caller to use GRPCNextID.
//
// Requests of one name made in the same turn leave as ONE request for the sum of their
// sizes, and the range granted is cut in request order, each caller getting exactly the
// size it asked for: the 32 buffered clients of one name in a process run dry together, and
// one request of 32 x 1024 IDs costs the server one request's work instead of 32 (issue 19:
// per-range CPU was most of the buffer-1024 cell). The pieces are disjoint parts of one
// granted range, so no ID can be handed out twice. If such a combined request fails, its
// callers' requests are sent again each on its own, so every caller gets the answer its
// own request gets (a server configured with a smaller largest range refuses the sum).
import * as grpc from '@grpc/grpc-js';
import { CancelledError, DeadlineError, RemoteError, UnavailableError, createGrpcClient, type TlsFiles, type TlsReloader } from '@quorumkit/shared-transport';
import { RR_SERVER_DEFAULTS } from '../server/serverOptions.js';

interface LeaseReply {
  id: string;
  fromId: string;
  toId: string;
  error: string;
  more?: LeaseReply[];
  batches?: boolean;
}

interface LeaseRequest {
  id: string;
  name: string;
  rangeSize: string;
  more?: LeaseRequest[];
}

/** A request waiting in the outbox; `alone` ones are never combined (their combination failed). */
interface Outgoing {
  id: string;
  name: string;
  size: bigint;
  alone: boolean;
}

interface Pending {
  resolve: (r: { fromId: string; toId: string }) => void;
  reject: (e: Error) => void;
  cleanup: () => void;
}

type LeaseCall = grpc.ClientDuplexStream<LeaseRequest, LeaseReply>;

/**
 * Requests this client keeps in flight on one stream (the server's default limit): more
 * wait here for replies instead of being refused with ELEASELIMIT.
 */
export const LEASE_CLIENT_IN_FLIGHT_MAX = 4_096;
/** Requests carried by one message at most. */
const BATCH_MAX = 1_024;
/** The largest combined request (the servers' default largest range). */
const COMBINED_MAX = RR_SERVER_DEFAULTS.rangeSizeMax;

export class LeaseStream {
  private call: LeaseCall | undefined;
  private readonly pending = new Map<string, Pending>();
  /** Requests not written yet (sent at the end of the turn, or once replies free room). */
  private outbox: Outgoing[] = [];
  /** Combined requests in flight: their wire id -> the requests they stand for, in order. */
  private readonly combined = new Map<string, Outgoing[]>();
  private scheduled = false;
  private inFlight = 0;
  /** The server on the other end of this stream said it reads LeaseRequest.more. */
  private batches = false;
  private seq = 0;
  /** The server has no GRPCLease (UNIMPLEMENTED): use GRPCNextID with it. */
  unsupported = false;

  constructor(
    private readonly client: grpc.Client,
    private readonly addr: string,
  ) {}

  request(name: string, size: bigint, deadlineMs: number, signal: AbortSignal): Promise<{ fromId: string; toId: string }> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new CancelledError(`${this.addr}: lease request cancelled`));
        return;
      }
      const id = String(++this.seq);
      const timer = setTimeout(() => settle(new DeadlineError(`${this.addr}: no lease reply within ${deadlineMs} ms`)), deadlineMs);
      const onAbort = (): void => settle(new CancelledError(`${this.addr}: lease request cancelled`));
      const cleanup = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const settle = (e: Error): void => {
        if (!this.pending.delete(id)) return;
        cleanup();
        reject(e);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve, reject, cleanup });
      this.outbox.push({ id, name, size, alone: false });
      this.schedule();
    });
  }

  /** Cancel the stream and fail every request waiting on it. */
  close(): void {
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    this.outbox = [];
    this.failAll(new CancelledError(`${this.addr}: client closed`));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // After every continuation of this turn: the requests it made leave together.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    // Requests that gave up before leaving are not sent.
    const ready = this.outbox.filter((r) => this.pending.has(r.id));
    const room = Math.max(0, LEASE_CLIENT_IN_FLIGHT_MAX - this.inFlight);
    const now = this.combine(ready.slice(0, room));
    this.outbox = ready.slice(room);
    if (now.length === 0) return;
    const call = this.open();
    this.inFlight += now.length;
    if (!this.batches) {
      for (const r of now) call.write(r);
      return;
    }
    for (let i = 0; i < now.length; i += BATCH_MAX) {
      const [first, ...rest] = now.slice(i, i + BATCH_MAX);
      call.write(rest.length === 0 ? first! : { ...first!, more: rest });
    }
  }

  /** The wire requests for `list`: one per name (up to COMBINED_MAX IDs), `alone` ones apart. */
  private combine(list: Outgoing[]): LeaseRequest[] {
    const groups = new Map<string, Outgoing[][]>();
    const out: Array<Outgoing[]> = [];
    for (const r of list) {
      if (r.alone) {
        out.push([r]);
        continue;
      }
      let chunks = groups.get(r.name);
      if (!chunks) groups.set(r.name, (chunks = []));
      let last = chunks[chunks.length - 1];
      if (!last || sum(last) + r.size > COMBINED_MAX) {
        chunks.push((last = []));
        out.push(last);
      }
      last.push(r);
    }
    return out.map((members) => {
      const first = members[0]!;
      if (members.length === 1) return { id: first.id, name: first.name, rangeSize: first.size.toString() };
      const id = String(++this.seq);
      this.combined.set(id, members);
      return { id, name: first.name, rangeSize: sum(members).toString() };
    });
  }

  private open(): LeaseCall {
    if (this.call) return this.call;
    const call = (this.client as unknown as { GRPCLease(): LeaseCall }).GRPCLease();
    // What this server reads is learnt again on every stream (it may have been replaced).
    this.batches = false;
    this.inFlight = 0;
    call.on('data', (r: LeaseReply) => {
      if (this.call !== call) return;
      if (r.batches) this.batches = true;
      this.settleReply(r);
      for (const m of r.more ?? []) this.settleReply(m);
      if (this.outbox.length > 0) this.schedule();
    });
    call.on('error', (e: grpc.ServiceError) => {
      if (e.code === grpc.status.UNIMPLEMENTED) this.unsupported = true;
      this.broken(call, new UnavailableError(`${this.addr}: lease stream failed: ${e.details || e.message}`, e.code ?? grpc.status.UNKNOWN));
    });
    call.on('end', () => this.broken(call, new UnavailableError(`${this.addr}: lease stream ended by the server`, grpc.status.UNAVAILABLE)));
    this.call = call;
    return call;
  }

  private settleReply(r: LeaseReply): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    const id = String(r.id);
    const members = this.combined.get(id);
    if (members) {
      this.combined.delete(id);
      this.split(members, r);
      return;
    }
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cleanup();
    if (r.error) p.reject(new RemoteError(`${this.addr}: ${r.error}`, grpc.status.OK, /^[A-Z]+/.exec(r.error)?.[0]));
    else p.resolve({ fromId: r.fromId, toId: r.toId });
  }

  private broken(call: LeaseCall, e: Error): void {
    if (this.call !== call) return;
    this.call = undefined;
    this.inFlight = 0;
    // Written or not, every request waiting on this stream fails; the caller retries.
    this.outbox = [];
    this.failAll(e);
  }

  /**
   * A combined request's reply: each caller (still waiting) gets its own consecutive piece
   * of the range, of the size it asked for; a failure, or a range shorter than the sum,
   * sends the callers' requests again one by one.
   */
  private split(members: Outgoing[], r: LeaseReply): void {
    let from = 0n;
    let to = 0n;
    try {
      from = BigInt(r.fromId);
      to = BigInt(r.toId);
    } catch {
      // Not a range: handled as a failure below.
    }
    if (r.error || from <= 0n || to - from < sum(members)) {
      for (const m of members) if (this.pending.has(m.id)) this.outbox.push({ ...m, alone: true });
      this.schedule();
      return;
    }
    let at = from;
    for (const m of members) {
      const piece = { fromId: at.toString(), toId: (at + m.size).toString() };
      at += m.size;
      // A caller that gave up leaves its piece unused: a gap, never handed out.
      const p = this.pending.get(m.id);
      if (!p) continue;
      this.pending.delete(m.id);
      p.cleanup();
      p.resolve(piece);
    }
  }

  private failAll(e: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.combined.clear();
    for (const p of all) {
      p.cleanup();
      p.reject(e);
    }
  }
}

function sum(list: Outgoing[]): bigint {
  let n = 0n;
  for (const r of list) n += r.size;
  return n;
}

interface Shared {
  lease: LeaseStream;
  client: grpc.Client;
  users: number;
}

const shared = new Map<string, Shared>();
const tlsIds = new WeakMap<object, number>();
let nextTlsId = 1;

function tlsKey(tls: TlsFiles | TlsReloader | undefined): string {
  if (tls === undefined) return 'plain';
  let id = tlsIds.get(tls);
  if (id === undefined) {
    id = nextTlsId++;
    tlsIds.set(tls, id);
  }
  return `tls${id}`;
}

/** A handle on the shared stream to `addr`; release() once (the last one closes it). */
export interface LeaseHandle {
  readonly lease: LeaseStream;
  release(): void;
}

/**
 * The process-wide GRPCLease stream to `addr` for these TLS settings (the same TlsFiles or
 * TlsReloader object), created on first use. Requests of different holders share it; each
 * holder's requests end with its own signal, so one holder closing fails nobody else's.
 */
export function acquireLease(protoPath: string, addr: string, channelOptions: grpc.ChannelOptions, tls?: TlsFiles | TlsReloader): LeaseHandle {
  const key = `${addr}|${tlsKey(tls)}`;
  let s = shared.get(key);
  if (!s) {
    const client = createGrpcClient(protoPath, 'pb.RRLease', addr, { channelOptions, ...(tls ? { tls } : {}) });
    s = { lease: new LeaseStream(client, addr), client, users: 0 };
    shared.set(key, s);
  }
  s.users += 1;
  const entry = s;
  let released = false;
  return {
    lease: entry.lease,
    release: () => {
      if (released) return;
      released = true;
      entry.users -= 1;
      if (entry.users === 0 && shared.get(key) === entry) {
        shared.delete(key);
        entry.lease.close();
        entry.client.close();
      }
    },
  };
}
