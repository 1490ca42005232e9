import type { Operation } from '../src/index.js';
import { Prng } from '../src/index.js';

/**
 * A kv history from an atomic execution: `clients` sequential clients, each op taking effect
 * at a random point inside its [invoke, complete] window, so it is linearizable by construction.
 * A fraction of ops end 'info' (applied or not).
 */
export function genKvHistory(opts: { ops: number; keys: number; clients: number; seed: number; infoRate?: number }): Operation[] {
  const rng = new Prng(opts.seed);
  const clock = new Array<number>(opts.clients).fill(0);
  const raw: Array<{ op: Operation; lp: number; applied: boolean }> = [];
  for (let i = 0; i < opts.ops; i++) {
    const c = i % opts.clients;
    const invoke = clock[c]! + rng.int(0, 50);
    const lp = invoke + rng.int(1, 400);
    const complete = lp + rng.int(1, 400);
    clock[c] = complete;
    const r = rng.next();
    const f = r < 0.5 ? 'get' : r < 0.85 ? 'put' : 'cas';
    const info = rng.chance(opts.infoRate ?? 0.01);
    const v = rng.int(0, 9);
    raw.push({
      op: {
        id: i,
        process: c,
        key: `k${rng.int(0, opts.keys - 1)}`,
        f,
        input: f === 'get' ? null : f === 'put' ? v : [rng.int(0, 9), v],
        status: info ? 'info' : 'ok',
        invokeNs: BigInt(invoke) * 1000n,
        completeNs: info ? undefined : BigInt(complete) * 1000n,
      },
      lp,
      applied: !info || rng.chance(0.5),
    });
  }
  const state = new Map<string, number | null>();
  for (const { op, applied } of [...raw].sort((a, b) => a.lp - b.lp || a.op.id - b.op.id)) {
    const cur = state.get(op.key) ?? null;
    let out: unknown;
    if (op.f === 'get') out = cur;
    else if (op.f === 'put') {
      if (applied) state.set(op.key, op.input as number);
    } else {
      const [from, to] = op.input as [number, number];
      out = cur === from;
      if (applied && cur === from) state.set(op.key, to);
    }
    if (op.status === 'ok' && out !== undefined) op.output = out;
  }
  return raw.map((r) => r.op);
}
