// One lane per key inside a client (issue 17 item 6): concurrent set() calls on one key run one
// after another in call order, so a client never duels with itself for a version (every write
// needs the version below chosen first anyway: they cannot run in parallel, only collide).
// Waiting counts against the write's own deadline; the queue per key is capped.
import { LimitError, PaxosDeadlineError } from '../errors.js';

interface Lane {
  tail: Promise<void>;
  writers: number;
}

export class KeyLanes {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly writersMax: number) {}

  /** keys with writes running or queued (bounded by the writes in flight) */
  get size(): number {
    return this.lanes.size;
  }

  /**
   * Wait until the earlier writes of `key` in this client are done, at most until `deadline`.
   * Resolves with the function that lets the next one go (call it exactly once, in finally).
   */
  async enter(key: string, deadline: number): Promise<() => void> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { tail: Promise.resolve(), writers: 0 };
      this.lanes.set(key, lane);
    }
    if (lane.writers >= this.writersMax) {
      throw new LimitError(`${lane.writers} writes of key ${key} are already running or queued in this client (at most ${this.writersMax}); retry later`);
    }
    lane.writers++;
    const here = lane;
    const prev = here.tail;
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    // the next writer waits for this one AND everything before it (a timed-out waiter leaves early)
    here.tail = prev.then(() => done);
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      release();
      here.writers--;
      if (here.writers === 0 && this.lanes.get(key) === here) this.lanes.delete(key);
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      prev.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      leave();
      throw new PaxosDeadlineError(`set ${key}: earlier writes of this key in this client were still running at the deadline`);
    }
    return leave;
  }
}
