// The data behind the failing-history viewer: every operation flattened to plain JSON
// (times in ns relative to the first invoke, values pre-formatted), the checker's verdict
// (the violating ops, the linearized prefix in order) and the concurrent window around the
// violation. Pure: no DOM, no I/O, so a test can check what the page will show.
import type { LinearizableResult } from '../checkers/linearizable.js';
import { describeOp } from '../checkers/linearizable.js';
import type { History, Operation, OpStatus } from '../history/history.js';
import { formatValue } from '../sim/trace.js';

/** One operation as the page sees it. */
export interface ViewOp {
  id: number;
  /** process name */
  p: string;
  /** index into HistoryViewData.keys */
  k: number;
  f: string;
  /** formatted input, '' when none */
  in: string;
  /** formatted output (ok) or error (fail/info), '' when none */
  out: string;
  s: OpStatus;
  /** invoke, ns after the first invoke */
  a: number;
  /** completion, ns after the first invoke; null while pending */
  b: number | null;
  /** position in the longest linearizable prefix (1-based), 0 when not in it */
  lin: number;
  /** could not be placed after the prefix: the violation */
  bad: boolean;
  /** on the failing key and overlaps the concurrent window (a failed op never took effect: not flagged) */
  cc: boolean;
  /** one-line description (the checker's describeOp) */
  d: string;
}

export interface HistoryViewData {
  title: string;
  keys: string[];
  /** op count per key (all of the history's, also those left out by the cap) */
  keyOps: number[];
  /** index of the failing key in keys, -1 when the history passed or no result was given */
  failKey: number;
  /** the tab to open first: a key index, or -1 for all keys */
  initialKey: number;
  processes: string[];
  /** ns from the first invoke to the last event */
  spanNs: number;
  /** where the violation lives: from the earliest invoke among the violating completed ops to
   *  the earliest completion among them (the moment one of them had to have taken effect) */
  window: { a: number; b: number } | null;
  bad: number[];
  prefix: number[];
  concurrent: number[];
  /** ops of the history not embedded because of maxOps */
  omitted: number;
  total: number;
  summary: string;
  ops: ViewOp[];
}

export interface HistoryViewOptions {
  title?: string;
  /** open on the "all keys" tab instead of the failing key's */
  allKeys?: boolean;
  /** at most this many ops are embedded (default 50,000): the failing key's and those in the
   *  concurrent window first, then the others in invoke order */
  maxOps?: number;
  /** longest formatted input/output, in characters (default 200) */
  maxValueChars?: number;
}

export const DEFAULT_MAX_OPS = 50_000;

const endOf = (o: Operation): bigint | undefined => (o.status === 'ok' || o.status === 'fail' ? o.completeNs : undefined);

/** The violation's window: ops that overlap it are the ones the checker had to order there. */
function violationWindow(bad: Operation[]): { a: bigint; b: bigint } | null {
  if (!bad.length) return null;
  const done = bad.filter((o) => o.status === 'ok' && o.completeNs !== undefined);
  // An unknown-outcome op invoked long ago is always among the unplaced ones; starting the
  // window at it would make the whole history "concurrent", so completed ops set the window.
  const from = done.length ? done : bad;
  const a = from.reduce((m, o) => (o.invokeNs < m ? o.invokeNs : m), from[0]!.invokeNs);
  const b = done.length ? done.reduce((m, o) => (o.completeNs! < m ? o.completeNs! : m), done[0]!.completeNs!) : from.reduce((m, o) => (o.invokeNs > m ? o.invokeNs : m), a);
  return { a, b };
}

export function historyViewData(history: History | Operation[], result?: LinearizableResult, opts: HistoryViewOptions = {}): HistoryViewData {
  const all = Array.isArray(history) ? history : history.operations();
  const maxOps = opts.maxOps ?? DEFAULT_MAX_OPS;
  const maxChars = opts.maxValueChars ?? 200;
  const failKeyName = result && result.ok !== true ? result.key : undefined;
  const badOps = result && result.ok === false ? result.ops : [];
  const badIds = new Set(badOps.map((o) => o.id));
  const prefixOrder = new Map(result && result.ok === false ? result.prefix.map((o, i) => [o.id, i + 1] as const) : []);
  const win = violationWindow(badOps);
  // Only the failing key's ops: the checker orders each key on its own, so another key's op
  // at the same moment is no part of the violation.
  const overlaps = (o: Operation) => win !== null && o.key === failKeyName && o.status !== 'fail' && o.invokeNs <= win.b && (endOf(o) ?? win.b) >= win.a;

  const t0 = all.reduce((m, o) => (o.invokeNs < m ? o.invokeNs : m), all[0]?.invokeNs ?? 0n);
  const tEnd = all.reduce((m, o) => {
    const e = o.completeNs ?? o.invokeNs;
    return e > m ? e : m;
  }, t0);

  const keyOps = new Map<string, number>();
  for (const o of all) keyOps.set(o.key, (keyOps.get(o.key) ?? 0) + 1);
  // the failing key first, then the busiest keys, so the first tabs are the useful ones
  const keys = [...keyOps.keys()].sort((x, y) => (x === failKeyName ? -1 : y === failKeyName ? 1 : keyOps.get(y)! - keyOps.get(x)! || x.localeCompare(y)));
  const keyIndex = new Map(keys.map((k, i) => [k, i]));

  // Nothing grows without a cap: past maxOps keep what explains the violation first.
  let kept = all;
  if (all.length > maxOps) {
    const rank = (o: Operation) => (badIds.has(o.id) || overlaps(o) ? 0 : o.key === failKeyName ? 1 : 2);
    const chosen = new Set([...all].sort((x, y) => rank(x) - rank(y) || (x.invokeNs < y.invokeNs ? -1 : x.invokeNs > y.invokeNs ? 1 : 0)).slice(0, maxOps));
    kept = all.filter((o) => chosen.has(o));
  }

  const rel = (t: bigint) => Number(t - t0);
  const ops: ViewOp[] = kept.map((o) => {
    const lin = prefixOrder.get(o.id) ?? 0;
    const bad = badIds.has(o.id);
    const value = o.status === 'ok' ? o.output : o.error;
    return {
      id: o.id,
      p: String(o.process),
      k: keyIndex.get(o.key)!,
      f: o.f,
      in: o.input === undefined ? '' : formatValue(o.input, maxChars),
      out: value === undefined ? '' : formatValue(value, maxChars),
      s: o.status,
      a: rel(o.invokeNs),
      b: o.completeNs === undefined ? null : rel(o.completeNs),
      lin,
      bad,
      cc: overlaps(o),
      d: `${describeOp(o, t0)}${lin ? ` (linearized #${lin})` : ''}${bad ? ' (could not be placed)' : ''}`,
    };
  });
  const processes = [...new Set(all.map((o) => String(o.process)))].sort((x, y) => x.localeCompare(y, undefined, { numeric: true }));
  const failKey = failKeyName === undefined ? -1 : (keyIndex.get(failKeyName) ?? -1);
  const summary = result === undefined ? '' : result.ok === true ? `linearizable: ${result.ops} ops on ${result.keys} keys` : result.message;
  return {
    title: opts.title ?? 'history',
    keys,
    keyOps: keys.map((k) => keyOps.get(k)!),
    failKey,
    initialKey: opts.allKeys || failKey < 0 ? (keys.length === 1 ? 0 : -1) : failKey,
    processes,
    spanNs: Math.max(1, rel(tEnd)),
    window: win && { a: rel(win.a), b: rel(win.b) },
    bad: [...badIds],
    prefix: result && result.ok === false ? result.prefix.map((o) => o.id) : [],
    concurrent: ops.filter((o) => o.cc).map((o) => o.id),
    omitted: all.length - kept.length,
    total: all.length,
    summary,
    ops,
  };
}
