import { HistoryError } from '../errors.js';

export type OpStatus = 'ok' | 'fail' | 'info' | 'pending';

export interface Operation {
  id: number;
  process: number | string;
  key: string;
  f: string;
  input: unknown;
  /** The result of an 'ok' operation. */
  output?: unknown;
  /** Why an operation failed ('fail') or has an unknown outcome ('info'). */
  error?: unknown;
  status: OpStatus;
  invokeNs: bigint;
  completeNs?: bigint;
}

export interface OpHandle {
  readonly id: number;
  /** Took effect, with this result. */
  ok(output?: unknown): void;
  /** Definitely did not take effect. */
  fail(error?: unknown): void;
  /** Unknown outcome (timeout, lost connection): may take effect at any time after invoke, or never. */
  info(error?: unknown): void;
}

export interface HistoryOptions {
  /** Monotonic clock in ns. Default process.hrtime.bigint; a simulation passes its virtual clock. */
  clock?: () => bigint;
}

/**
 * A concurrent history recorded by clients: one invoke and at most one completion per
 * operation. Business-level refusals that are known answers (card 'exists', cas false) are
 * recorded with ok(output), not fail(): the checker uses them as reads.
 */
export class History {
  private readonly ops: Operation[] = [];
  private readonly clock: () => bigint;

  constructor(opts: HistoryOptions = {}) {
    this.clock = opts.clock ?? (() => process.hrtime.bigint());
  }

  invoke(process: number | string, f: string, input?: unknown, key = ''): OpHandle {
    const op: Operation = { id: this.ops.length, process, key, f, input, status: 'pending', invokeNs: this.clock() };
    this.ops.push(op);
    const complete = (status: 'ok' | 'fail' | 'info', field: 'output' | 'error', value: unknown) => {
      if (op.status !== 'pending') {
        throw new HistoryError('ALREADY_COMPLETED', `operation ${op.id} (${op.f}) already completed as ${op.status}`);
      }
      op.completeNs = this.clock();
      op.status = status;
      if (value !== undefined) op[field] = value;
    };
    return {
      id: op.id,
      ok: (output) => complete('ok', 'output', output),
      fail: (error) => complete('fail', 'error', error),
      info: (error) => complete('info', 'error', error),
    };
  }

  /** Runs `fn` as one operation: ok with its result, or fail/info as `classify` says (default info). */
  async record<T>(
    process: number | string,
    f: string,
    input: unknown,
    key: string,
    fn: () => Promise<T>,
    classify: (err: unknown) => 'fail' | 'info' = () => 'info',
  ): Promise<T> {
    const h = this.invoke(process, f, input, key);
    try {
      const out = await fn();
      h.ok(out);
      return out;
    } catch (err) {
      if (classify(err) === 'fail') h.fail(errorText(err));
      else h.info(errorText(err));
      throw err;
    }
  }

  /**
   * A clock for virtual time (a simulation's `now()` in ms): ns = ms * 1e6, nudged so that every
   * reading is strictly greater than the last. Without the nudge, ops in one virtual ms would
   * look concurrent and the checker would accept orders that real time forbids.
   */
  static virtualClock(nowMs: () => number): () => bigint {
    let last = -1n;
    return () => {
      let t = BigInt(Math.floor(nowMs() * 1_000_000));
      if (t <= last) t = last + 1n;
      last = t;
      return t;
    };
  }

  /** A snapshot of every operation, in invoke order. */
  operations(): Operation[] {
    return this.ops.map((o) => ({ ...o }));
  }

  get size(): number {
    return this.ops.length;
  }

  /** JSON-safe form (bigints as strings). */
  toJSON(): unknown {
    return this.ops.map((o) => jsonSafe(o));
  }

  /** Inverse of toJSON. */
  static fromJSON(data: unknown): Operation[] {
    if (!Array.isArray(data)) throw new HistoryError('BAD_HISTORY', 'history JSON must be an array');
    return data.map((raw: any) => ({
      ...raw,
      invokeNs: BigInt(raw.invokeNs),
      completeNs: raw.completeNs === undefined ? undefined : BigInt(raw.completeNs),
    }));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = jsonSafe(x);
    return out;
  }
  return v;
}
