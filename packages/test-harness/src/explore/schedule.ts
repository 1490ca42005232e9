// Scripted schedules over a MessageWorld: a counterexample the explorer found, written by role
// ("deliver the next message from n0 to n1") instead of by index, so it stays a readable,
// replayable regression after the protocol's messages change.
import { stableStringify } from './clone.js';
import type { ExploreModel } from './explore.js';
import type { MessageWorld } from './messageWorld.js';
import type { World, WorldAction } from './worldTypes.js';

export interface FlightMatch<M> {
  from?: number;
  to?: number;
  match?: (msg: M) => boolean;
  /** Which of the matching messages (0 = first in canonical order). */
  nth?: number;
}

export type ScheduleStep<M, C> =
  | { deliver: FlightMatch<M> }
  | { drop: FlightMatch<M> }
  | { duplicate: FlightMatch<M> }
  /** Deliver matching messages until none is left (at most 200). */
  | { deliverAll: FlightMatch<M> }
  /** Drop every matching message now in flight. */
  | { dropAll: FlightMatch<M> }
  | { client: [node: number, op: C] }
  | { flush: number }
  /** Flush until the node has nothing pending (at most 50). */
  | { flushAll: number }
  | { crash: number }
  | { wipe: number }
  | { restart: number }
  | { tick: number };

export interface ScheduleResult<N, D, P, M, O> {
  lines: string[];
  world: World<N, D, P, M, O>;
  /** Indices of steps that matched nothing and were skipped. */
  skipped: number[];
  violation?: { invariant: string; message: string; step: number };
}

function find<M>(w: World<unknown, unknown, unknown, M, unknown>, m: FlightMatch<M>): number {
  let n = m.nth ?? 0;
  for (let i = 0; i < w.net.length; i++) {
    const f = w.net[i]!;
    if (m.from !== undefined && f.from !== m.from) continue;
    if (m.to !== undefined && f.to !== m.to) continue;
    if (m.match && !m.match(f.msg)) continue;
    if (n-- === 0) return i;
  }
  return -1;
}

/** Replay `steps` from the world's initial state; stops at the first invariant violation. */
export function runSchedule<N, D, P, M, C, O>(
  model: MessageWorld<N, D, P, M, C, O>,
  steps: ScheduleStep<M, C>[],
): ScheduleResult<N, D, P, M, O> {
  let w = model.init();
  const lines: string[] = [];
  const skipped: number[] = [];
  const take = (a: WorldAction<C>): string | undefined => {
    const next = model.step(w, a);
    lines.push(model.describe(a, w));
    w = next;
    for (const inv of model.invariants) {
      const msg = inv.check(w);
      if (msg !== null) return `${inv.name}\u0000${msg}`;
    }
    return undefined;
  };
  for (let si = 0; si < steps.length; si++) {
    const st = steps[si]!;
    const acts: WorldAction<C>[] = [];
    const flight = (kind: 'deliver' | 'drop' | 'duplicate', m: FlightMatch<M>): WorldAction<C> | undefined => {
      const index = find(w, m);
      if (index < 0 || (kind !== 'drop' && !w.slots[w.net[index]!.to]!.up)) return undefined;
      const f = w.net[index]!;
      return { kind, index, from: f.from, to: f.to };
    };
    let bad: string | undefined;
    let did = 0;
    if ('deliver' in st || 'drop' in st || 'duplicate' in st) {
      const kind = 'deliver' in st ? 'deliver' : 'drop' in st ? 'drop' : 'duplicate';
      const a = flight(kind, (st as Record<string, FlightMatch<M>>)[kind]!);
      if (a) acts.push(a);
    } else if ('deliverAll' in st || 'dropAll' in st) {
      const kind = 'deliverAll' in st ? 'deliver' : 'drop';
      const m = 'deliverAll' in st ? st.deliverAll : st.dropAll;
      for (let k = 0; k < 200 && !bad; k++) {
        const a = flight(kind, { ...m, nth: 0 });
        if (!a) break;
        bad = take(a);
        did++;
      }
    } else if ('flushAll' in st) {
      for (let k = 0; k < 50 && !bad && w.slots[st.flushAll]!.up && w.slots[st.flushAll]!.pending.length > 0; k++) {
        bad = take({ kind: 'flush', node: st.flushAll });
        did++;
      }
    } else if ('client' in st) {
      if (w.slots[st.client[0]]!.up) acts.push({ kind: 'client', node: st.client[0], op: st.client[1] });
    } else {
      const kind = Object.keys(st)[0] as 'flush' | 'crash' | 'wipe' | 'restart' | 'tick';
      const node = (st as Record<string, number>)[kind]!;
      const s = w.slots[node];
      const ok = s !== undefined && (kind === 'flush' ? s.up && s.pending.length > 0 : kind === 'wipe' || kind === 'restart' ? !s.up : s.up);
      if (ok) acts.push({ kind, node });
    }
    for (const a of acts) {
      bad = take(a);
      did++;
    }
    if (did === 0) {
      skipped.push(si);
      lines.push(`(step ${si + 1} not enabled: ${stableStringify(st)})`);
    }
    if (bad) {
      const [invariant, message] = bad.split('\u0000') as [string, string];
      return { lines, world: w, skipped, violation: { invariant, message, step: si } };
    }
  }
  return { lines, world: w, skipped };
}

/**
 * The world's model, started from the state a scripted prefix reaches: explore everything
 * after a prefix whose own interleavings need not be searched (a formed cluster, a chosen
 * entry). Throws when a prefix step that must act finds nothing to do (repeated deliverAll /
 * dropAll / flushAll steps may), or when the prefix itself violates an invariant.
 */
export function modelAfter<N, D, P, M, C, O>(
  model: MessageWorld<N, D, P, M, C, O>,
  prefix: ScheduleStep<M, C>[],
): { model: ExploreModel<World<N, D, P, M, O>, WorldAction<C>>; lines: string[] } {
  const r = runSchedule(model, prefix);
  const repeatable = (s: ScheduleStep<M, C>) => 'flushAll' in s || 'deliverAll' in s || 'dropAll' in s;
  const notRun = r.skipped.filter((i) => !repeatable(prefix[i]!));
  if (notRun.length > 0) throw new Error(`prefix steps ${notRun.join(', ')} did not run:\n${r.lines.join('\n')}`);
  if (r.violation) throw new Error(`prefix violated ${r.violation.invariant}: ${r.violation.message}\n${r.lines.join('\n')}`);
  // Forget the prefix's last step: the reduction skips a lower node's commuting action after
  // `last` because the other order is explored from the state before it, but a prefix is
  // fixed, so from here that other order is never explored (found by the paxoskv engineer).
  const start: World<N, D, P, M, O> = { ...r.world, last: undefined };
  return {
    lines: r.lines,
    model: {
      init: () => start,
      actions: (s) => model.actions(s),
      step: (s, a) => model.step(s, a),
      key: (s) => model.key(s),
      describe: (a, before) => model.describe(a, before),
      invariants: model.invariants,
    },
  };
}
