// The leader's client values: the FORWARDed values waiting for a slot (bounded: beyond
// clientQueueMax the client's retry brings them back) and the keys this node queued or
// proposed lately, so a retried FORWARD of a value already in the round's pipeline is not
// proposed a second time (the first one commits and answers).
export interface ClientValue {
  key: string;
  data: string;
}

export class ClientValues {
  private readonly queue: ClientValue[] = [];
  private readonly recent = new Set<string>();
  private readonly queueMax: number;

  constructor(queueMax: number) {
    this.queueMax = queueMax;
  }

  get length(): number {
    return this.queue.length;
  }

  /** False for a retry of a key queued or proposed lately (nothing to do); else queued if there is room. */
  offer(key: string, data: string): boolean {
    if (this.recent.has(key)) return false;
    if (this.queue.length < this.queueMax) {
      this.queue.push({ key, data });
      this.remember(key);
    }
    return true;
  }

  /** A key now in this round's pipeline (bounded: the oldest is forgotten first). */
  remember(key: string): void {
    this.recent.add(key);
    if (this.recent.size > this.queueMax * 4) this.recent.delete(this.recent.values().next().value!);
  }

  /**
   * Only a round's own pipeline suppresses retries: a value of an earlier round may never have
   * been chosen, and its retry must be proposed again.
   */
  forgetRecent(): void {
    this.recent.clear();
  }

  shift(): ClientValue | undefined {
    return this.queue.shift();
  }

  /** Every queued value, the queue emptied (handed to the next leader). */
  takeAll(): ClientValue[] {
    return this.queue.splice(0);
  }

  /** Drops queued retries of values that already have a slot (a read adopted them). */
  dropKeys(keys: ReadonlySet<string>): void {
    if (this.queue.length === 0) return;
    const kept = this.queue.filter((c) => !keys.has(c.key));
    this.queue.splice(0, this.queue.length, ...kept);
  }
}
