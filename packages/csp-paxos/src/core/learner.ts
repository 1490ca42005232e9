// The consensus processor's core: learns which value each slot holds and commits slots in
// order, with no holes (rule 3). A COMMIT(round, range) chooses, for each slot, the value the
// local acceptor accepted in that round; anything missing is fetched (CATCHUP -> DECIDE).
// Memory is bounded: at every compaction point the committed entries (and the client keys)
// below the compaction base are dropped, and the shell truncates the instance and values logs
// at the same base. A node asking for slots below a peer's base gets that base back (DECIDE
// with `base`): every slot below it is chosen, so it jumps there and catches up from it.
//
// Exactly once: a client value's key can be chosen at two slots (a retry on a new leader while
// the old leader's proposal survives on one acceptor; a later leader's read must impose that).
// The learner commits both slots (the seed's log keeps one line per slot) but keeps the data
// only at the first: a key committed again within dedupWindowSlots of its last commit is a
// duplicate. Every node holds the keys of the window below each slot it commits (truncation
// keeps them, a snapshot jump and the log base file carry them), so all replicas decide alike.
import { type CoreConfig, type Entry, type Input, type KeySeen, type Msg, ProcessorBase } from './types.js';

interface Range {
  round: number;
  from: number;
  to: number;
}

export class Learner extends ProcessorBase {
  private readonly cfg: CoreConfig;
  /** Next slot to commit; every slot from `base` below it is in `committed`. */
  commitIndex: number;
  /** First slot still held: `committed[i]` is slot `base + i` (the rest was truncated). */
  base: number;
  readonly committed: Entry[];
  private readonly pending = new Map<number, Entry>();
  private readonly chosen = new Map<number, Entry>();
  private ranges: Range[] = [];
  /** Exclusive upper bound of slots known to be chosen somewhere. */
  knownMax: number;
  private leaderHint = 0;
  private lastProgressMs = 0;
  private lastCatchupMs = -Infinity;
  private catchupTurn = 0;
  private lastCompactAt = 0;
  private readonly watches = new Map<string, number[]>();
  /** Slot of every committed client value (entries with data): a retried proposal is answered, not proposed again. */
  private readonly keySlots = new Map<string, { first: number; last: number }>();

  /**
   * `committed` is what this node committed before a restart from slot `base` on (its instance
   * log above the truncation base).
   */
  constructor(cfg: CoreConfig, committed: Entry[] = [], base = 0, keys: KeySeen[] = []) {
    super();
    this.cfg = cfg;
    this.committed = committed;
    this.base = base;
    this.commitIndex = base + committed.length;
    this.knownMax = this.commitIndex;
    this.lastCompactAt = this.commitIndex;
    for (const [k, first, last] of keys) this.keySlots.set(k, { first, last });
    // The same decisions as when they were committed: a duplicate has no data on disk.
    for (const e of committed) this.noteKey(e);
  }

  /** Slot a client value's key was committed at, if it was. */
  slotOf(key: string): number | undefined {
    return this.keySlots.get(key)?.first;
  }

  /**
   * Records a committed entry's key; true when it is a duplicate of a client value committed
   * within the window (it keeps no data, its watchers get the first slot).
   */
  private noteKey(e: Entry): boolean {
    const seen = this.keySlots.get(e.key);
    if (seen && e.slot - seen.last <= this.cfg.dedupWindowSlots) {
      seen.last = e.slot;
      return true;
    }
    if (e.data !== undefined) this.keySlots.set(e.key, { first: e.slot, last: e.slot });
    return false;
  }

  /** Keys a node needs to decide duplicates from `base` on (those seen in the window below it). */
  private keysFrom(base: number): KeySeen[] {
    const out: KeySeen[] = [];
    for (const [k, v] of this.keySlots) if (v.last >= base - this.cfg.dedupWindowSlots) out.push([k, v.first, v.last]);
    return out;
  }

  handle(input: Input, nowMs: number): void {
    switch (input.kind) {
      case 'accepted':
        this.onAccepted(input.entries);
        break;
      case 'leaderHint':
        this.leaderHint = input.node;
        return;
      case 'watch': {
        const done = this.keySlots.get(input.key)?.first;
        if (done !== undefined) {
          // A retry of a value already committed: answer with its slot.
          this.out.replies.push({ ref: input.ref, slot: done });
          return;
        }
        const refs = this.watches.get(input.key) ?? [];
        refs.push(input.ref);
        this.watches.set(input.key, refs);
        return;
      }
      case 'tick':
        this.onTick(nowMs);
        return;
      case 'net':
        this.onNet(input.msg);
        break;
      default:
        return;
    }
    this.advance(nowMs);
  }

  private onAccepted(entries: Entry[]): void {
    for (const e of entries) {
      if (e.slot < this.commitIndex) continue;
      const old = this.pending.get(e.slot);
      if (!old || old.round <= e.round) this.pending.set(e.slot, e);
      for (const r of this.ranges) {
        if (r.round === e.round && e.slot >= r.from && e.slot < r.to) {
          this.chosen.set(e.slot, e);
          break;
        }
      }
    }
  }

  private onNet(msg: Msg): void {
    if (msg.type === 'CATCHUP') {
      this.onCatchup(msg);
      return;
    }
    if (msg.type === 'FORWARD') {
      const key = msg.entries?.[0]?.key;
      if (typeof key === 'string' && !this.keySlots.has(key)) this.emit('leader', { kind: 'net', msg });
      return;
    }
    if (msg.type !== 'COMMIT' && msg.type !== 'DECIDE') return;
    if (msg.type === 'DECIDE' && msg.base !== undefined) {
      // A peer truncated below what we asked for: every slot below its base is chosen.
      if (Number.isSafeInteger(msg.base) && msg.base > this.commitIndex) this.jumpTo(msg.base, Array.isArray(msg.keys) ? msg.keys : []);
      return;
    }
    if (msg.entries && msg.entries.length > 0) {
      // Explicit chosen values (a catch-up answer).
      for (const e of msg.entries) {
        if (!Number.isSafeInteger(e.slot) || e.slot < this.commitIndex || typeof e.key !== 'string') continue;
        this.chosen.set(e.slot, e);
        this.noteKnown(e.slot + 1);
      }
      return;
    }
    const to = msg.upTo ?? msg.seq;
    if (!Number.isSafeInteger(to) || !Number.isSafeInteger(msg.seq) || to <= msg.seq) return;
    this.leaderHint = msg.from;
    this.noteKnown(to);
    let missing = false;
    for (let s = Math.max(msg.seq, this.commitIndex); s < to; s++) {
      const p = this.pending.get(s);
      if (p && p.round === msg.round) this.chosen.set(s, p);
      else if (!this.chosen.has(s)) missing = true;
    }
    if (missing) this.ranges.push({ round: msg.round, from: Math.max(msg.seq, this.commitIndex), to });
  }

  /** Raises knownMax; the leader processor hears of a lag past its limit (it then skips turns). */
  private noteKnown(to: number): void {
    if (to <= this.knownMax) return;
    const wasLagging = this.knownMax - this.commitIndex > this.cfg.lagSlotsMax;
    this.knownMax = to;
    if (!wasLagging && this.knownMax - this.commitIndex > this.cfg.lagSlotsMax) {
      this.emit('leader', { kind: 'commitIndex', index: this.commitIndex, known: this.knownMax });
    }
  }

  private onCatchup(msg: Msg): void {
    const from = Math.max(0, msg.seq);
    if (from < this.base) {
      // Truncated here: tell the asker where this node's log starts; it jumps and asks again.
      this.out.net.push({ type: 'DECIDE', from: this.cfg.id, to: msg.from, round: msg.round, seq: from, upTo: this.base, base: this.base, keys: this.keysFrom(this.base) });
      return;
    }
    const to = Math.min(this.commitIndex, from + this.cfg.catchupEntriesMax);
    if (from >= to) return;
    this.out.net.push({ type: 'DECIDE', from: this.cfg.id, to: msg.from, round: msg.round, seq: from, upTo: to, entries: this.committed.slice(from - this.base, to - this.base) });
  }

  /** Drops what is held below `below` (memory) and has the shell truncate the logs there. */
  private truncateBelow(below: number): void {
    const b = Math.min(below, this.commitIndex);
    if (b <= this.base) return;
    this.committed.splice(0, b - this.base);
    this.base = b;
    for (const [k, v] of this.keySlots) if (v.last < b - this.cfg.dedupWindowSlots) this.keySlots.delete(k);
    this.out.truncate = { base: b, keys: this.keysFrom(b) };
  }

  /**
   * Every slot below `base` is chosen (a peer's snapshot point) and this node has not committed
   * them: it skips to `base` without their values (its logs restart there) and catches up
   * from it, with the peer's client keys of the window below `base`.
   */
  private jumpTo(base: number, keys: KeySeen[]): void {
    this.committed.splice(0);
    this.keySlots.clear();
    for (const k of keys) {
      if (Array.isArray(k) && typeof k[0] === 'string' && Number.isSafeInteger(k[1]) && Number.isSafeInteger(k[2])) this.keySlots.set(k[0], { first: k[1], last: k[2] });
    }
    for (const s of [...this.pending.keys()]) if (s < base) this.pending.delete(s);
    for (const s of [...this.chosen.keys()]) if (s < base) this.chosen.delete(s);
    this.base = base;
    this.commitIndex = base;
    this.lastCompactAt = base;
    this.knownMax = Math.max(this.knownMax, base);
    this.ranges = this.ranges.filter((r) => r.to > base);
    this.out.truncate = { base, keys: this.keysFrom(base) };
    this.jumped = true;
  }

  private jumped = false;

  private advance(nowMs: number): void {
    const start = this.commitIndex;
    const jumped = this.jumped;
    this.jumped = false;
    for (;;) {
      const chosen = this.chosen.get(this.commitIndex);
      if (!chosen) break;
      this.chosen.delete(this.commitIndex);
      this.pending.delete(this.commitIndex);
      const dup = this.noteKey(chosen);
      // A duplicate keeps its key (the slot is committed) but not the data: users read it once.
      const e: Entry = dup ? { slot: chosen.slot, round: chosen.round, key: chosen.key } : chosen;
      this.committed.push(e);
      this.out.lines.push(e.data === undefined ? { kind: 'commit', key: e.key, slot: e.slot } : { kind: 'commit', key: e.key, slot: e.slot, data: e.data });
      const refs = this.watches.get(e.key);
      if (refs) {
        this.watches.delete(e.key);
        const at = this.keySlots.get(e.key)?.first ?? e.slot;
        for (const ref of refs) this.out.replies.push({ ref, slot: at });
      }
      this.commitIndex++;
    }
    if (this.commitIndex === start && !jumped) return;
    this.lastProgressMs = nowMs;
    this.knownMax = Math.max(this.knownMax, this.commitIndex);
    if (this.ranges.length > 0) this.ranges = this.ranges.filter((r) => r.to > this.commitIndex);
    this.emit('leader', { kind: 'commitIndex', index: this.commitIndex, known: this.knownMax });
    const every = this.cfg.compactEverySlots;
    if (every > 0 && this.commitIndex - this.lastCompactAt >= every) {
      // Keep lagSlotsMax slots below the commit point: a leader a little behind still reads
      // them from here instead of skipping ahead to the base.
      this.lastCompactAt = this.commitIndex;
      const below = this.commitIndex - this.cfg.lagSlotsMax;
      if (below > 0) {
        this.emit('follower', { kind: 'compact', below });
        this.truncateBelow(below);
      }
    }
    // Still behind after a catch-up answer: ask for the next chunk right away.
    if (this.commitIndex < this.knownMax && this.chosen.size === 0 && this.lastCatchupMs > -Infinity && nowMs - this.lastCatchupMs < this.cfg.catchupMs * 4) {
      this.requestCatchup(nowMs);
    }
  }

  private onTick(nowMs: number): void {
    if (this.commitIndex >= this.knownMax) return;
    if (nowMs - this.lastProgressMs < this.cfg.catchupMs || nowMs - this.lastCatchupMs < this.cfg.catchupMs) return;
    this.requestCatchup(nowMs);
  }

  private requestCatchup(nowMs: number): void {
    this.lastCatchupMs = nowMs;
    let target = this.leaderHint;
    if (target === this.cfg.id || this.catchupTurn % 2 === 1) {
      // Alternate with other peers: the leader may be the one that is down.
      target = (this.cfg.id + 1 + (this.catchupTurn % (this.cfg.n - 1))) % this.cfg.n;
    }
    this.catchupTurn++;
    // Several chunks at once, so catching up is not one round trip per chunk (it must outpace
    // the commit rate); the next batch is asked for once these are committed.
    const chunk = Math.max(1, this.cfg.catchupEntriesMax);
    for (let i = 0; i < Math.max(1, this.cfg.catchupChunks); i++) {
      const seq = this.commitIndex + i * chunk;
      if (i > 0 && seq >= this.knownMax) break;
      this.out.net.push({ type: 'CATCHUP', from: this.cfg.id, to: target, round: 0, seq });
    }
  }
}
