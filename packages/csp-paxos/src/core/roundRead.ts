// Paxos phase 1 of one round, as the leader sees it: the GATHERs (promise + accepted entries)
// of the acceptors, counted once per node, and their merge into what the round must re-impose.
// The proposer owns the timing (when to READ, retries); this only collects and merges.
import { type Entry, type Msg, majority } from './types.js';

export interface ReadResult {
  /** First slot the round proposes or re-imposes (everything below is chosen). */
  from: number;
  /** Per slot at or above `from`: the entry accepted in the highest round any answer holds. */
  best: Map<number, Entry>;
  /** Highest slot any answer holds (from - 1 when none). */
  maxSlot: number;
  /**
   * Slots whose best entry a majority of the answers hold, same round and key: a majority
   * accepted that value in that round, so it is chosen (Paxos) and needs no second phase 2.
   */
  chosen: Set<number>;
}

export class RoundRead {
  private readonly self: number;
  private readonly n: number;
  private readonly gathered = new Map<number, Entry[]>();
  /** Highest compaction base a GATHER of this round named. */
  private base = 0;
  /** Our own acceptor's promise is durable: only then may this round propose anything. */
  private selfPromised = false;

  constructor(self: number, n: number) {
    this.self = self;
    this.n = n;
  }

  /** Forgets every answer (a new round, or the read is over). */
  reset(): void {
    this.gathered.clear();
    this.base = 0;
    this.selfPromised = false;
  }

  /** Nodes that answered, and whether our own acceptor did (debug view). */
  answered(): { nodes: number[]; self: boolean } {
    return { nodes: [...this.gathered.keys()], self: this.selfPromised };
  }

  has(node: number): boolean {
    return this.gathered.has(node);
  }

  /** A restarted peer may have lost what it promised or accepted: its answer no longer counts. */
  fence(node: number): void {
    this.gathered.delete(node);
  }

  /** Counts one GATHER (a node's first only); true once a majority, our own included, answered. */
  add(msg: Msg): boolean {
    if (this.gathered.has(msg.from)) return false;
    // That acceptor compacted below `base`: those slots are chosen (its node committed them), so
    // this round reads and proposes only from there on; the learner fetches the rest.
    if (Number.isSafeInteger(msg.base) && msg.base! > this.base) this.base = msg.base!;
    this.gathered.set(msg.from, msg.entries ?? []);
    if (msg.from === this.self) this.selfPromised = true;
    return this.selfPromised && this.gathered.size >= majority(this.n);
  }

  /**
   * The phase 1 result from `readFrom` (where the READ asked from) and `committed` (what this
   * node's learner committed meanwhile): slots below either, or below a compacted acceptor's
   * base, are chosen and left alone; above, per slot the value accepted in the highest round wins.
   */
  merge(readFrom: number, committed: number): ReadResult {
    const from = Math.max(readFrom, this.base, committed);
    const best = new Map<number, Entry>();
    let maxSlot = from - 1;
    for (const entries of this.gathered.values()) {
      for (const e of entries) {
        if (e.slot < from) continue;
        const b = best.get(e.slot);
        if (!b || e.round > b.round) best.set(e.slot, e);
        if (e.slot > maxSlot) maxSlot = e.slot;
      }
    }
    // Each acceptor holds one entry per slot (its highest round): count the answers that hold
    // exactly the winning one.
    const votes = new Map<number, number>();
    for (const entries of this.gathered.values()) {
      for (const e of entries) {
        const b = e.slot >= from ? best.get(e.slot) : undefined;
        if (b && b.round === e.round && b.key === e.key) votes.set(e.slot, (votes.get(e.slot) ?? 0) + 1);
      }
    }
    const chosen = new Set<number>();
    const need = majority(this.n);
    for (const [slot, v] of votes) if (v >= need) chosen.add(slot);
    return { from, best, maxSlot, chosen };
  }
}

/** What a finished read leads to: COMMITs of chosen runs, then the slots to re-impose. */
export interface ReadPlan {
  /** Runs of consecutive slots chosen in one round: COMMIT(round, from..to) commits them anywhere they are held. */
  commits: Array<{ round: number; from: number; to: number }>;
  /** Entries of this round for every other slot up to maxSlot (adopted values and fillers). */
  imposes: Entry[];
  /** Keys of every adopted value (chosen or re-imposed): queued retries of them are dropped. */
  keys: Set<string>;
  /** Keys of adopted client values (with data): retries of them are not proposed again. */
  clientKeys: string[];
}

/**
 * The second half of phase 1: per slot from `r.from` to `r.maxSlot`, a chosen value is
 * committed as it is, an adopted one is re-imposed in `round`, and a slot no answer holds
 * (nothing was chosen there) is filled with `fill(slot)` (a new value).
 */
export function planRound(r: ReadResult, round: number, fill: (slot: number) => { key: string; data?: string }): ReadPlan {
  const plan: ReadPlan = { commits: [], imposes: [], keys: new Set(), clientKeys: [] };
  let run: { round: number; from: number; to: number } | undefined;
  for (let s = r.from; s <= r.maxSlot; s++) {
    const b = r.best.get(s);
    if (b && b.data !== undefined) plan.clientKeys.push(b.key);
    if (b && r.chosen.has(s)) {
      plan.keys.add(b.key);
      if (run && run.round === b.round && run.to === s) run.to = s + 1;
      else plan.commits.push((run = { round: b.round, from: s, to: s + 1 }));
      continue;
    }
    run = undefined;
    const v = b ? { key: b.key, data: b.data } : fill(s);
    const entry: Entry = { slot: s, round, key: v.key };
    if (v.data !== undefined && v.data !== '') entry.data = v.data;
    plan.keys.add(v.key);
    plan.imposes.push(entry);
  }
  return plan;
}
