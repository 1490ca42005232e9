// A realistic register history, linearizable by construction, then one stale read planted:
// `processes` clients each run ops back to back on `keys` keys; every op takes effect at a
// random instant inside its [invoke, complete], results are computed in that order. Some
// puts time out (info: took effect or not) and some fail (never took effect).
import type { Operation } from '../../src/index.js';
import { Prng } from '../../src/index.js';

export interface PlantedHistory {
  ops: Operation[];
  /** the get whose output was replaced by an overwritten value */
  planted: Operation;
  plantedKey: string;
}

export function registerHistory(seed: number, opsCount = 1500, processes = 10, keys = 3): PlantedHistory {
  const rng = new Prng(seed);
  const keyNames = Array.from({ length: keys }, (_, i) => `k${i}`);
  type Draft = Operation & { at: number; effect: boolean };
  const drafts: Draft[] = [];
  const clock = Array.from({ length: processes }, () => rng.int(0, 200_000));
  let value = 0;
  for (let n = 0; n < opsCount; n++) {
    const p = n % processes;
    const invoke = clock[p]! + rng.int(10_000, 600_000);
    const complete = invoke + rng.int(100_000, 4_000_000);
    clock[p] = complete;
    const isPut = rng.chance(0.45);
    const roll = rng.next();
    const status: Operation['status'] = isPut && roll < 0.03 ? 'info' : isPut && roll < 0.05 ? 'fail' : 'ok';
    drafts.push({
      id: 0, process: p, key: rng.pick(keyNames), f: isPut ? 'put' : 'get', input: isPut ? ++value : null, status,
      invokeNs: BigInt(invoke), completeNs: BigInt(complete),
      at: invoke + rng.int(1, complete - invoke - 1), effect: status === 'ok' || (status === 'info' && rng.chance(0.5)),
    });
  }
  drafts.sort((a, b) => Number(a.invokeNs - b.invokeNs));
  drafts.forEach((d, i) => (d.id = i));
  const state = new Map<string, unknown>();
  for (const d of [...drafts].sort((a, b) => a.at - b.at)) {
    if (d.f === 'put' && d.effect) state.set(d.key, d.input);
    if (d.f === 'get') d.output = state.get(d.key) ?? null;
  }
  // Plant: a get in the middle of k1 that returns a value overwritten by a put that completed
  // before a second put started, both before the get was invoked (impossible in any order).
  const plantedKey = keyNames[1 % keys]!;
  const onKey = drafts.filter((d) => d.key === plantedKey);
  const okPuts = onKey.filter((d) => d.f === 'put' && d.status === 'ok');
  const planted = onKey.find((d, i) => i > onKey.length / 2 && d.f === 'get' && d.status === 'ok')!;
  const stale = okPuts.find((p1) => okPuts.some((p2) => p1.completeNs! < p2.invokeNs && p2.completeNs! < planted.invokeNs && p2.input !== planted.output))!;
  planted.output = stale.input;
  const ops = drafts.map(({ at: _at, effect: _effect, ...o }) => o as Operation);
  return { ops, planted: ops[planted.id]!, plantedKey };
}
