// Early load shedding for the card service, checked the moment a gRPC handler is entered:
// at most `inflightMax` card requests in flight on this server and `peerInflightMax` from one
// connection (peer address). A request over either cap is refused at once, before it is
// parsed into an op or queued anywhere, so overload shows as RESOURCE_EXHAUSTED in
// microseconds instead of requests that queue until their deadline (and may be chosen after
// the client gave up). The in-flight count is the whole queue: it is bounded, never unbounded.
//
// A refusal carries a retry hint: how long the requests already in flight plus the ones
// refused lately would take to drain at the completion rate measured over the last seconds.
// Clients that wait that long (with jitter) spread their retries over the backlog instead of
// hammering the server in lock-step. Time comes in as an argument (no timers here).
import { QuorumkitError } from '@quorumkit/shared-storage';

export interface InflightGateOptions {
  /** card requests in flight on this server, all connections together */
  inflightMax: number;
  /** card requests in flight from one peer (connection address) */
  peerInflightMax: number;
  /** retry hint bounds, ms */
  retryAfterMinMs: number;
  retryAfterMaxMs: number;
}

export const inflightGateDefaults: InflightGateOptions = { inflightMax: 512, peerInflightMax: 256, retryAfterMinMs: 20, retryAfterMaxMs: 5000 };

/** A card request refused at the door (nothing was run): RESOURCE_EXHAUSTED. */
export class InflightLimitError extends QuorumkitError {
  constructor(
    readonly limit: 'InflightMax' | 'PeerInflightMax',
    readonly max: number,
    readonly retryAfterMs: number,
  ) {
    super(
      'EINFLIGHT',
      `card server overloaded: ${max} requests already in flight ${limit === 'InflightMax' ? 'on this server' : 'from this connection'} (${limit}); nothing was run, retry after ${retryAfterMs} ms`,
    );
  }
}

/** Completions and refusals counted per 1 s slot; the last two slots give the rates. */
class SlotCounter {
  private slot = -1;
  private cur = 0;
  private prev = 0;

  add(nowMs: number, n = 1): void {
    this.roll(nowMs);
    this.cur += n;
  }

  /** Events over the last 1-2 s, and the seconds that covers. */
  recent(nowMs: number): { n: number; secs: number } {
    this.roll(nowMs);
    return { n: this.cur + this.prev, secs: 1 + (nowMs % 1000) / 1000 };
  }

  private roll(nowMs: number): void {
    const s = Math.floor(nowMs / 1000);
    if (s === this.slot) return;
    this.prev = s === this.slot + 1 ? this.cur : 0;
    this.cur = 0;
    this.slot = s;
  }
}

export class InflightGate {
  readonly opts: InflightGateOptions;
  private inflight = 0;
  private readonly perPeer = new Map<string, number>();
  private readonly done = new SlotCounter();
  private readonly refused = new SlotCounter();
  readonly stats = { admitted: 0, refusedServer: 0, refusedPeer: 0 };

  constructor(opts: Partial<InflightGateOptions> = {}) {
    this.opts = { ...inflightGateDefaults, ...opts };
    for (const k of ['inflightMax', 'peerInflightMax'] as const) {
      if (!Number.isInteger(this.opts[k]) || this.opts[k] < 1) throw new RangeError(`${k} must be a positive integer, got ${this.opts[k]}`);
    }
  }

  get inFlight(): number {
    return this.inflight;
  }

  /** Peers with a request in flight (the map never holds an idle peer, so it is bounded by inflightMax). */
  get peers(): number {
    return this.perPeer.size;
  }

  /**
   * Admit one request from `peer`, or throw InflightLimitError. The returned release must be
   * called exactly once when the request is answered (extra calls are ignored).
   */
  enter(peer: string, nowMs: number): (nowMs: number) => void {
    const p = this.perPeer.get(peer) ?? 0;
    if (this.inflight >= this.opts.inflightMax) {
      this.stats.refusedServer++;
      throw new InflightLimitError('InflightMax', this.opts.inflightMax, this.retryAfter(nowMs));
    }
    if (p >= this.opts.peerInflightMax) {
      this.stats.refusedPeer++;
      throw new InflightLimitError('PeerInflightMax', this.opts.peerInflightMax, this.retryAfter(nowMs));
    }
    this.inflight++;
    this.perPeer.set(peer, p + 1);
    this.stats.admitted++;
    let released = false;
    return (doneMs: number) => {
      if (released) return;
      released = true;
      this.inflight--;
      const left = (this.perPeer.get(peer) ?? 1) - 1;
      if (left <= 0) this.perPeer.delete(peer);
      else this.perPeer.set(peer, left);
      this.done.add(doneMs);
    };
  }

  /** Time the backlog (in flight + refused lately) needs at the recent completion rate. */
  private retryAfter(nowMs: number): number {
    this.refused.add(nowMs);
    const d = this.done.recent(nowMs);
    const r = this.refused.recent(nowMs);
    const { retryAfterMinMs: lo, retryAfterMaxMs: hi } = this.opts;
    // nothing finished lately (a burst at start-up): a second, then the measured rate decides
    if (d.n === 0) return Math.max(lo, Math.min(hi, 1000));
    const perSec = d.n / d.secs;
    // refusals counted, not clients: a client refused twice counts twice, which only lengthens
    // the hint while clients retry too often (self-correcting)
    const backlog = this.inflight + r.n;
    return Math.max(lo, Math.min(hi, Math.ceil((backlog / perSec) * 1000)));
  }
}
