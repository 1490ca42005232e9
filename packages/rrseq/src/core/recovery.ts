// How a replica that lost its state (file deleted, corrupt, or never created) becomes a
// safe member again. It answers nothing meanwhile.
//
// A round first PROBEs the peers (cheap, changes nothing), then FENCEs them: a fenced
// peer changes its token (durably) and returns every value it holds, so any write that
// was prepared before the fence can no longer be accepted there. Recovery completes only
// when at least nodes - majority + 1 distinct *ready* replicas (bootstrapped members of
// one cluster) were fenced: every majority that ever accepted a range through our lost
// state still has a member among them, so the per-name maximum of their values covers
// every range issued. Blank or recovering peers never count, and nothing here ever starts
// a cluster: that takes an explicit init (bootstrap.ts). With too few ready peers (a
// majority lost, or total loss) it keeps refusing and says why and what the way out is.
// Pure: time and randomness come in as arguments, messages go out through drain().

import type { RecoveryConfig } from './config.js';
import { majority, type PeerOp, type PeerResult } from './types.js';

export interface RecoverySend {
  to: number;
  op: PeerOp;
}

export interface RecoveryOutcome {
  values: Map<string, bigint>;
  cluster: string;
  floor: bigint;
}

export class Recovery {
  private phase: 'idle' | 'probe' | 'fence' = 'idle';
  private nextRoundAt = 0;
  private roundTimeoutAt = 0;
  private round = '';
  private results = new Map<number, PeerResult>();
  private sends: RecoverySend[] = [];
  private outcome: RecoveryOutcome | undefined;
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
    /** The cluster this replica belonged to before its state was lost ('' if unknown). */
    private readonly knownCluster = '',
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
    if (this.phase !== 'idle' && now >= this.roundTimeoutAt) {
      const ready = new Set([...this.results].filter(([, r]) => r.status === 'OK').map(([from, r]) => r.replica || `#${from}`));
      this.endRound(now, this.shortReason(ready.size));
    }
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

  drain(): { sends: RecoverySend[]; outcome?: RecoveryOutcome } {
    const sends = this.sends;
    this.sends = [];
    return this.outcome ? { sends, outcome: this.outcome } : { sends };
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
    const clusters = new Set(ready.map((r) => r.cluster ?? ''));
    if (this.knownCluster !== '') clusters.add(this.knownCluster);
    if (clusters.size > 1) {
      this.endRound(now, `ready peers and this server belong to different clusters (${[...clusters].join(', ')}): check every server's peer list`);
      return;
    }
    if (ready.length < this.needReady) {
      if (all) this.endRound(now, this.shortReason(ready.length));
      return;
    }
    if (this.phase === 'probe') {
      this.startPhase('fence', now);
      return;
    }
    const values = new Map<string, bigint>();
    let floor = 0n;
    for (const r of ready) {
      if (r.floor !== undefined && r.floor > floor) floor = r.floor;
      for (const [name, v] of r.entries ?? []) {
        const cur = values.get(name);
        if (cur === undefined || v > cur) values.set(name, v);
      }
    }
    this.outcome = { values, cluster: [...clusters][0] ?? '', floor: floor > 0n ? floor : 1n };
  }

  /** Why a round could not complete, with the way out when no peer can ever help. */
  private shortReason(ready: number): string {
    const blank = [...this.results.values()].filter((r) => r.status === 'RECOVERING' && r.blank).length;
    const lost = [...this.results.values()].filter((r) => r.status === 'RECOVERING' && !r.blank).length;
    const silent = this.peers - this.results.size;
    const head = `${ready} of the ${this.needReady} ready peers needed to rebuild this server's state (${lost} recovering, ${blank} blank, ${silent} not answering)`;
    if (ready === 0 && lost === 0 && silent === 0) {
      return `${head}: no server holds a cluster; if this is a new cluster, form it with an explicit init (rrseq-server --init, or rrseq-admin init); if these servers lost their disks, init would restart every sequence at 1: use rrseq-admin force-recover --floor N (N above every ID ever handed out)`;
    }
    if (silent === 0 || ready + silent < this.needReady) {
      return `${head}: if a majority of the servers lost their disks, no ID can be proved unused; the operator may run rrseq-admin force-recover --floor N (N above every ID ever handed out)`;
    }
    return `${head}: waiting for them`;
  }

  private endRound(now: number, reason: string): void {
    this.lastReason = reason;
    this.phase = 'idle';
    this.nextRoundAt = now + Math.floor(this.cfg.recoveryIntervalMs * (0.5 + this.random()));
  }
}
