import { formatValue } from '../sim/trace.js';
import { valuesEqual } from './models.js';

/**
 * For eventually consistent replicas (constdb): after quiescence every state equals the
 * others (and `spec`, when given). Maps, Sets, arrays, plain objects, bigint and bytes are
 * compared structurally; Set and Map order does not matter.
 */
export function checkConverged<S>(states: S[], spec?: S, opts: { maxDiffs?: number; names?: string[] } = {}): { ok: boolean; diffs: string[] } {
  const max = opts.maxDiffs ?? 50;
  const diffs: string[] = [];
  const name = (i: number) => opts.names?.[i] ?? `node ${i}`;
  const refName = spec !== undefined ? 'spec' : name(0);
  const ref = spec !== undefined ? spec : states[0];
  states.forEach((s, i) => {
    if (spec === undefined && i === 0) return;
    diff(ref, s, '', (path, a, b) => {
      if (diffs.length < max) diffs.push(`${name(i)} differs from ${refName} at ${path || '(root)'}: ${formatValue(b, 80)} vs ${formatValue(a, 80)}`);
      else if (diffs.length === max) diffs.push('... more differences not shown');
    });
  });
  return { ok: diffs.length === 0, diffs };
}

type Report = (path: string, a: unknown, b: unknown) => void;

function normalize(v: unknown): unknown {
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [formatKey(k), x]));
  if (v instanceof Set) return Object.fromEntries([...v].map((x) => [formatKey(x), true]));
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}

function formatKey(k: unknown): string {
  return typeof k === 'string' ? k : formatValue(k, 200);
}

function diff(a: unknown, b: unknown, path: string, report: Report): void {
  const x = normalize(a);
  const y = normalize(b);
  const isObj = (v: unknown) => v !== null && typeof v === 'object';
  if (isObj(x) && isObj(y) && Array.isArray(x) === Array.isArray(y)) {
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) report(`${path}.length`, x.length, y.length);
      for (let i = 0; i < Math.min(x.length, y.length); i++) diff(x[i], y[i], `${path}[${i}]`, report);
      return;
    }
    const xo = x as Record<string, unknown>;
    const yo = y as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(xo), ...Object.keys(yo)])].sort();
    for (const k of keys) {
      const p = `${path}.${k}`;
      if (!(k in yo)) report(p, xo[k], '<missing>');
      else if (!(k in xo)) report(p, '<missing>', yo[k]);
      else diff(xo[k], yo[k], p, report);
    }
    return;
  }
  if (!valuesEqual(x, y) || typeof x !== typeof y) report(path, x, y);
}
