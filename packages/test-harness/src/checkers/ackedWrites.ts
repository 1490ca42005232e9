import type { History, Operation } from '../history/history.js';

/** What every checker here returns: ok, or readable problems naming the operations. */
export interface AckedCheckResult {
  ok: boolean;
  problems: string[];
}

const MAX_PROBLEMS = 50;

function ops(h: History | readonly Operation[]): readonly Operation[] {
  return Array.isArray(h) ? (h as readonly Operation[]) : (h as History).operations();
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? String(v);
}

function name(op: Operation): string {
  return `op ${op.id} (process ${op.process}, ${op.f}${op.key ? ` ${op.key}` : ''} ${show(op.input)}, ${op.status})`;
}

function finish(problems: string[]): AckedCheckResult {
  const shown = problems.slice(0, MAX_PROBLEMS);
  if (problems.length > MAX_PROBLEMS) shown.push(`... and ${problems.length - MAX_PROBLEMS} more`);
  return { ok: problems.length === 0, problems: shown };
}

export interface AckedInLogOptions {
  /** Operation names that append to the log. Default ['append', 'update', 'write']. */
  appendFs?: string[];
  /** The value an operation put in the log. Default: its input. */
  writtenValue?: (op: Operation) => unknown;
  /**
   * Replicas that had not caught up to a write are not required to hold it. Given a
   * replica name and its log, return false to skip it. Default: every replica counts.
   */
  replicaReached?: (replica: string, log: readonly unknown[], op: Operation) => boolean;
}

/**
 * Every acknowledged append is in the final log of every replica that reached it, exactly
 * once; failed appends are never in a log. Values must be unique per append (tests use
 * unique tokens) so that a duplicate is a replay, not a coincidence.
 */
export function checkAckedInLog(
  history: History | readonly Operation[],
  finalLogs: Record<string, readonly unknown[]>,
  opts: AckedInLogOptions = {},
): AckedCheckResult {
  const appendFs = new Set(opts.appendFs ?? ['append', 'update', 'write']);
  const writtenValue = opts.writtenValue ?? ((op: Operation) => op.input);
  const problems: string[] = [];
  const counts = new Map<string, Map<string, number>>();
  for (const [replica, log] of Object.entries(finalLogs)) {
    const m = new Map<string, number>();
    for (const v of log) m.set(show(v), (m.get(show(v)) ?? 0) + 1);
    counts.set(replica, m);
  }
  for (const op of ops(history)) {
    if (!appendFs.has(op.f)) continue;
    const v = show(writtenValue(op));
    for (const [replica, log] of Object.entries(finalLogs)) {
      const c = counts.get(replica)!.get(v) ?? 0;
      if (op.status === 'ok') {
        if (opts.replicaReached && !opts.replicaReached(replica, log, op)) continue;
        if (c === 0) problems.push(`lost acknowledged write: ${name(op)} is missing from replica ${replica}'s final log`);
      } else if (op.status === 'fail' && c > 0) {
        problems.push(`failed write took effect: ${name(op)} is in replica ${replica}'s final log`);
      }
      if (c > 1) problems.push(`duplicated write: ${name(op)} appears ${c} times in replica ${replica}'s final log`);
    }
  }
  return finish(problems);
}

export interface CounterBoundsOptions {
  /** Operation names that add a delta. Default ['add', 'incr', 'deposit', 'transfer']. */
  deltaFs?: string[];
  /** The delta of an operation. Default: its input as a bigint (numbers and numeric strings accepted). */
  deltaOf?: (op: Operation) => bigint;
  /** Value before any operation. Default 0. */
  initial?: bigint;
  /** Unknown-outcome deltas above this count are not enumerated exactly (2^n subsets); bounds are used. Default 20. */
  maxExactInfo?: number;
}

/**
 * For each key, final = initial + sum(acknowledged deltas) + a subset of the info deltas.
 * A value outside every such sum loses an acknowledged delta or applies a failed one.
 */
export function checkCounterBounds(
  history: History | readonly Operation[],
  finalValues: Record<string, bigint | number>,
  opts: CounterBoundsOptions = {},
): AckedCheckResult {
  const deltaFs = new Set(opts.deltaFs ?? ['add', 'incr', 'deposit', 'transfer']);
  const deltaOf = opts.deltaOf ?? ((op: Operation) => BigInt(op.input as bigint | number | string));
  const maxExact = opts.maxExactInfo ?? 20;
  const problems: string[] = [];
  const perKey = new Map<string, { acked: bigint; acks: Operation[]; infos: Operation[] }>();
  for (const op of ops(history)) {
    if (!deltaFs.has(op.f) || op.status === 'fail') continue;
    const k = perKey.get(op.key) ?? { acked: 0n, acks: [], infos: [] };
    perKey.set(op.key, k);
    if (op.status === 'ok') {
      k.acked += deltaOf(op);
      k.acks.push(op);
    } else k.infos.push(op);
  }
  for (const [key, raw] of Object.entries(finalValues)) {
    const fin = BigInt(raw);
    const k = perKey.get(key) ?? { acked: 0n, acks: [], infos: [] };
    const base = (opts.initial ?? 0n) + k.acked;
    const infoDeltas = k.infos.map(deltaOf);
    let possible: boolean;
    if (infoDeltas.length <= maxExact) {
      let sums = new Set<bigint>([0n]);
      for (const d of infoDeltas) sums = new Set([...sums, ...[...sums].map((s) => s + d)]);
      possible = sums.has(fin - base);
    } else {
      const lo = infoDeltas.filter((d) => d < 0n).reduce((a, b) => a + b, 0n);
      const hi = infoDeltas.filter((d) => d > 0n).reduce((a, b) => a + b, 0n);
      possible = fin - base >= lo && fin - base <= hi;
    }
    if (!possible) {
      const lastAck = k.acks[k.acks.length - 1];
      problems.push(
        `counter ${key || '(no key)'}: final value ${fin} is not initial + ${k.acks.length} acknowledged deltas (= ${base}) ` +
          `plus any subset of ${k.infos.length} unknown-outcome deltas [${infoDeltas.join(', ')}]` +
          (lastAck ? `; last acknowledged: ${name(lastAck)}` : ''),
      );
    }
  }
  return finish(problems);
}

export interface AckedKeysOptions {
  /** Default ['put', 'write', 'set']. */
  writeFs?: string[];
  /** Default ['delete', 'del']. */
  deleteFs?: string[];
  /** Value written by an operation. Default: its input. */
  writtenValue?: (op: Operation) => unknown;
}

/**
 * Every key whose last acknowledged write is not followed (in invocation order) by an
 * acknowledged delete is present in finalState, with a value some write (ok or info) of that
 * key put there. A key with only unknown-outcome writes after the delete may be either way.
 */
export function checkAckedKeysKept(
  history: History | readonly Operation[],
  finalState: Record<string, unknown> | Map<string, unknown>,
  opts: AckedKeysOptions = {},
): AckedCheckResult {
  const writeFs = new Set(opts.writeFs ?? ['put', 'write', 'set']);
  const deleteFs = new Set(opts.deleteFs ?? ['delete', 'del']);
  const writtenValue = opts.writtenValue ?? ((op: Operation) => op.input);
  const state = finalState instanceof Map ? finalState : new Map(Object.entries(finalState));
  const problems: string[] = [];
  const byKey = new Map<string, Operation[]>();
  for (const op of [...ops(history)].sort((a, b) => (a.invokeNs < b.invokeNs ? -1 : a.invokeNs > b.invokeNs ? 1 : a.id - b.id))) {
    if (!writeFs.has(op.f) && !deleteFs.has(op.f)) continue;
    const l = byKey.get(op.key) ?? [];
    l.push(op);
    byKey.set(op.key, l);
  }
  for (const [key, list] of byKey) {
    const acked = list.filter((o) => o.status === 'ok');
    const lastAcked = acked[acked.length - 1];
    const possibleValues = new Set(list.filter((o) => writeFs.has(o.f) && o.status !== 'fail').map((o) => show(writtenValue(o))));
    if (state.has(key)) {
      const v = show(state.get(key));
      if (!possibleValues.has(v)) problems.push(`key ${key}: final value ${v} was never written (writes: ${[...possibleValues].join(', ') || 'none'})`);
      continue;
    }
    if (lastAcked && writeFs.has(lastAcked.f)) {
      // Absent is fine only if a later delete may have happened (ok or unknown outcome).
      const after = list.slice(list.indexOf(lastAcked) + 1);
      const overlapsDelete = list.some(
        (o) => deleteFs.has(o.f) && o.status !== 'fail' && o !== lastAcked && (o.completeNs === undefined || lastAcked.completeNs === undefined || o.completeNs >= lastAcked.invokeNs),
      );
      if (!after.some((o) => deleteFs.has(o.f) && o.status !== 'fail') && !overlapsDelete) {
        problems.push(`lost acknowledged write: key ${key} is missing; last acknowledged ${name(lastAcked)} was not followed by a delete`);
      }
    }
  }
  return finish(problems);
}
