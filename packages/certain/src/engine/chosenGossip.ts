// The sender side of the chosen summaries (core/messages.ts ChosenSummary): remember when each
// entity's maxChosen last advanced here, and every round list those that advanced within the
// window, newest first, capped. Each advance is so reported ~window/period times: a lost
// summary is repaired by the next one. The map holds only entities inside the window.
import type { ChosenSummary } from '../core/index.js';

/** Entities per message: ~20 KB at worst, far below a PeerLink batch. */
const PER_MESSAGE = 1024;

export class ChosenGossip {
  private readonly advanced = new Map<bigint, number>();

  constructor(private readonly opts: { windowMs: number; entitiesMax: number; acceptorId: number }) {}

  /** The entity's maxChosen advanced at `now`. */
  note(entityId: bigint, now: number): void {
    // delete + set keeps the Map in order of last advance (oldest first)
    this.advanced.delete(entityId);
    this.advanced.set(entityId, now);
  }

  /** This round's summaries (empty when nothing advanced within the window). */
  round(now: number, maxChosen: (entityId: bigint) => bigint | undefined): ChosenSummary[] {
    for (const [e, at] of this.advanced) {
      if (now - at <= this.opts.windowMs) break; // the rest is newer
      this.advanced.delete(e);
    }
    const ids = [...this.advanced.keys()].reverse().slice(0, this.opts.entitiesMax);
    const out: ChosenSummary[] = [];
    let cur: ChosenSummary['chosen'] = [];
    for (const entityId of ids) {
      const k = maxChosen(entityId);
      if (k === undefined || k === 0n) continue;
      cur.push({ entityId, maxChosen: k });
      if (cur.length === PER_MESSAGE) {
        out.push({ kind: 'chosenSummary', srcAcceptorId: this.opts.acceptorId, chosen: cur });
        cur = [];
      }
    }
    if (cur.length > 0) out.push({ kind: 'chosenSummary', srcAcceptorId: this.opts.acceptorId, chosen: cur });
    return out;
  }

  get size(): number {
    return this.advanced.size;
  }
}
