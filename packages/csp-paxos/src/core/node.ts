// The four processor cores of one node wired together synchronously: what the simulator runs.
// (The real server runs the same cores as separate CSP loops connected by channels.)
import { Acceptor, type AcceptorState } from './acceptor.js';
import { Learner } from './learner.js';
import { Proposer } from './proposer.js';
import { Router } from './router.js';
import type { AcceptorRecord, CoreConfig, Entry, Input, KeySeen, LogLine, Msg, ProcName, Processor } from './types.js';

export interface NodeIO {
  /** Must be durable when it returns (the simulator's storage.sync()). */
  persist(records: AcceptorRecord[]): void;
  /** The acceptor forgot slots below `base`: replace its durable state with `snapshot` (atomically). */
  compact?(snapshot: Iterable<AcceptorRecord>, base: number): void;
  /** The learner dropped every slot below `base`: the instance log starts there now. */
  truncate?(base: number, keys: KeySeen[]): void;
  send(msg: Msg): void;
  line(l: LogLine): void;
  reply(ref: number, slot: number): void;
}

export interface Restored {
  acceptor: AcceptorState;
  committed: Entry[];
  /** Slot of `committed[0]` (the instance log's truncation base; default 0). */
  base?: number;
  /** Client keys of the dedup window below `base` (saved with it). */
  keys?: KeySeen[];
  /** The acceptor state is lost or damaged: re-learn it before voting (see recovery.ts). */
  recovering?: boolean;
}

export class CoreNode {
  readonly cfg: CoreConfig;
  readonly router: Router;
  readonly acceptor: Acceptor;
  readonly proposer: Proposer;
  readonly learner: Learner;
  private readonly procs: Record<ProcName, Processor>;
  private readonly io: NodeIO;
  private readonly queue: Array<[ProcName, Input]> = [];
  private running = false;

  constructor(cfg: CoreConfig, restored: Restored, genKey: (slot: number, round: number) => string, io: NodeIO, nowMs: number) {
    this.cfg = cfg;
    this.io = io;
    this.acceptor = new Acceptor(cfg, restored.acceptor, restored.recovering ?? false);
    this.router = new Router(cfg, restored.acceptor.promised, nowMs, restored.recovering ?? false);
    this.learner = new Learner(cfg, restored.committed, restored.base ?? 0, restored.keys ?? []);
    this.proposer = new Proposer(cfg, genKey, this.learner.commitIndex);
    this.procs = { router: this.router, leader: this.proposer, follower: this.acceptor, consensus: this.learner };
  }

  start(nowMs: number): void {
    this.router.start(nowMs);
    this.flush('router', nowMs);
    this.drain(nowMs);
  }

  deliver(msg: Msg, nowMs: number): void {
    this.post('router', { kind: 'net', msg }, nowMs);
  }

  tick(nowMs: number): void {
    for (const p of ['router', 'leader', 'follower', 'consensus'] as const) this.queue.push([p, { kind: 'tick' }]);
    this.drain(nowMs);
  }

  clientPropose(key: string, data: string, ref: number, nowMs: number): void {
    this.post('router', { kind: 'client', key, data, ref }, nowMs);
  }

  private post(to: ProcName, input: Input, nowMs: number): void {
    this.queue.push([to, input]);
    this.drain(nowMs);
  }

  private drain(nowMs: number): void {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const [to, input] = this.queue.shift()!;
        this.procs[to].handle(input, nowMs);
        this.flush(to, nowMs);
      }
    } finally {
      this.running = false;
    }
  }

  private flush(from: ProcName, _nowMs: number): void {
    const out = this.procs[from].takeOutput();
    if (out.persist.length > 0) this.io.persist(out.persist);
    if (out.compact !== undefined) this.io.compact?.(this.acceptor.snapshot(), out.compact);
    for (const l of out.lines) this.io.line(l);
    if (out.truncate !== undefined) this.io.truncate?.(out.truncate.base, out.truncate.keys);
    for (const m of out.net) {
      m.inc = this.cfg.incarnation;
      if (m.to === this.cfg.id) this.queue.push(['router', { kind: 'net', msg: m }]);
      else this.io.send(m);
    }
    for (const { to, ev } of out.local) this.queue.push([to, ev]);
    for (const r of out.replies) this.io.reply(r.ref, r.slot);
  }
}
