import type { History, Operation } from '../history/history.js';
import { formatValue } from '../sim/trace.js';
import { type Model, stableKey } from './models.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeHistoryHtml } from '../report/historyHtml.js';
import { recordTortureStat } from '../tortureStats.js';

export type LinearizableResult =
  | { ok: true; keys: number; ops: number }
  | {
      ok: false;
      key: string;
      /** Readable counterexample: the longest linearizable prefix and the ops that could not be placed. */
      message: string;
      /** The operations that could not be placed after the longest linearizable prefix. */
      ops: Operation[];
      /** The longest linearizable prefix found, in linearization order. */
      prefix: Operation[];
    }
  | { ok: 'unknown'; key: string; message: string };

export interface LinearizableOptions {
  /** Whole-check budget. Default 30,000 ms; when spent the result is 'unknown'. */
  timeBudgetMs?: number;
}

interface Entry {
  op: number; // index into the partition's ops
  call: boolean;
  match: Entry | null; // call -> its return (null for info / pending)
  prev: Entry | null;
  next: Entry | null;
}

type KeyResult<S> =
  | { ok: true }
  | { ok: false; prefix: number[]; state: S }
  | { ok: 'unknown' };

/**
 * Wing & Gong / Lowe search (as in Porcupine) over each key separately. 'fail' operations are
 * dropped; 'info' and 'pending' ones may take effect at any point after their invoke, or never.
 * Visited (set of linearized ops, model state) pairs are memoised.
 */
export function checkLinearizable(history: History | Operation[], model: Model<any>, opts: LinearizableOptions = {}): LinearizableResult {
  const result = searchLinearization(history, model, opts);
  const ops = Array.isArray(history) ? history.length : history.operations().length;
  recordTortureStat({ kind: 'history', name: `linearizable/${model.name}`, ops, violations: result.ok === false ? 1 : 0 });
  if (result.ok === false) {
    const file = writeFailureView(history, result, model.name);
    if (file) result.message += `\nhistory time line: ${file}`;
  }
  return result;
}

/** With QUORUMKIT_HISTORY_HTML_DIR set (e2e and torture set it), a failed check leaves an
 *  HTML time line of the history, counterexample highlighted, for a person to look at. */
function writeFailureView(history: History | Operation[], result: LinearizableResult, modelName: string): string | undefined {
  const dir = process.env.QUORUMKIT_HISTORY_HTML_DIR;
  if (!dir || result.ok !== false) return undefined;
  const safeKey = result.key.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
  const file = join(dir, `linearizability-${modelName}-${safeKey}-${Date.now()}.html`);
  try {
    mkdirSync(dir, { recursive: true });
    writeHistoryHtml(file, history, result, { title: `${modelName}: key ${result.key} is not linearizable` });
    return file;
  } catch {
    return undefined; // the verdict matters more than its picture
  }
}

function searchLinearization(history: History | Operation[], model: Model<any>, opts: LinearizableOptions): LinearizableResult {
  const all = Array.isArray(history) ? history : history.operations();
  const deadline = performance.now() + (opts.timeBudgetMs ?? 30_000);
  const byKey = new Map<string, Operation[]>();
  let count = 0;
  for (const op of all) {
    if (op.status === 'fail') continue;
    const unknown = op.status !== 'ok';
    if (unknown && model.readOnly?.(op.f)) continue; // a read with no answer constrains nothing
    if (op.status === 'ok' && (op.completeNs === undefined || op.completeNs < op.invokeNs)) {
      throw new RangeError(`operation ${op.id} is ok but completes before it is invoked`);
    }
    let list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, (list = []));
    list.push(op);
    count++;
  }
  const t0 = all.reduce((m, o) => (o.invokeNs < m ? o.invokeNs : m), all[0]?.invokeNs ?? 0n);
  for (const key of [...byKey.keys()].sort()) {
    const ops = byKey.get(key)!;
    const r = checkKey(ops, model, deadline);
    if (r.ok === 'unknown') {
      return { ok: 'unknown', key, message: `linearizability of key "${key}" (${ops.length} ops) unknown: time budget of ${opts.timeBudgetMs ?? 30_000} ms spent` };
    }
    if (r.ok === false) {
      const prefix = r.prefix.map((i) => ops[i]!);
      const { stuck, message } = explain(key, ops, r.prefix, r.state, model, t0);
      return { ok: false, key, message, ops: stuck, prefix };
    }
  }
  return { ok: true, keys: byKey.size, ops: count };
}

function checkKey<S>(ops: Operation[], model: Model<S>, deadline: number): KeyResult<S> {
  const keyOf = model.key ?? ((s: S) => stableKey(s));
  // Build the time line: calls before returns at equal times (treated as concurrent).
  const events: Array<{ t: bigint; call: boolean; op: number }> = [];
  ops.forEach((op, i) => {
    events.push({ t: op.invokeNs, call: true, op: i });
    if (op.status === 'ok') events.push({ t: op.completeNs!, call: false, op: i });
  });
  events.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.call !== b.call ? (a.call ? -1 : 1) : a.op - b.op));
  const head: Entry = { op: -1, call: false, match: null, prev: null, next: null };
  const calls = new Map<number, Entry>();
  let tail = head;
  for (const ev of events) {
    const e: Entry = { op: ev.op, call: ev.call, match: null, prev: tail, next: null };
    tail.next = e;
    tail = e;
    if (ev.call) calls.set(ev.op, e);
    else calls.get(ev.op)!.match = e;
  }

  // Memo of visited (linearized set, state). The set is identified by a 96-bit Zobrist hash
  // (kept incrementally, O(1) per step) instead of a copy of the bitset: copies cost
  // ops/8 bytes per visited state, hundreds of MB on a long single-key history. A collision
  // (odds ~ visited^2 / 2^97) could only prune a branch, i.e. report a false violation,
  // never hide a real one.
  const zob = new Uint32Array(ops.length * 3);
  let seed = 0x9e3779b9;
  for (let i = 0; i < zob.length; i++) {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    zob[i] = (t ^ (t >>> 14)) >>> 0;
  }
  let h1 = 0;
  let h2 = 0;
  let h3 = 0;
  const flip = (i: number) => {
    h1 ^= zob[3 * i]!;
    h2 ^= zob[3 * i + 1]!;
    h3 ^= zob[3 * i + 2]!;
  };
  const seen = new Set<string>();
  const stack: Array<{ entry: Entry; state: S }> = [];
  let state = model.init();
  // The longest prefix so far. best[0..common) always equals the stack's bottom, so growing it
  // copies only what changed since the last pop below that point.
  const best: number[] = [];
  let common = 0;
  let bestState = state;
  let entry = head.next;
  let iter = 0;

  while (head.next !== null) {
    if ((++iter & 1023) === 0 && performance.now() > deadline) return { ok: 'unknown' };
    if (entry === null) return { ok: true }; // only unknown-outcome ops are left: they never happened
    if (entry.call) {
      const i = entry.op;
      const op = ops[i]!;
      const r = model.step(state, op.f, op.input, outputOf(op, model));
      if (r.ok) {
        flip(i);
        const k = `${h1}.${h2}.${h3}|${keyOf(r.state)}`;
        if (!seen.has(k)) {
          seen.add(k);
          stack.push({ entry, state });
          state = r.state;
          lift(entry);
          if (stack.length > best.length) {
            for (let d = common; d < stack.length; d++) best[d] = stack[d]!.entry.op;
            common = stack.length;
            bestState = state;
          }
          entry = head.next;
          continue;
        }
        flip(i);
      }
      entry = entry.next;
    } else {
      // A return whose call is not linearized yet: undo the last choice.
      const top = stack.pop();
      if (top === undefined) return { ok: false, prefix: best, state: bestState };
      common = Math.min(common, stack.length);
      state = top.state;
      flip(top.entry.op);
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { ok: true };
}

/**
 * What the model sees as the result: undefined for unknown outcomes; for a completed read,
 * a missing output means "absent" (null), never "unknown", or a read of a missing key would
 * match anything.
 */
function outputOf(op: Operation, model: Model<any>): unknown {
  if (op.status !== 'ok') return undefined;
  if (op.output === undefined && model.readOnly?.(op.f)) return null;
  return op.output;
}

function lift(e: Entry): void {
  e.prev!.next = e.next;
  if (e.next) e.next.prev = e.prev;
  const m = e.match;
  if (m) {
    m.prev!.next = m.next;
    if (m.next) m.next.prev = m.prev;
  }
}

function unlift(e: Entry): void {
  const m = e.match;
  if (m) {
    m.prev!.next = m;
    if (m.next) m.next.prev = m;
  }
  e.prev!.next = e;
  if (e.next) e.next.prev = e;
}

export function describeOp(op: Operation, t0: bigint = 0n): string {
  const ms = (t: bigint | undefined) => (t === undefined ? '∞' : (Number(t - t0) / 1e6).toFixed(3));
  const input = op.input === undefined ? '' : formatValue(op.input, 80);
  const result =
    op.status === 'ok' ? `-> ${formatValue(op.output, 80)}` : op.status === 'pending' ? '-> ? (pending)' : `-> ? (${op.status}${op.error !== undefined ? `: ${formatValue(op.error, 60)}` : ''})`;
  return `#${op.id} p${String(op.process)} ${op.f}(${input}) ${result}  [${ms(op.invokeNs)} .. ${ms(op.status === 'ok' ? op.completeNs : undefined)} ms]`;
}

function explain<S>(key: string, ops: Operation[], prefix: number[], state: S, model: Model<S>, t0: bigint): { stuck: Operation[]; message: string } {
  const placed = new Set(prefix);
  const rest = ops.map((_, i) => i).filter((i) => !placed.has(i));
  // The op that had to be placed next is the earliest-completing ok op left; anything invoked
  // before it completed was a candidate too.
  let deadlineNs: bigint | undefined;
  for (const i of rest) {
    const op = ops[i]!;
    if (op.status === 'ok' && (deadlineNs === undefined || op.completeNs! < deadlineNs)) deadlineNs = op.completeNs!;
  }
  const stuckIdx = rest.filter((i) => deadlineNs === undefined || ops[i]!.invokeNs <= deadlineNs);
  const show = model.show ?? ((s: S) => formatValue(s, 120));
  const lines = [
    `history of key "${key}" is not linearizable (model ${model.name}, ${ops.length} ops on this key)`,
    `longest linearizable prefix (${prefix.length} ops):`,
  ];
  const shown = prefix.length > 30 ? prefix.slice(-30) : prefix;
  if (shown.length < prefix.length) lines.push(`  ... ${prefix.length - shown.length} earlier ops`);
  for (const i of shown) lines.push(`  ${describeOp(ops[i]!, t0)}`);
  lines.push(`model state after the prefix: ${show(state)}`);
  lines.push(`operations that could not be placed next:`);
  for (const i of stuckIdx) {
    const op = ops[i]!;
    const r = model.step(state, op.f, op.input, outputOf(op, model));
    lines.push(`  ${describeOp(op, t0)}${r.ok ? '  (allowed here, but every order after it fails)' : '  (impossible from this state)'}`);
  }
  return { stuck: stuckIdx.map((i) => ops[i]!), message: lines.join('\n') };
}
