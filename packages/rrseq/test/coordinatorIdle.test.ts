// Issue 19 (50,000 names): a coordinator keeps the names it served cached (hint and tokens
// save the next read), up to namesCachedMax. The work it does per event (nextWakeAt(),
// tick(), pending()) must not visit those idle names: it did, and with 50,000 cached every
// event of the server cost milliseconds. Checked by counting visits, not by timing.
import { describe, expect, it } from 'vitest';
import { Coordinator, DEFAULT_COORDINATOR_CONFIG, Replica, emptyState, type Completion } from '../src/core/index.js';

const NODES = 5;
const cfg = { ...DEFAULT_COORDINATOR_CONFIG };

/** A coordinator over 5 in-memory replicas that answer every op at once. */
function cluster() {
  const replicas = Array.from({ length: NODES }, (_, i) => new Replica(emptyState(`r${i}`, true)));
  const c = new Coordinator(NODES, cfg, () => 0.5, 's');
  const done: Completion[] = [];
  const deliver = (now: number): void => {
    for (;;) {
      const { sends, completions } = c.drain();
      done.push(...completions);
      if (sends.length === 0) return;
      for (const s of sends) {
        const r = replicas[s.to]!.apply(s.op).result;
        if (s.op.id !== '') c.onResult(s.to, r, now);
      }
    }
  };
  return { c, done, deliver };
}

/** Count every walk over the coordinator's map of cached names. */
function countWalks(c: Coordinator): { walks: number } {
  const names = (c as unknown as { names: Map<string, unknown> }).names;
  const counter = { walks: 0 };
  for (const m of ['values', 'entries', 'keys', 'forEach', Symbol.iterator] as const) {
    const orig = (names[m] as (...a: unknown[]) => unknown).bind(names);
    Object.defineProperty(names, m, { value: (...a: unknown[]) => (counter.walks++, orig(...a)) });
  }
  return counter;
}

describe('coordinator with many idle names cached', () => {
  it('nextWakeAt, tick and pending visit only the names with work, and still serve them', () => {
    const { c, done, deliver } = cluster();
    let req = 1;
    for (let i = 0; i < 2_000; i++) {
      c.request(req++, `idle-${i}`, 1n, 0);
      deliver(0);
    }
    expect(done).toHaveLength(2_000);
    expect(done.every((d) => d.error === undefined && d.to === d.from + 1n)).toBe(true);
    expect(c.nextWakeAt()).toBeUndefined();

    const walks = countWalks(c);
    // One request whose ops are never answered: its attempt and deadline drive the timers.
    const now = 1_000;
    c.request(req, 'hot', 1n, now);
    c.drain();
    expect(c.pending()).toBe(1);
    expect(c.nextWakeAt()).toBe(now + Math.min(cfg.attemptTimeoutMs, cfg.deadlineMs));
    c.tick(now + cfg.deadlineMs);
    const { completions } = c.drain();
    expect(completions).toEqual([{ req, from: 0n, to: 0n, error: 'EDEADLINE' }]);
    expect(c.pending()).toBe(0);
    c.tick(now + cfg.deadlineMs + 1);
    expect(c.nextWakeAt()).toBeUndefined();
    // A cached idle name is served again (from its cached hint and tokens: no READ).
    c.request(req + 1, 'idle-7', 1n, now);
    const { sends } = c.drain();
    expect(sends.map((s) => s.op.kind)).toEqual(Array(NODES).fill('ADVANCE'));
    expect(walks.walks).toBe(0);
  });
});
