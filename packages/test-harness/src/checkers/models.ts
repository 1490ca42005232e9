/**
 * Sequential specifications for checkLinearizable. A model is pure: step() never mutates
 * the state it is given. `output === undefined` means the result is unknown (an 'info'
 * operation): the step applies the operation's effect and accepts any result.
 */
export interface Model<S> {
  name: string;
  init(): S;
  step(state: S, f: string, input: unknown, output: unknown): { ok: boolean; state: S };
  /** State identity for memoisation (default: bigint-safe JSON). */
  key?(state: S): string;
  /** Pretty-print a state in counterexamples. */
  show?(state: S): string;
  /** True if `f` never changes state: such operations with unknown outcome are skipped. */
  readOnly?(f: string): boolean;
}

export function stableKey(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (x instanceof Uint8Array) return `b:${Buffer.from(x).toString('hex')}`;
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
      const o = x as Record<string, unknown>;
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(o).sort()) sorted[k] = o[k];
      return sorted;
    }
    return x;
  }) ?? 'undefined';
}

/** Structural equality; null and undefined are the same "absent" value; bigint == number when equal. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    return a == b;
  }
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  return stableKey(a) === stableKey(b);
}

const unknownOutput = (o: unknown) => o === undefined;

/** Fast state key for registers: primitives directly, objects through stableKey. */
function valueKey(v: unknown): string {
  switch (typeof v) {
    case 'number':
      return `n${v}`;
    case 'string':
      return `s${v}`;
    case 'bigint':
      return `n${v}`; // 5n and 5 are the same value to valuesEqual
    case 'boolean':
      return `b${v}`;
    case 'undefined':
      return 'null';
    default:
      return v === null ? 'null' : stableKey(v);
  }
}
const bad = <S>(state: S) => ({ ok: false, state });
const good = <S>(state: S) => ({ ok: true, state });

function casArgs(input: unknown): [unknown, unknown] {
  if (Array.isArray(input)) return [input[0], input[1]];
  const o = (input ?? {}) as Record<string, unknown>;
  return [o.from ?? o.expected, o.to ?? o.value];
}

function casOutcome(output: unknown): boolean | undefined {
  if (output === undefined) return undefined;
  if (typeof output === 'boolean') return output;
  if (output !== null && typeof output === 'object' && 'ok' in output) return Boolean((output as { ok: unknown }).ok);
  return Boolean(output);
}

function registerStep(read: string, write: string) {
  return (state: unknown, f: string, input: unknown, output: unknown): { ok: boolean; state: unknown } => {
    if (f === read || f === 'read' || f === 'get') return unknownOutput(output) || valuesEqual(output, state) ? good(state) : bad(state);
    if (f === write || f === 'write' || f === 'put') return good(input ?? null);
    if (f === 'cas') {
      const [from, to] = casArgs(input);
      const applies = valuesEqual(state, from);
      const said = casOutcome(output);
      if (said !== undefined && said !== applies) return bad(state);
      return good(applies ? (to ?? null) : state);
    }
    throw new TypeError(`register model: unknown operation "${f}"`);
  };
}

/** f: 'read' (output value) | 'write' (input value) | 'cas' (input [from, to], output boolean). Starts null. */
export const registerModel: Model<unknown> = {
  name: 'register',
  init: () => null,
  step: registerStep('read', 'write'),
  key: valueKey,
  readOnly: (f) => f === 'read' || f === 'get',
};

/** Per-key register (partitioned by op.key): 'get' (output value or null) | 'put' (input value) | 'cas'. */
export const kvModel: Model<unknown> = {
  name: 'kv',
  init: () => null,
  step: registerStep('get', 'put'),
  key: valueKey,
  readOnly: (f) => f === 'read' || f === 'get',
};

function big(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' || typeof v === 'string') return BigInt(v);
  if (v == null) return 0n;
  throw new TypeError(`expected an integer, got ${typeof v}`);
}

/** 'add' (input bigint, may be negative) | 'read' (output bigint). Starts at 0. */
export const counterModel: Model<bigint> = {
  name: 'counter',
  init: () => 0n,
  key: (s) => s.toString(),
  readOnly: (f) => f === 'read' || f === 'get',
  step(state, f, input, output) {
    if (f === 'add' || f === 'incr') return good(state + big(input ?? 1n));
    if (f === 'read' || f === 'get') return output === undefined || big(output) === state ? good(state) : bad(state);
    throw new TypeError(`counter model: unknown operation "${f}"`);
  },
};

/** 'add' | 'remove' (input element) | 'read' (output array of elements, any order). State: sorted element keys. */
export const setModel: Model<string[]> = {
  name: 'set',
  init: () => [],
  key: (s) => s.join('\u0000'),
  readOnly: (f) => f === 'read',
  step(state, f, input, output) {
    const k = stableKey(input);
    if (f === 'add') return state.includes(k) ? good(state) : good([...state, k].sort());
    if (f === 'remove') return good(state.filter((x) => x !== k));
    if (f === 'read') {
      if (output === undefined) return good(state);
      const seen = [...new Set(((output ?? []) as unknown[]).map(stableKey))].sort();
      return seen.length === state.length && seen.every((x, i) => x === state[i]) ? good(state) : bad(state);
    }
    throw new TypeError(`set model: unknown operation "${f}"`);
  },
};

export interface Card {
  userName: string;
  userId: bigint;
  balance: bigint;
}

function toCard(v: unknown): Card {
  const o = (v ?? {}) as Record<string, unknown>;
  return { userName: String(o.userName ?? o.user_name ?? ''), userId: big(o.userId ?? o.user_id), balance: big(o.balance) };
}

const isErr = (o: unknown, code: string) => o === code;

/**
 * One card per key (entity partitioning by op.key). Known refusals are recorded as ok outputs:
 * insert -> anything | 'exists'; update {delta} -> {balance} | 'not_exist' | 'not_enough';
 * delete -> anything | 'not_exist'; select -> {userName,userId,balance} | 'not_exist'.
 */
export const cardModel: Model<Card | null> = {
  name: 'card',
  init: () => null,
  key: (s) => (s === null ? '-' : `${s.userName}|${s.userId}|${s.balance}`),
  readOnly: (f) => f === 'select',
  step(state, f, input, output) {
    switch (f) {
      case 'insert': {
        if (state !== null) return output === undefined || isErr(output, 'exists') ? good(state) : bad(state);
        if (isErr(output, 'exists')) return bad(state);
        return good(toCard(input));
      }
      case 'update': {
        const delta = big((input as { delta?: unknown } | null)?.delta ?? input);
        if (state === null) return output === undefined || isErr(output, 'not_exist') ? good(state) : bad(state);
        const next = state.balance + delta;
        if (next < 0n) return output === undefined || isErr(output, 'not_enough') ? good(state) : bad(state);
        if (output === undefined) return good({ ...state, balance: next });
        if (typeof output === 'string') return bad(state);
        const said = (output as { balance?: unknown } | null)?.balance;
        if (said !== undefined && big(said) !== next) return bad(state);
        return good({ ...state, balance: next });
      }
      case 'delete': {
        if (state === null) return output === undefined || isErr(output, 'not_exist') ? good(state) : bad(state);
        return isErr(output, 'not_exist') ? bad(state) : good(null);
      }
      case 'select': {
        if (output === undefined) return good(state);
        if (state === null) return isErr(output, 'not_exist') || output === null ? good(state) : bad(state);
        if (typeof output === 'string' || output === null) return bad(state);
        const c = toCard(output);
        return c.userName === state.userName && c.userId === state.userId && c.balance === state.balance ? good(state) : bad(state);
      }
      default:
        throw new TypeError(`card model: unknown operation "${f}"`);
    }
  },
};
