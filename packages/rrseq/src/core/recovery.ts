// How a replica that lost its state (file deleted, corrupt, or never created) becomes a
// safe member again. It answers nothing meanwhile.
//
// A round first PROBEs the peers (cheap, changes nothing), then FENCEs them: a fenced
// peer changes its token (durably) and returns every value it holds, so any write that
// was prepared before the fence can no longer be accepted there. Recovery completes when
//  (i)  at least nodes - majority + 1 *ready* peers were fenced: every majority that ever
//       accepted a range through our lost state still has a member among them, so the
//       per-name maximum of their values covers every range issued; or
//  (ii) every peer was fenced and each one is recovering or ready-and-empty: no range has
//       ever been issued (a range needs a majority, and at most a minority of the nodes
//       may ever lose their state), which is how a fresh cluster starts.
// Pure: time and randomness come in as arguments, messages go out through drain().

import type { RecoveryConfig } from './config.js';
import { majority, type PeerOp, type PeerResult } from './types.js';

export interface RecoverySend {
  to: number;
  op: PeerOp;
}

export class Recovery {
  private phase: 'idle' | 'probe' | 'fence' = 'idle';
  private nextRoundAt = 0;
  private roundTimeoutAt = 0;
  private round = '';
  private results = new Map<number, PeerResult>();
  private sends: RecoverySend[] = [];
  private outcome: Map<string, bigint> | undefined;
  /** Why the last round did not complete (for logs). */
  lastReason = '';
  rounds = 0;

  constructor(
    private readonly nodes: number,
    private readonly self: number,
    private readonly cfg: RecoveryConfig,
    private readonly random: () => number,
    /** Prefix of every op id: unique to this recovery (and so to this incarnation). */
    private readonly session: string,
    /** Hash of the member set, stamped on every op. */
    private readonly membership = '',
  ) {}

  private get peers(): number {
    return this.nodes - 1;
  }

  private get needReady(): number {
    return this.nodes - majority(this.nodes) + 1;
  }

  get done(): boolean {
    return this.outcome !== undefined;
  }

  tick(now: number): void {
    if (this.done) return;
    if (this.phase !== 'idle' && now >= this.roundTimeoutAt) this.endRound(now, 'peers did not answer in time');
    if (this.phase === 'idle' && now >= this.nextRoundAt) this.startPhase('probe', now);
  }

  nextWakeAt(): number | undefined {
    if (this.done) return undefined;
    return this.phase === 'idle' ? this.nextRoundAt : this.roundTimeoutAt;
  }

  onResult(from: number, r: PeerResult, now: number): void {
    if (this.done || this.phase === 'idle' || r.id !== this.round || from === this.self) return;
    if (this.results.has(from)) return;
    this.results.set(from, r);
    this.evaluate(now);
  }

  drain(): { sends: RecoverySend[]; values?: Map<string, bigint> } {
    const sends = this.sends;
    this.sends = [];
    return { sends, values: this.outcome };
  }

  private startPhase(phase: 'probe' | 'fence', now: number): void {
    this.phase = phase;
    this.rounds += 1;
    this.round = `${this.session}.r${this.rounds}`;
    this.results = new Map();
    this.roundTimeoutAt = now + this.cfg.recoveryRoundTimeoutMs;
    const kind = phase === 'probe' ? 'PROBE' : 'FENCE';
    for (let n = 0; n < this.nodes; n++) {
      if (n !== this.self) this.sends.push({ to: n, op: { id: this.round, kind, name: '', from: 0n, to: 0n, token: '', membership: this.membership } });
    }
    this.evaluate(now);
  }

  private evaluate(now: number): void {
    // Distinct replicas, not peer slots: one server reached through two slots (a peer typed
    // twice, or under two names) is one replica and must count once.
    const byReplica = new Map<string, PeerResult>();
    for (const [from, r] of this.results) if (r.status === 'OK') byReplica.set(r.replica || `#${from}`, r);
    const ready = [...byReplica.values()];
    const all = this.results.size === this.peers;
    const allBlank = all && [...this.results.values()].every((r) => r.status === 'RECOVERING' || (r.status === 'OK' && r.empty));
    if (this.phase === 'probe') {
      if (ready.length >= this.needReady || allBlank) this.startPhase('fence', now);
      else if (all) this.endRound(now, `${ready.length} of ${this.needReady} needed peers are ready`);
      return;
    }
    if (ready.length >= this.needReady) {
      const values = new Map<string, bigint>();
      for (const r of ready) {
        for (const [name, v] of r.entries ?? []) {
          const cur = values.get(name);
          if (cur === undefined || v > cur) values.set(name, v);
        }
      }
      this.outcome = values;
    } else if (allBlank) this.outcome = new Map();
    else if (all) this.endRound(now, `${ready.length} of ${this.needReady} needed peers are ready`);
  }

  private endRound(now: number, reason: string): void {
    this.lastReason = reason;
    this.phase = 'idle';
    this.nextRoundAt = now + Math.floor(this.cfg.recoveryIntervalMs * (0.5 + this.random()));
  }
}
