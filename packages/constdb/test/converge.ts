// Convergence harness for the pure core: three nodes run random commands, deltas are
// delivered partly during the run and then all of them in a different order per node,
// twice; every node must end with the same view and the same records.
import { expect } from 'vitest';
import fc from 'fast-check';
import { keyClone, keyJoinInto, type KeyRec } from '../src/core/keyrec.js';
import { TestNode, view, canon } from './helpers.js';

export function runConcurrent(steps: Array<{ node: number; cmd: string[]; deliver: number }>): { nodes: TestNode[]; deltas: Array<[string, KeyRec]> } {
  const nodes = [new TestNode(1), new TestNode(2), new TestNode(3)];
  const pending: Array<Array<[string, KeyRec]>> = [[], [], []];
  const all: Array<[string, KeyRec]> = [];
  for (const s of steps) {
    const n = nodes[s.node]!;
    n.now += 1;
    n.run(...s.cmd);
    for (const [key, d] of n.emitted.splice(0)) {
      all.push([key, d]);
      for (let j = 0; j < 3; j++) if (j !== s.node) pending[j]!.push([key, d]);
    }
    const target = s.deliver % 3;
    const q = pending[target]!;
    for (const [key, d] of q.splice(0, s.deliver % (q.length + 1)).reverse()) nodes[target]!.db.join(key, d);
  }
  return { nodes, deltas: all };
}

export function convergesProperty(cmd: fc.Arbitrary<string[]>, keys: string[]): void {
  const steps = fc.array(fc.record({ node: fc.integer({ min: 0, max: 2 }), cmd, deliver: fc.nat(20) }), { maxLength: 40 });
  fc.assert(
    fc.property(steps, fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), (st, seeds) => {
      const { nodes, deltas } = runConcurrent(st);
      nodes.forEach((n, ni) => {
        const order = deltas.map((d, j) => [((j + 1) * 2654435761 + seeds[ni]!) % 4294967296, d] as const).sort((x, y) => x[0] - y[0]);
        for (const [, [key, d]] of [...order, ...order]) n.db.join(key, d);
      });
      const now = Math.max(...nodes.map((n) => n.now));
      const views = nodes.map((n) => JSON.stringify(view(n.db, now)));
      expect(views[1]).toBe(views[0]);
      expect(views[2]).toBe(views[0]);
      for (const key of keys) {
        const [a, b] = nodes.map((n) => n.db.keys.get(key) ?? {});
        const j = (x: KeyRec, y: KeyRec) => {
          const r = keyClone(x);
          keyJoinInto(r, y);
          return r;
        };
        expect(canon(j(a!, b!))).toBe(canon(j(b!, a!)));
        expect(canon(a!)).toBe(canon(b!));
      }
    }),
    { numRuns: Number(process.env.CRDT_RUNS ?? 250) },
  );
}
