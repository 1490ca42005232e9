import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Operation, checkLinearizable, kvModel, registerModel } from '../src/index.js';

/**
 * Histories produced by an atomic execution are linearizable by construction: each op takes
 * effect at a point strictly inside [invoke, complete]. Random overlaps, info ops (with the
 * effect applied or not) and failed ops (never applied) must all be accepted.
 */
const step = fc.record({
  key: fc.constantFrom('a', 'b', 'c'),
  f: fc.constantFrom('get', 'put', 'cas'),
  value: fc.integer({ min: 0, max: 3 }),
  from: fc.integer({ min: 0, max: 3 }),
  before: fc.integer({ min: 1, max: 40 }),
  after: fc.integer({ min: 1, max: 40 }),
  kind: fc.constantFrom('ok', 'ok', 'ok', 'ok', 'info-applied', 'info-lost', 'fail'),
});

type Step = { key: string; f: string; value: number; from: number; before: number; after: number; kind: string };

function build(steps: Step[]): Operation[] {
  const state = new Map<string, number | null>();
  return steps.map((s, i) => {
    const at = (i + 1) * 10; // linearization point
    const cur = state.get(s.key) ?? null;
    const applied = s.kind === 'ok' || s.kind === 'info-applied';
    let output: unknown;
    if (s.f === 'get') output = cur;
    else if (s.f === 'put') {
      if (applied) state.set(s.key, s.value);
    } else {
      const hit = cur === s.from;
      if (applied && hit) state.set(s.key, s.value);
      output = hit;
    }
    const status = s.kind === 'ok' ? 'ok' : s.kind === 'fail' ? 'fail' : 'info';
    return {
      id: i,
      process: i % 5,
      key: s.key,
      f: s.f,
      input: s.f === 'cas' ? [s.from, s.value] : s.f === 'put' ? s.value : null,
      output: status === 'ok' ? output : undefined,
      status,
      invokeNs: BigInt(at - s.before),
      completeNs: status === 'info' ? undefined : BigInt(at + s.after),
    } satisfies Operation;
  });
}

describe('checkLinearizable property', () => {
  it('accepts every history produced by an atomic execution with random overlaps', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), (steps) => {
        const r = checkLinearizable(build(steps), kvModel, { timeBudgetMs: 10_000 });
        expect(r.ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects the same histories once a completed read is corrupted to an impossible value', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), fc.nat(), (steps, pick) => {
        const ops = build(steps).map((o) => ({ ...o, key: 'k' }));
        const reads = ops.filter((o) => o.f === 'get' && o.status === 'ok');
        fc.pre(reads.length > 0);
        reads[pick % reads.length]!.output = 99; // no op ever writes 99
        expect(checkLinearizable(ops, registerModel).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

/** Exhaustive reference: some order of all ok ops plus any subset of info ops, respecting real time. */
function bruteForce(ops: Operation[]): boolean {
  const live = ops.filter((o) => o.status !== 'fail');
  const end = (o: Operation) => (o.status === 'ok' ? o.completeNs! : BigInt(Number.MAX_SAFE_INTEGER));
  const search = (used: Set<number>, state: unknown): boolean => {
    if (live.every((o) => o.status !== 'ok' || used.has(o.id))) return true;
    for (const o of live) {
      if (used.has(o.id)) continue;
      // o can go next only if no unused op finished before o was invoked.
      if (live.some((p) => !used.has(p.id) && p !== o && p.status === 'ok' && end(p) < o.invokeNs)) continue;
      const r = registerModel.step(state, o.f, o.input, o.status === 'ok' ? (o.output === undefined && o.f === 'read' ? null : o.output) : undefined);
      if (!r.ok) continue;
      used.add(o.id);
      if (search(used, r.state)) return true;
      used.delete(o.id);
    }
    return false;
  };
  return search(new Set(), registerModel.init());
}

const randomOp = fc.record({
  f: fc.constantFrom('read', 'write', 'cas'),
  a: fc.integer({ min: 0, max: 2 }),
  b: fc.integer({ min: 0, max: 2 }),
  start: fc.integer({ min: 0, max: 30 }),
  len: fc.integer({ min: 1, max: 15 }),
  status: fc.constantFrom('ok', 'ok', 'ok', 'info', 'fail'),
  casOk: fc.boolean(),
});

describe('checkLinearizable against an exhaustive reference', () => {
  it('agrees with brute force on small random register histories', () => {
    fc.assert(
      fc.property(fc.array(randomOp, { minLength: 1, maxLength: 6 }), (raw) => {
        const ops: Operation[] = raw.map((r, id) => ({
          id,
          process: id,
          key: 'x',
          f: r.f,
          input: r.f === 'write' ? r.a : r.f === 'cas' ? [r.a, r.b] : null,
          output: r.status !== 'ok' ? undefined : r.f === 'read' ? (r.a === 0 ? null : r.a) : r.f === 'cas' ? r.casOk : undefined,
          status: r.status as Operation['status'],
          invokeNs: BigInt(r.start),
          completeNs: r.status === 'info' ? undefined : BigInt(r.start + r.len),
        }));
        const got = checkLinearizable(ops, registerModel).ok;
        expect(got).toBe(bruteForce(ops));
      }),
      { numRuns: 1500 },
    );
  });
});
