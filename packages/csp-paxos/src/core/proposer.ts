// The leader processor's core. Leading round r it first syncs (READ -> GATHER from a majority,
// adopting per slot the value accepted in the highest round, filling unchosen holes with new
// values, IMPOSE -> ACK -> DECIDE), then streams new slots (PROPOSE -> ACK -> COMMIT) in
// pipelined batches until `interval` slots are proposed, and hands over with a BUMP as soon as
// the last of them is sent: the next leader's read overlaps this round's last acknowledgements,
// which this leader still collects and commits (tail.ts).
// Phase 1's answers and their merge live in roundRead.ts, the batches in flight in
// batchWindow.ts, the client values in clientValues.ts.
import { BatchWindow, takeRun } from './batchWindow.js';
import { ClientValues } from './clientValues.js';
import { RoundRead, planRound } from './roundRead.js';
import { RoundTail } from './tail.js';
import { type CoreConfig, type Entry, type Input, type Msg, ProcessorBase, leaderOf } from './types.js';

type Phase = 'idle' | 'reading' | 'streaming';

export class Proposer extends ProcessorBase {
  private readonly cfg: CoreConfig;
  /** A new instance id for `slot` of `round` (the shell ignores the arguments; the explorer's keys are pure). */
  private readonly genKey: (slot: number, round: number) => string;
  round = -1;
  phase: Phase = 'idle';
  private estRound = 0;
  private commitHint: number;
  /** Slots the learner knows are chosen somewhere (its knownMax). */
  private knownHint: number;
  /** First round this node handed on for lagging (undefined while caught up). */
  private lagSkipFrom: number | undefined;
  /** Leader turns handed on because the learner lagged (stats). */
  lagSkips = 0;
  private readFrom = 0;
  private readonly read: RoundRead;
  private lastReadMs = 0;
  private readRetryMs = 0;
  private nextSlot = 0;
  private imposeQueue: Entry[] = [];
  /** Adopted values are not imposed before this (the previous leader's COMMIT may make it moot). */
  private imposeAfterMs = 0;
  /** This round began with the previous leader's HANDOVER (it is alive and finishing its tail). */
  private byHandover = false;
  private readonly window: BatchWindow;
  private proposedInRound = 0;
  private handedOver = false;
  private lastProgressMs = 0;
  private lastHeartbeatMs = 0;
  private lastPeerAnswerMs = 0;
  private readonly clients: ClientValues;
  /** Slots this node chose as leader (for tests and stats). */
  committedCount = 0;
  /** Per node: the end of the highest batch it acknowledged to this leader (metrics: lag). */
  readonly ackedUpTo: number[];
  /** Batches of rounds this node handed on while they were in flight. */
  readonly tail: RoundTail;

  constructor(cfg: CoreConfig, genKey: (slot: number, round: number) => string, commitIndex = 0) {
    super();
    this.cfg = cfg;
    this.genKey = genKey;
    this.commitHint = commitIndex;
    this.knownHint = commitIndex;
    this.ackedUpTo = new Array<number>(cfg.n).fill(0);
    this.tail = new RoundTail(cfg.n, cfg.windowBatchesMax);
    this.read = new RoundRead(cfg.id, cfg.n);
    this.window = new BatchWindow(cfg.n);
    this.clients = new ClientValues(cfg.clientQueueMax);
  }

  /** The next slot this leader will propose (0 while not streaming). */
  get proposedUpTo(): number {
    return this.phase === 'streaming' ? this.nextSlot : 0;
  }

  handle(input: Input, nowMs: number): void {
    switch (input.kind) {
      case 'role':
        this.onRole(input.round, input.lead, nowMs, input.handover === true);
        return;
      case 'commitIndex':
        this.commitHint = Math.max(this.commitHint, input.index);
        this.knownHint = Math.max(this.knownHint, input.known ?? input.index, this.commitHint);
        if (this.knownHint - this.commitHint <= this.cfg.lagSlotsMax) this.lagSkipFrom = undefined;
        this.tail.prune(this.commitHint, nowMs, this.cfg.timeoutMs);
        if (this.phase === 'streaming' && this.imposeQueue.length > 0) this.pump(nowMs);
        return;
      case 'fence':
        // A restarted peer may have lost what it promised or accepted: its old answers do not count.
        this.read.fence(input.node);
        this.window.fence(input.node);
        this.tail.fence(input.node);
        return;
      case 'tick':
        this.onTick(nowMs);
        return;
      case 'net':
        this.onNet(input.msg, nowMs);
        return;
      default:
        return;
    }
  }

  private send(to: number, msg: Omit<Msg, 'from' | 'to'>): void {
    this.out.net.push({ ...msg, from: this.cfg.id, to });
  }

  private broadcast(msg: Omit<Msg, 'from' | 'to'>): void {
    for (let j = 0; j < this.cfg.n; j++) this.send(j, msg);
  }

  private onRole(round: number, lead: boolean, nowMs: number, handover = false): void {
    this.estRound = Math.max(this.estRound, round);
    if (lead && round > this.round && this.handOnForLag(round)) {
      this.stepDown(round, nowMs);
      this.emit('router', { kind: 'bump', round: round + 1 });
      return;
    }
    if (lead && round > this.round) this.startRound(round, nowMs, handover);
    else if (round > this.round) this.stepDown(round, nowMs);
  }

  private stepDown(round: number, nowMs: number): void {
    // A round handed on with batches in flight: their ACKs still choose them (tail.ts).
    const inFlight = this.window.clear();
    if (this.handedOver && inFlight.length > 0) this.tail.keep(inFlight, nowMs);
    this.handedOver = false;
    this.round = round;
    this.phase = 'idle';
    this.imposeQueue = [];
    this.read.reset();
    // Client values we never proposed go to the next leader instead of waiting for a retry.
    const next = leaderOf(round, this.cfg.n);
    if (next !== this.cfg.id) {
      for (const v of this.clients.takeAll()) {
        this.send(next, { type: 'FORWARD', round, seq: 0, hops: 1, entries: [{ slot: -1, round: -1, key: v.key, data: v.data }] });
      }
    }
  }

  /**
   * A lagging node hands its turn on, but only for one cycle of the ranks: if every other node
   * had its turn since and the round came back, nobody better is leading (they may be down),
   * and a slow read from far behind still beats no leader at all.
   */
  private handOnForLag(round: number): boolean {
    if (this.knownHint - this.commitHint <= this.cfg.lagSlotsMax) return false;
    this.lagSkipFrom ??= round;
    if (round >= this.lagSkipFrom + this.cfg.n) return false;
    this.lagSkips++;
    return true;
  }

  private startRound(round: number, nowMs: number, handover = false): void {
    this.stepDown(round, nowMs);
    this.phase = 'reading';
    this.readFrom = this.commitHint;
    this.clients.forgetRecent();
    this.proposedInRound = 0;
    this.handedOver = false;
    this.byHandover = handover;
    this.lastProgressMs = nowMs;
    this.lastPeerAnswerMs = 0;
    this.lastReadMs = nowMs;
    this.readRetryMs = this.cfg.retryMs;
    // Everyone promises in parallel; nothing is proposed in this round before our own acceptor's
    // promise is durable, so a restart never proposes in a round it proposed in before.
    // Handed over by HANDOVER, the acceptors answer it unasked: a READ now would race the old
    // leader's last batch to them (a READ first makes them refuse that batch), so READ goes
    // only to those still silent after a retry interval.
    if (!handover) this.broadcast({ type: 'READ', round, seq: this.readFrom });
  }

  private onNet(msg: Msg, nowMs: number): void {
    if (msg.type === 'FORWARD') {
      this.onForward(msg, nowMs);
      return;
    }
    if (msg.type === 'NACK') {
      if (msg.round > this.round && this.phase !== 'idle') {
        this.phase = 'idle';
        this.emit('router', { kind: 'bump', round: msg.round });
      }
      return;
    }
    if (msg.type === 'ACK' && msg.round < this.round) {
      const decided = this.tail.onAck(msg);
      if (decided) {
        this.committedCount += decided.upTo! - decided.seq;
        this.broadcast(decided);
      }
      return;
    }
    if (msg.round !== this.round) return;
    if (msg.type === 'GATHER' && this.phase === 'reading') this.onGather(msg, nowMs);
    else if (msg.type === 'ACK' && this.phase === 'streaming') this.onAck(msg, nowMs);
  }

  private onForward(msg: Msg, nowMs: number): void {
    const e = msg.entries?.[0];
    if (!e || typeof e.key !== 'string') return;
    if (this.phase !== 'idle') {
      if (this.clients.offer(e.key, e.data ?? '')) this.pump(nowMs);
      return;
    }
    const hops = msg.hops ?? 0;
    const leader = leaderOf(this.estRound, this.cfg.n);
    // Pass it on once or twice if we know a better leader; else the client retries.
    if (hops < 2 && leader !== this.cfg.id) this.send(leader, { type: 'FORWARD', round: this.estRound, seq: 0, hops: hops + 1, entries: [e] });
  }

  private onGather(msg: Msg, nowMs: number): void {
    if (this.read.has(msg.from)) return;
    if (msg.from !== this.cfg.id) this.lastPeerAnswerMs = nowMs;
    if (this.read.add(msg)) this.finishRead(nowMs);
  }

  /** Paxos phase 1 result: per slot, the value accepted in the highest round wins. */
  private finishRead(nowMs: number): void {
    // Slots below a compacted acceptor's base, and those this node committed while it read (the
    // previous leader's last batches, chosen meanwhile), are chosen: nothing is re-imposed there.
    const result = this.read.merge(this.readFrom, this.commitHint);
    this.readFrom = result.from;
    this.read.reset();
    // Slots a majority accepted in one round are chosen: their COMMIT of that round goes out now
    // and every learner that holds the value commits it. After a leader crash that is most of
    // its last window: only the batches still in flight are re-imposed.
    const plan = planRound(result, this.round, (s) => this.newValue(s));
    for (const c of plan.commits) {
      this.broadcast({ type: 'COMMIT', round: c.round, seq: c.from, upTo: c.to });
      this.committedCount += c.to - c.from;
    }
    for (const k of plan.clientKeys) this.clients.remember(k);
    this.imposeQueue = plan.imposes;
    // A client value this read found accepted is chosen or re-imposed at its slot: drop its queued retries.
    if (this.clients.length > 0) this.clients.dropKeys(plan.keys);
    const maxSlot = result.maxSlot;
    this.nextSlot = maxSlot + 1;
    // Handed over, what the read adopted is usually the previous round's last batches, which
    // their leader (its tail) commits a moment later: wait that long before imposing them again,
    // so the acceptors do not write every slot twice. New slots go out at once meanwhile.
    // Without a HANDOVER (a timeout or a lost connection: the previous leader is presumably
    // gone) nobody else will commit them, and the learners commit in slot order, so nothing
    // this round proposes commits before they do: they go first, at once.
    this.imposeAfterMs = this.byHandover ? nowMs + Math.floor(this.cfg.retryMs / 2) : nowMs;
    this.phase = 'streaming';
    this.lastProgressMs = nowMs;
    this.pump(nowMs);
  }

  private newValue(slot: number): { key: string; data?: string } {
    const c = this.clients.shift();
    const v = c ?? { key: this.genKey(slot, this.round) };
    this.out.lines.push({ kind: 'generate', key: v.key, slot });
    return v;
  }

  private pump(nowMs: number): void {
    while (this.phase === 'streaming') {
      // Adopted slots this node committed meanwhile are chosen: they need no IMPOSE.
      if (this.imposeQueue.length > 0 && this.imposeQueue[0]!.slot < this.commitHint) this.imposeQueue = this.imposeQueue.filter((e) => e.slot >= this.commitHint);
      const full = this.window.length >= this.cfg.windowBatchesMax;
      if (this.imposeQueue.length > 0 && nowMs >= this.imposeAfterMs && !full) {
        this.sendBatch('IMPOSE', takeRun(this.imposeQueue, this.cfg.batchSlotsMax), nowMs);
        continue;
      }
      // A window full of re-imposed batches still takes one new batch: it reaches the acceptors
      // with them (one fsync), so after a fail-over new values commit one accept round sooner.
      if (full && this.window.proposing()) break;
      // Invented values fill the round up to `interval`; client values are never held back
      // for the next round (they may run a round a little past `interval`).
      const inventRoom = this.cfg.generate ? Math.max(0, this.cfg.interval - this.proposedInRound) : 0;
      const count = this.handedOver ? 0 : Math.min(this.cfg.batchSlotsMax, this.clients.length + inventRoom);
      if (count <= 0) break;
      const entries: Entry[] = [];
      for (let i = 0; i < count; i++) {
        const slot = this.nextSlot++;
        const v = this.newValue(slot);
        const entry: Entry = { slot, round: this.round, key: v.key };
        if (v.data !== undefined && v.data !== '') entry.data = v.data;
        entries.push(entry);
      }
      this.proposedInRound += count;
      this.sendBatch('PROPOSE', entries, nowMs);
    }
    if (this.phase === 'streaming' && !this.handedOver && this.window.length <= this.cfg.overlapBatchesMax && this.imposeQueue.length === 0 && this.clients.length === 0 && this.proposedInRound >= this.cfg.interval) {
      // Round end: every slot of the round is sent; hand leadership to the next rank now, so its
      // read runs while the last batches are acknowledged (they stay in the tail). HANDOVER
      // follows the last batch on every link: each acceptor promises the next round in the
      // same fsync as that batch and answers the next leader at once.
      // (No BUMP: every router, this node's included, moves on when the HANDOVER arrives.)
      this.handedOver = true;
      this.broadcast({ type: 'HANDOVER', round: this.round + 1, seq: this.chosenBelow() });
    }
  }

  /**
   * Every slot below this is chosen: below this round's read start they were (committed or
   * compacted), and of the slots this round sent only those in batches still in the window lack
   * a majority's ACKs.
   */
  private chosenBelow(): number {
    return this.window.lowestFrom(this.nextSlot);
  }

  private sendBatch(type: 'IMPOSE' | 'PROPOSE', entries: Entry[], nowMs: number): void {
    const b = this.window.open(type, this.round, entries, nowMs, this.cfg.retryMs);
    this.broadcast({ type, round: this.round, seq: b.from, upTo: b.to, entries });
  }

  private onAck(msg: Msg, nowMs: number): void {
    const counted = this.window.ack(msg);
    if (!counted) return;
    const b = counted.batch;
    if (msg.from >= 0 && msg.from < this.cfg.n && b.to > this.ackedUpTo[msg.from]!) this.ackedUpTo[msg.from] = b.to;
    // Any peer still answering means we are not cut off, just slow (a busy disk): keep the round.
    if (msg.from !== this.cfg.id) this.lastPeerAnswerMs = nowMs;
    if (!counted.chosen) return;
    this.committedCount += b.to - b.from;
    this.lastProgressMs = nowMs;
    this.broadcast({ type: b.type === 'IMPOSE' ? 'DECIDE' : 'COMMIT', round: this.round, seq: b.from, upTo: b.to });
    this.pump(nowMs);
  }

  private onTick(nowMs: number): void {
    this.tail.prune(this.commitHint, nowMs, this.cfg.timeoutMs);
    if (this.phase === 'idle') return;
    // Nothing outstanding is not being stuck: the progress clock only runs while we wait.
    if (this.phase === 'streaming' && this.window.length === 0) this.lastProgressMs = nowMs;
    if (nowMs - Math.max(this.lastProgressMs, this.lastPeerAnswerMs) > 2 * this.cfg.timeoutMs) {
      // No majority answers for two timeouts: give the next rank a chance. Not one: acceptors
      // answer only once their batch is fsynced, and a window of 8192 slots took 150-700 ms to
      // sync on a loaded machine; a new leader would face the same disks with a larger read,
      // and a leader cut off from the others is replaced after one timeout anyway (their
      // routers stop hearing its heartbeats).
      this.phase = 'idle';
      this.emit('router', { kind: 'bump', round: this.round + 1 });
      return;
    }
    // Adopted values whose wait is over (tick-driven: nothing else arrives for them).
    if (this.phase === 'streaming' && this.imposeQueue.length > 0) this.pump(nowMs);
    if (this.phase === 'reading') {
      if (nowMs - this.lastReadMs >= this.readRetryMs) {
        this.lastReadMs = nowMs;
        this.readRetryMs = Math.min(this.readRetryMs * 2, this.cfg.timeoutMs);
        for (let j = 0; j < this.cfg.n; j++) {
          if (this.read.has(j)) continue;
          this.send(j, { type: 'READ', round: this.round, seq: this.readFrom });
        }
      }
    } else {
      for (const { batch: b, to } of this.window.due(nowMs, this.cfg.timeoutMs)) {
        for (const j of to) this.send(j, { type: b.type, round: this.round, seq: b.from, upTo: b.to, entries: b.entries });
      }
    }
    if (nowMs - this.lastHeartbeatMs >= Math.min(this.cfg.retryMs, this.cfg.timeoutMs / 4)) {
      // Followers that already answered hear nothing while we wait for slow disks elsewhere:
      // an empty COMMIT tells them the leader is alive, so they do not move the round on.
      this.lastHeartbeatMs = nowMs;
      const at = this.phase === 'streaming' ? this.nextSlot : 0;
      this.broadcast({ type: 'COMMIT', round: this.round, seq: at, upTo: at });
    }
  }
}
