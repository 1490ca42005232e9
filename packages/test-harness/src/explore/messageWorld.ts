// A message-passing world around a pure protocol core, as an ExploreModel: every interleaving
// of deliver, drop, duplicate, client commands, persist completion (flush), crash (unflushed
// persists and the messages held behind them are lost: crash-before-persist; flush then crash
// is crash-after-persist), wipe (a down node's disk is gone) and restart.
import { cloneDeep, stableStringify } from './clone.js';
import type { ExploreModel, Invariant } from './explore.js';
import type { Flight, NodeSlot, Out, World, WorldAction, WorldBounds, WorldSpec } from './worldTypes.js';

type W<N, D, P, M, O> = World<N, D, P, M, O>;

function insertSorted<T extends { key: string }>(arr: T[], item: T): void {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid]!.key < item.key) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 0, item);
}

export class MessageWorld<N, D, P, M, C, O> implements ExploreModel<W<N, D, P, M, O>, WorldAction<C>> {
  readonly invariants: Invariant<W<N, D, P, M, O>>[];
  private readonly b: Required<WorldBounds>;

  constructor(
    readonly spec: WorldSpec<N, D, P, M, C, O>,
    bounds: WorldBounds,
    invariants: Invariant<W<N, D, P, M, O>>[] = [],
  ) {
    this.b = {
      crashesMax: 0, wipesMax: 0, dropsMax: 0, duplicatesMax: 0, clientOpsMax: 1, ticksMax: 0,
      inFlightMax: 16, dropOnlyToDown: false, reduce: true, crashable: [...Array(spec.nodes).keys()], ...bounds,
    };
    const regressions: Invariant<W<N, D, P, M, O>> = {
      name: 'no replica state goes backwards',
      check: (w) => (w.regressions.length > 0 ? w.regressions.join('; ') : null),
    };
    this.invariants = spec.monotone?.length ? [...invariants, regressions] : invariants;
  }

  get bounds(): Required<WorldBounds> {
    return this.b;
  }

  init(): W<N, D, P, M, O> {
    const w: W<N, D, P, M, O> = {
      slots: [], net: [], ghost: [], overflow: 0, regressions: [],
      used: { crashes: 0, wipes: 0, drops: 0, duplicates: 0, clientOps: 0, ticks: 0 },
    };
    for (let i = 0; i < this.spec.nodes; i++) {
      const disk = this.spec.initialDisk?.(i);
      w.slots.push({ up: true, node: this.spec.boot(i, cloneDeep(disk)), disk, pending: [], high: {} });
      this.track(w, i);
    }
    return w;
  }

  actions(w: W<N, D, P, M, O>): WorldAction<C>[] {
    const all = this.allActions(w);
    const last = w.last;
    if (!this.b.reduce || last === undefined) return all;
    // Skip a after `last` when they commute and a's node is lower: the other order is explored.
    // A message the last step sent was not enabled before it: never skipped.
    return all.filter((a) => {
      const n = actionNode(a);
      if (n >= last.node || ('index' in a && last.sent.includes(w.net[a.index]!.key))) return true;
      return budgetOf(a) !== undefined && budgetOf(a) === last.budget;
    });
  }

  private allActions(w: W<N, D, P, M, O>): WorldAction<C>[] {
    const out: WorldAction<C>[] = [];
    const b = this.b;
    w.net.forEach((f, index) => {
      const up = w.slots[f.to]!.up;
      // Equal messages in a row are one choice: delivering either gives the same state.
      if (index > 0 && w.net[index - 1]!.key === f.key) return;
      if (up) out.push({ kind: 'deliver', index, from: f.from, to: f.to });
      if (w.used.drops < b.dropsMax && (!b.dropOnlyToDown || !up)) out.push({ kind: 'drop', index, from: f.from, to: f.to });
      if (up && w.used.duplicates < b.duplicatesMax) out.push({ kind: 'duplicate', index, from: f.from, to: f.to });
    });
    w.slots.forEach((s, node) => {
      if (s.up) {
        if (s.pending.length > 0) out.push({ kind: 'flush', node });
        if (w.used.clientOps < b.clientOpsMax) {
          for (const op of this.spec.clientOps(s.node!, node, w)) out.push({ kind: 'client', node, op });
        }
        if (this.spec.onTick && w.used.ticks < b.ticksMax) out.push({ kind: 'tick', node });
        if (w.used.crashes < b.crashesMax && b.crashable.includes(node)) out.push({ kind: 'crash', node });
      } else {
        out.push({ kind: 'restart', node });
        if (s.disk !== undefined && w.used.wipes < b.wipesMax) out.push({ kind: 'wipe', node });
      }
    });
    return out;
  }

  step(w0: W<N, D, P, M, O>, a: WorldAction<C>): W<N, D, P, M, O> {
    const w: W<N, D, P, M, O> = {
      slots: w0.slots.slice(), net: w0.net.slice(), ghost: w0.ghost.slice(), overflow: w0.overflow,
      regressions: w0.regressions.slice(), used: { ...w0.used }, last: { node: actionNode(a), budget: budgetOf(a), sent: [] },
    };
    const spec = this.spec;
    const own = (i: number): NodeSlot<N, D, P, M> => {
      const s = w.slots[i]!;
      const copy = { ...s, key: undefined, pending: s.pending.slice(), high: { ...s.high }, node: s.node === undefined ? undefined : (spec.clone ?? cloneDeep)(s.node) };
      w.slots[i] = copy;
      return copy;
    };
    switch (a.kind) {
      case 'deliver':
      case 'duplicate':
      case 'drop': {
        const f = w.net[a.index]!;
        if (a.kind !== 'duplicate') w.net.splice(a.index, 1);
        if (a.kind === 'drop') {
          w.used.drops++;
          break;
        }
        if (a.kind === 'duplicate') w.used.duplicates++;
        const s = own(f.to);
        this.apply(w, f.to, spec.onMessage(s.node!, f.to, f.from, cloneDeep(f.msg)));
        break;
      }
      case 'client': {
        w.used.clientOps++;
        const s = own(a.node);
        this.apply(w, a.node, spec.onClient(s.node!, a.node, cloneDeep(a.op)));
        break;
      }
      case 'tick': {
        w.used.ticks++;
        const s = own(a.node);
        this.apply(w, a.node, spec.onTick!(s.node!, a.node));
        break;
      }
      case 'flush':
        own(a.node);
        this.flushNow(w, a.node);
        break;
      case 'crash': {
        w.used.crashes++;
        const s = own(a.node);
        s.up = false;
        s.node = undefined;
        s.pending = [];
        break;
      }
      case 'wipe': {
        w.used.wipes++;
        const s = own(a.node);
        s.disk = undefined;
        s.high = {};
        break;
      }
      case 'restart': {
        const s = own(a.node);
        s.up = true;
        s.node = spec.boot(a.node, cloneDeep(s.disk));
        if (spec.onRestart) this.apply(w, a.node, spec.onRestart(s.node, a.node));
        break;
      }
    }
    if (a.kind !== 'crash' && a.kind !== 'wipe') {
      if (a.kind !== 'drop') this.track(w, 'node' in a ? a.node : a.to);
    }
    return w;
  }

  /** The oldest pending persist of node i becomes durable (slot i must be this world's own copy). */
  private flushNow(w: W<N, D, P, M, O>, i: number): void {
    const s = w.slots[i]!;
    const p = s.pending.shift()!;
    let disk = cloneDeep(s.disk);
    for (const op of p.persist) disk = this.spec.applyPersist(disk, op);
    s.disk = disk;
    for (const h of p.held) this.send(w, h.from, h.to, h.msg);
    if (this.spec.onPersisted) this.apply(w, i, this.spec.onPersisted(s.node!, i));
  }

  private track(w: W<N, D, P, M, O>, i: number): void {
    const s = w.slots[i]!;
    if (!this.spec.monotone || s.node === undefined) return;
    for (const m of this.spec.monotone) {
      const v = m.read(s.node);
      const hi = s.high[m.name];
      if (hi !== undefined && v < hi) w.regressions.push(`node ${i}: ${m.name} went back from ${hi} to ${v}`);
      else if (hi === undefined || v > hi) s.high = { ...s.high, [m.name]: v };
    }
  }

  private send(w: W<N, D, P, M, O>, from: number, to: number, msg: M): void {
    if (to < 0 || to >= this.spec.nodes || to === from) return;
    if (w.net.length >= this.b.inFlightMax) {
      w.overflow++;
      return;
    }
    const f: Flight<M> = { from, to, msg, key: `${from}>${to}:${stableStringify(msg)}` };
    insertSorted(w.net, f);
    w.last?.sent.push(f.key);
  }

  private apply(w: W<N, D, P, M, O>, i: number, out: Out<P, M, O>): void {
    const s = w.slots[i]!;
    for (const e of out.sendNow ?? []) this.send(w, i, e.to, e.msg);
    const held = (out.send ?? []).map((e) => ({ from: i, to: e.to, msg: e.msg }));
    if (out.persist && out.persist.length > 0) {
      s.pending.push({ persist: out.persist, held });
      if (!this.b.crashable.includes(i)) this.flushNow(w, i);
    }
    else if (held.length > 0 && s.pending.length > 0) {
      const last = s.pending[s.pending.length - 1]!;
      s.pending[s.pending.length - 1] = { persist: last.persist, held: [...last.held, ...held] };
    } else for (const h of held) this.send(w, h.from, h.to, h.msg);
    for (const o of out.observe ?? []) {
      const key = stableStringify(o);
      if (!w.ghost.some((g) => g.key === key)) insertSorted(w.ghost, { key, obs: o });
    }
  }

  key(w: W<N, D, P, M, O>): string {
    const spec = this.spec;
    const nk = spec.nodeKey ?? stableStringify;
    const dk = spec.diskKey ?? stableStringify;
    const slots = w.slots.map((s) =>
      (s.key ??= `${s.up ? 'U' : 'D'}|${s.node === undefined ? '-' : nk(s.node)}|${dk(s.disk)}|${stableStringify(s.pending)}|${stableStringify(s.high)}`));
    const u = w.used;
    const last = this.b.reduce && w.last ? `${w.last.node}${w.last.budget ?? ''}${w.last.sent.join('|')}` : '';
    return `${last}@${slots.join('#')}#N${w.net.map((f) => f.key).join(';')}#G${w.ghost.map((g) => g.key).join(';')}` +
      `#B${u.crashes},${u.wipes},${u.drops},${u.duplicates},${u.clientOps},${u.ticks},${w.overflow}#R${w.regressions.length}`;
  }

  describe(a: WorldAction<C>, before: W<N, D, P, M, O>): string {
    const dm = this.spec.describeMsg ?? stableStringify;
    switch (a.kind) {
      case 'deliver':
      case 'drop':
      case 'duplicate':
        return `${a.kind} n${a.from} -> n${a.to}: ${dm(before.net[a.index]!.msg)}`;
      case 'client':
        return `client at n${a.node}: ${(this.spec.describeOp ?? stableStringify)(a.op)}`;
      case 'flush':
        return `n${a.node} persist durable (${before.slots[a.node]!.pending[0]!.held.length} held message(s) released)`;
      case 'crash': {
        const lost = before.slots[a.node]!.pending.length;
        return `n${a.node} CRASH${lost > 0 ? ` before persisting (${lost} unflushed write(s) lost)` : ''}`;
      }
      case 'wipe':
        return `n${a.node} disk WIPED`;
      case 'restart':
        return `n${a.node} restart${before.slots[a.node]!.disk === undefined ? ' from an empty disk' : ''}`;
      case 'tick':
        return `n${a.node} timer`;
    }
  }
}

/** The node an action happens at (the receiver, for message actions). */
function actionNode(a: WorldAction<unknown>): number {
  return 'node' in a ? a.node : a.to;
}

/** The shared budget an action draws on: two such actions of one kind never commute. */
function budgetOf(a: WorldAction<unknown>): string | undefined {
  return a.kind === 'deliver' || a.kind === 'flush' || a.kind === 'restart' ? undefined : a.kind;
}

/** The world of `spec` within `bounds`, as an ExploreModel checked against `invariants`. */
export function messageWorld<N, D, P, M, C, O>(
  spec: WorldSpec<N, D, P, M, C, O>,
  bounds: WorldBounds,
  invariants: Invariant<World<N, D, P, M, O>>[] = [],
): MessageWorld<N, D, P, M, C, O> {
  return new MessageWorld(spec, bounds, invariants);
}
