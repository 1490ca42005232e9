// Breadth-first exhaustive exploration of a pure transition system with state hashing. BFS
// means the first violation found has a shortest schedule, which is what a human wants to
// read. Pure: no I/O; the time budget reads Date.now only to stop.

export interface Invariant<S> {
  name: string;
  /** null when the invariant holds in `s`, else a description of the violation. */
  check(s: S): string | null;
}

export interface ExploreModel<S, A> {
  init(): S;
  /** Actions enabled in `s`. */
  actions(s: S): A[];
  /** The successor of `s` under `a`. Must not mutate `s`. */
  step(s: S, a: A): S;
  /** Canonical key: states with equal keys are explored once. */
  key(s: S): string;
  /** One transcript line for `a` taken in `before`. */
  describe(a: A, before: S, after: S): string;
  invariants: Invariant<S>[];
}

export interface ExploreOptions {
  /** Longest schedule explored (number of actions). */
  depthMax: number;
  /** Stop after visiting this many distinct states (result.complete = false). */
  statesMax?: number;
  /** Stop after this long (result.complete = false). */
  timeMsMax?: number;
}

export interface Violation<S, A> {
  invariant: string;
  message: string;
  actions: A[];
  transcript: string[];
  state: S;
}

export interface ExploreResult<S, A> {
  ok: boolean;
  /** True when every state within depthMax was visited (no statesMax / timeMsMax stop). */
  complete: boolean;
  statesExplored: number;
  depthReached: number;
  stoppedBy?: 'statesMax' | 'timeMsMax';
  violation?: Violation<S, A>;
}

// Visited states are remembered by a 106-bit hash of their key, not the key itself: the keys
// are long, and holding them dominated memory and GC. Two 53-bit hashes with different seeds
// make a collision (which would skip a state) vanishingly unlikely at these state counts.
function hash53(str: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function digest(key: string): string {
  return `${hash53(key, 1).toString(36)}.${hash53(key, 0x9e3779b9).toString(36)}`;
}

interface Visit<A> {
  parent: number;
  action: A | undefined;
}

function violated<S>(model: ExploreModel<S, unknown>, s: S): { invariant: string; message: string } | undefined {
  for (const inv of model.invariants) {
    const msg = inv.check(s);
    if (msg !== null) return { invariant: inv.name, message: msg };
  }
  return undefined;
}

/** Replay `actions` from init and render them, one line each. */
export function transcriptOf<S, A>(model: ExploreModel<S, A>, actions: A[]): { lines: string[]; state: S } {
  let s = model.init();
  const lines: string[] = [];
  for (const a of actions) {
    const next = model.step(s, a);
    lines.push(model.describe(a, s, next));
    s = next;
  }
  return { lines, state: s };
}

export function explore<S, A>(model: ExploreModel<S, A>, opts: ExploreOptions): ExploreResult<S, A> {
  const statesMax = opts.statesMax ?? Number.POSITIVE_INFINITY;
  const deadline = opts.timeMsMax === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.timeMsMax;
  const visits: Visit<A>[] = [];
  const seen = new Set<string>();
  const path = (i: number): A[] => {
    const out: A[] = [];
    for (let v = visits[i]!; v.action !== undefined; v = visits[v.parent]!) out.push(v.action);
    return out.reverse();
  };
  const fail = (i: number, found: { invariant: string; message: string }, statesExplored: number, depthReached: number) => {
    const actions = path(i);
    const { lines, state } = transcriptOf(model, actions);
    return { ok: false, complete: false, statesExplored, depthReached, violation: { ...found, actions, transcript: lines, state } };
  };

  const s0 = model.init();
  seen.add(digest(model.key(s0)));
  visits.push({ parent: -1, action: undefined });
  const bad0 = violated(model as ExploreModel<S, unknown>, s0);
  if (bad0) return fail(0, bad0, 1, 0);
  let frontier: { s: S; i: number }[] = [{ s: s0, i: 0 }];
  let depth = 0;
  while (frontier.length > 0 && depth < opts.depthMax) {
    const next: { s: S; i: number }[] = [];
    for (const { s, i } of frontier) {
      for (const a of model.actions(s)) {
        const t = model.step(s, a);
        const k = digest(model.key(t));
        if (seen.has(k)) continue;
        seen.add(k);
        visits.push({ parent: i, action: a });
        const j = visits.length - 1;
        const bad = violated(model as ExploreModel<S, unknown>, t);
        if (bad) return fail(j, bad, seen.size, depth + 1);
        next.push({ s: t, i: j });
        if (seen.size >= statesMax || Date.now() > deadline) {
          return { ok: true, complete: false, statesExplored: seen.size, depthReached: depth + 1, stoppedBy: seen.size >= statesMax ? 'statesMax' : 'timeMsMax' };
        }
      }
    }
    frontier = next;
    depth++;
  }
  return { ok: true, complete: true, statesExplored: seen.size, depthReached: depth };
}

/** The result as text: the numbered transcript, the violated invariant, the states explored. */
export function formatExploreResult(r: ExploreResult<unknown, unknown>): string {
  const head = `${r.statesExplored} states explored to depth ${r.depthReached}` +
    (r.complete ? ' (complete within the bounds)' : r.stoppedBy ? ` (stopped by ${r.stoppedBy})` : '');
  if (!r.violation) return `ok: ${head}`;
  const v = r.violation;
  const lines = v.transcript.map((l, i) => `${String(i + 1).padStart(3)}. ${l}`);
  return [`VIOLATION of "${v.invariant}" after ${v.actions.length} steps (${head}):`, ...lines, `  => ${v.message}`].join('\n');
}
