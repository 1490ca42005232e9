// The linearizable reads in flight on one entity, as EntityCore runs them: a read first probes
// its entry (check-empty: a majority with nothing there and nothing chosen beyond means no
// write can have been chosen before the read began), else it waits for a Paxos round on that
// entry (write-for-read, or the write already in flight here). Pure bookkeeping; EntityCore
// decides what to send and propose.

export interface ReadState {
  readId: number;
  entry: bigint;
  stage: 'probe' | 'paxos';
  /** Acceptors that answered the probe with an empty record (ourselves included). */
  empties: Set<number>;
  since: number;
}

export class ReadTracker {
  private readonly reads: ReadState[] = [];

  constructor(private readonly acceptorId: number) {}

  get probing(): boolean {
    return this.reads.some((r) => r.stage === 'probe');
  }

  clear(): void {
    this.reads.length = 0;
  }

  /** A read that waits for the Paxos round on `entry` (a write in flight, write-for-read). */
  waitRound(readId: number, entry: bigint, now: number): void {
    const r = this.reads.find((x) => x.readId === readId);
    if (r) {
      r.stage = 'paxos';
      r.entry = entry;
    } else this.reads.push({ readId, entry, stage: 'paxos', empties: new Set(), since: now });
  }

  /** A read that probes `entry` (check-empty); our own empty record counts. */
  probe(readId: number, entry: bigint, now: number): void {
    this.reads.push({ readId, entry, stage: 'probe', empties: new Set([this.acceptorId]), since: now });
  }

  /** Probes of `entry`: `from` answered; ids of the reads that must fall back to a round. */
  probeAnswer(entry: bigint, from: number, empty: boolean, peerMaxChosen: bigint): number[] {
    const fallBack: number[] = [];
    for (const r of this.reads) {
      if (r.stage !== 'probe' || r.entry !== entry) continue;
      if (empty && peerMaxChosen < entry) r.empties.add(from);
      else if (peerMaxChosen < entry) fallBack.push(r.readId);
    }
    return fallBack;
  }

  /** Probes of `next` that a majority found empty (ownEmpty: ours still is): they are done. */
  takeProbed(next: bigint, need: number, ownEmpty: boolean): number[] {
    const done: number[] = [];
    for (let i = this.reads.length - 1; i >= 0; i--) {
      const r = this.reads[i]!;
      if (r.stage === 'probe' && r.entry === next && r.empties.size >= need && ownEmpty) {
        this.reads.splice(i, 1);
        done.push(r.readId);
      }
    }
    return done;
  }

  /**
   * `entry` was chosen. A read waiting on its round is safe at it only if our own (fresh)
   * value won it (then the entry was chosen after the read began); every other read up to it
   * probes the next entry again. Returns the reads done and whether any must probe again.
   */
  chosen(entry: bigint, mine: boolean): { done: number[]; reprobe: boolean } {
    const done: number[] = [];
    let reprobe = false;
    for (let i = this.reads.length - 1; i >= 0; i--) {
      const r = this.reads[i]!;
      if (r.entry > entry) continue;
      if (mine && r.entry === entry && r.stage === 'paxos') {
        this.reads.splice(i, 1);
        done.push(r.readId);
      } else {
        r.entry = entry + 1n;
        r.stage = 'probe';
        r.empties = new Set([this.acceptorId]);
        reprobe = true;
      }
    }
    return { done, reprobe };
  }

  /** A probe that got no majority within `ms` (lost probes, a busy peer). */
  stuck(now: number, ms: number): ReadState | undefined {
    return this.reads.find((r) => r.stage === 'probe' && now - r.since > ms);
  }

  /** The log restarts at `entry` (GetAll copied the entity): every read probes it afresh. */
  restartAt(entry: bigint, now: number): void {
    for (const r of this.reads) {
      r.entry = entry;
      r.stage = 'probe';
      r.empties = new Set([this.acceptorId]);
      r.since = now;
    }
  }
}
