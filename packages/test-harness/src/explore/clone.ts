// Deep copy and canonical text of protocol state, for exploring cores written as classes:
// the explorer clones a state before stepping it and hashes states to visit each only once.

/** Deep copy keeping class prototypes (so methods still work), Maps, Sets, typed arrays, Dates. */
export function cloneDeep<T>(value: T, seen = new Map<unknown, unknown>()): T {
  if (value === null || typeof value !== 'object') return value;
  const prior = seen.get(value);
  if (prior !== undefined) return prior as T;
  if (value instanceof Uint8Array) return value.slice() as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    for (const [k, v] of value) out.set(cloneDeep(k, seen), cloneDeep(v, seen));
    return out as T;
  }
  if (value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    for (const v of value) out.add(cloneDeep(v, seen));
    return out as T;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(cloneDeep(v, seen));
    return out as T;
  }
  const out = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
  seen.set(value, out);
  for (const k of Object.keys(value)) out[k] = cloneDeep((value as Record<string, unknown>)[k], seen);
  return out as T;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/**
 * Canonical text of a value: object keys sorted, Map entries and Set members sorted by their
 * own canonical text, bigint and bytes tagged. Equal states give equal text whatever the order
 * in which they were built. Functions are skipped.
 */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'u';
  if (value === null) return 'n';
  switch (typeof value) {
    case 'bigint':
      return `${value}n`;
    case 'number':
    case 'boolean':
      return String(value);
    case 'string':
      return JSON.stringify(value);
    case 'function':
    case 'symbol':
      return 'f';
    default:
      break;
  }
  if (value instanceof Uint8Array) return `b${hex(value)}`;
  if (value instanceof Date) return `d${value.getTime()}`;
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => `${stableStringify(k)}:${stableStringify(v)}`).sort();
    return `M{${entries.join(',')}}`;
  }
  if (value instanceof Set) return `S{${[...value].map(stableStringify).sort().join(',')}}`;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => typeof o[k] !== 'function').sort();
  return `{${keys.map((k) => `${k}:${stableStringify(o[k])}`).join(',')}}`;
}
