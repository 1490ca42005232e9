// When an acceptor asks about an accept that stays undecided. It learns what was chosen from
// the proposer's commit notice (or its next PaxosCmd); a lost notice with nothing more written
// to the entity would leave the accept undecided and the data store behind for good. So after
// a quiet `baseMs` it asks (a catch-up from the accept's proposer), then backs off x2 up to 32x,
// so an accept whose proposer died costs one small request per half minute, not one per tick.
// Pure.

export class UndecidedAsk {
  /** Since when our accept of `entry` waits for a decision, and the next wait. */
  private state: { entry: bigint; since: number; waitMs: number } | null = null;

  constructor(private readonly baseMs: number) {}

  /** Nothing undecided to wait for (a write of ours runs, or we accepted nothing). */
  reset(): void {
    this.state = null;
  }

  /** Our accept of `entry` is still undecided at `now`: ask now? */
  due(entry: bigint, now: number): boolean {
    if (this.state === null || this.state.entry !== entry) {
      this.state = { entry, since: now, waitMs: this.baseMs };
      return false;
    }
    if (now - this.state.since < this.state.waitMs) return false;
    this.state.since = now;
    this.state.waitMs = Math.min(this.state.waitMs * 2, 32 * this.baseMs);
    return true;
  }
}
