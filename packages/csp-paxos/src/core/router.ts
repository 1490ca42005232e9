// The message processor: tracks the estimated round (`estRound`), routes network messages to
// the processor that owns them, and moves the round on (BUMP) on timeouts, round ends and
// higher rounds seen. Leader of round r is r % N.
import { type CoreConfig, type Input, type Msg, ProcessorBase, leaderOf } from './types.js';

const FROM_LEADER = new Set(['READ', 'IMPOSE', 'PROPOSE', 'COMMIT', 'DECIDE']);

export class Router extends ProcessorBase {
  private readonly cfg: CoreConfig;
  estRound: number;
  /**
   * Rounds below this are never led by this node (it may have led them before a restart).
   * Infinite while the acceptor re-learns a lost state: the floor is not known yet.
   */
  minLeadRound: number;
  private lastContactMs: number;
  bumps = 0;
  /** Highest incarnation seen per node; messages from older ones are dropped (fenced). */
  readonly incs: number[];
  fenced = 0;

  /** `promised` is the acceptor's durable promise (-1 on a fresh node). */
  constructor(cfg: CoreConfig, promised: number, nowMs: number, recovering = false) {
    super();
    this.cfg = cfg;
    this.estRound = Math.max(0, promised);
    this.minLeadRound = recovering ? Infinity : promised + 1;
    this.lastContactMs = nowMs;
    this.incs = new Array<number>(cfg.n).fill(0);
    this.incs[cfg.id] = cfg.incarnation;
  }

  /** Raises what we know of `node`'s incarnation; its earlier incarnations' votes are void. */
  private learnInc(node: number, inc: number): void {
    if (node === this.cfg.id || !(node >= 0 && node < this.cfg.n) || !Number.isSafeInteger(inc)) return;
    if (inc <= this.incs[node]!) return;
    this.incs[node] = inc;
    this.emit('leader', { kind: 'fence', node, inc });
    this.emit('follower', { kind: 'fence', node, inc });
  }

  /** Tell the leader processor its role for the starting round. */
  start(nowMs: number): void {
    this.lastContactMs = nowMs;
    this.announce();
  }

  handle(input: Input, nowMs: number): void {
    switch (input.kind) {
      case 'net':
        this.onNet(input.msg, nowMs);
        return;
      case 'tick':
        this.onTick(nowMs);
        return;
      case 'bump':
        this.bump(input.round, nowMs);
        return;
      case 'recovered':
        // Never lead a round at or below the floor: this node may have led it before the loss.
        this.minLeadRound = input.floor + 1;
        if (input.floor > this.estRound) this.observe(input.floor, nowMs);
        else this.announce();
        return;
      case 'peerDown':
        // The leader's connection reset: suspect it now instead of after a whole timeout.
        // (Only a suspicion: a wrong one just costs a round change, never safety.)
        if (input.node === leaderOf(this.estRound, this.cfg.n) && input.node !== this.cfg.id) this.bump(this.estRound + 1, nowMs);
        return;
      case 'client':
        // Watch locally for the commit, forward the value to the leader we believe in.
        this.emit('consensus', { kind: 'watch', key: input.key, ref: input.ref });
        this.out.net.push({
          type: 'FORWARD',
          from: this.cfg.id,
          to: leaderOf(this.estRound, this.cfg.n),
          round: this.estRound,
          seq: 0,
          hops: 0,
          entries: [{ slot: -1, round: -1, key: input.key, data: input.data }],
        });
        return;
      default:
        return;
    }
  }

  private onNet(msg: Msg, nowMs: number): void {
    if (msg.inc !== undefined && msg.from !== this.cfg.id) {
      if (msg.inc < this.incs[msg.from]!) {
        this.fenced++;
        return;
      }
      this.learnInc(msg.from, msg.inc);
    }
    // Fences first, so the leader forgets a restarted peer's old votes before it counts this one.
    if (msg.incs) for (let j = 0; j < msg.incs.length && j < this.cfg.n; j++) this.learnInc(j, msg.incs[j]!);
    if (msg.type === 'BUMP') {
      this.observe(msg.round, nowMs);
      return;
    }
    if (msg.round > this.estRound) this.observe(msg.round, nowMs, msg.type === 'HANDOVER');
    if (FROM_LEADER.has(msg.type) && msg.round === this.estRound && msg.from === leaderOf(msg.round, this.cfg.n)) {
      this.lastContactMs = nowMs;
    }
    switch (msg.type) {
      case 'READ':
      case 'IMPOSE':
      case 'PROPOSE':
      case 'HANDOVER':
      case 'RECOVER':
      case 'STATE':
        this.emit('follower', { kind: 'net', msg });
        return;
      case 'GATHER':
      case 'ACK':
      case 'NACK':
        this.emit('leader', { kind: 'net', msg });
        return;
      case 'FORWARD':
        // Through the learner first: a retried client value it already committed is not proposed again.
        this.emit('consensus', { kind: 'net', msg });
        return;
      case 'COMMIT':
      case 'DECIDE':
      case 'CATCHUP':
        this.emit('consensus', { kind: 'net', msg });
        return;
    }
  }

  private onTick(nowMs: number): void {
    const iLead = leaderOf(this.estRound, this.cfg.n) === this.cfg.id && this.estRound >= this.minLeadRound;
    // A leading node times itself out (leader processor); everyone else waits for the leader.
    if (!iLead && nowMs - this.lastContactMs > this.cfg.timeoutMs) this.bump(this.estRound + 1, nowMs);
  }

  private bump(round: number, nowMs: number): void {
    if (round <= this.estRound) return;
    this.bumps++;
    this.observe(round, nowMs);
    for (let j = 0; j < this.cfg.n; j++) {
      if (j !== this.cfg.id) this.out.net.push({ type: 'BUMP', from: this.cfg.id, to: j, round, seq: 0 });
    }
  }

  private observe(round: number, nowMs: number, handover = false): void {
    if (round <= this.estRound) return;
    this.estRound = round;
    this.lastContactMs = nowMs;
    this.announce(handover);
  }

  private announce(handover = false): void {
    const leader = leaderOf(this.estRound, this.cfg.n);
    const lead = leader === this.cfg.id && this.estRound >= this.minLeadRound;
    this.emit('leader', handover && lead ? { kind: 'role', round: this.estRound, lead, handover } : { kind: 'role', round: this.estRound, lead });
    this.emit('consensus', { kind: 'leaderHint', node: leader });
  }
}
