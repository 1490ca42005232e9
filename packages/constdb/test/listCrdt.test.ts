// Lists across replicas: random concurrent list commands on three nodes, deltas delivered
// partly during the run and then all of them in a different order per node, twice: every
// node must end with the same lists (and the join laws hold on the records).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { keyClone, keyJoinInto, type KeyRec } from '../src/core/keyrec.js';
import { TestNode, view, canon } from './helpers.js';

const KEYS = ['l1', 'l2'];
const V = ['a', 'b', 'c'];
const k = fc.constantFrom(...KEYS);
const v = fc.constantFrom(...V);
const i = fc.integer({ min: -3, max: 3 }).map(String);
export const listCmd: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(fc.constantFrom('LPUSH', 'RPUSH'), k, v, fc.option(v)).map(([c, key, x, y]) => [c, key, x, ...(y ? [y] : [])]),
  fc.tuple(fc.constantFrom('LPOP', 'RPOP'), k).map(([c, key]) => [c, key]),
  fc.tuple(k, i, v).map(([key, n, x]) => ['LSET', key, n, x]),
  fc.tuple(k, i, v).map(([key, n, x]) => ['LREM', key, n, x]),
  fc.tuple(k, i, i).map(([key, a, b]) => ['LTRIM', key, a, b]),
  fc.tuple(k, fc.constantFrom('BEFORE', 'AFTER'), v, v).map(([key, w, p, x]) => ['LINSERT', key, w, p, x]),
  fc.tuple(k, k, fc.constantFrom('LEFT', 'RIGHT'), fc.constantFrom('LEFT', 'RIGHT')).map(([a, b, x, y]) => ['LMOVE', a, b, x, y]),
  k.map((key) => ['DEL', key]),
  fc.tuple(k, fc.constantFrom('100', '1')).map(([key, s]) => ['EXPIRE', key, s]),
);

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
    { numRuns: Number(process.env.LIST_RUNS ?? 250) },
  );
}

const sync = (from: TestNode, to: TestNode) => {
  for (const [key, d] of from.emitted.splice(0)) to.db.join(key, d);
};

describe('lists across replicas', () => {
  it('converge under random concurrent list commands, any delivery order, duplicates', () => {
    convergesProperty(listCmd, KEYS);
  });

  it('two nodes pushing at the same end keep both elements, in one order everywhere', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('RPUSH', 'l', 'x');
    sync(a, b);
    a.run('RPUSH', 'l', 'a1', 'a2');
    b.run('RPUSH', 'l', 'b1');
    sync(a, b);
    sync(b, a);
    const r = a.run('LRANGE', 'l', '0', '-1');
    expect(b.run('LRANGE', 'l', '0', '-1')).toBe(r);
    expect(a.run('LLEN', 'l')).toBe(':4\r\n');
    // a node's own pushes stay adjacent and in order
    expect(r).toMatch(/a1\r\n\$2\r\na2/);
    // and an LINSERT between the concurrent neighbours lands between them on both
    a.run('LINSERT', 'l', 'AFTER', 'a2', 'mid');
    b.run('LLEN', 'l');
    sync(a, b);
    expect(b.run('LRANGE', 'l', '0', '-1')).toBe(a.run('LRANGE', 'l', '0', '-1'));
    expect(a.run('LRANGE', 'l', '0', '-1')).toMatch(/a2\r\n\$3\r\nmid\r\n/);
    expect(a.run('LLEN', 'l')).toBe(':5\r\n');
  });

  it('two nodes popping the same head both return it; it is removed once', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('RPUSH', 'l', 'x', 'y', 'z');
    sync(a, b);
    expect(a.run('LPOP', 'l')).toBe('$1\r\nx\r\n');
    expect(b.run('LPOP', 'l')).toBe('$1\r\nx\r\n');
    sync(a, b);
    sync(b, a);
    expect(a.run('LRANGE', 'l', '0', '-1')).toBe('*2\r\n$1\r\ny\r\n$1\r\nz\r\n');
    expect(b.run('LRANGE', 'l', '0', '-1')).toBe('*2\r\n$1\r\ny\r\n$1\r\nz\r\n');
  });

  it('removal wins over a concurrent LSET; DEL keeps a concurrent push', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('RPUSH', 'l', 'x', 'y');
    sync(a, b);
    a.run('LSET', 'l', '0', 'X');
    b.run('LPOP', 'l');
    sync(a, b);
    sync(b, a);
    expect(a.run('LRANGE', 'l', '0', '-1')).toBe('*1\r\n$1\r\ny\r\n');
    expect(b.run('LRANGE', 'l', '0', '-1')).toBe('*1\r\n$1\r\ny\r\n');
    a.run('DEL', 'l');
    b.run('LPUSH', 'l', 'new');
    sync(a, b);
    sync(b, a);
    expect(a.run('LRANGE', 'l', '0', '-1')).toBe('*1\r\n$3\r\nnew\r\n');
    expect(b.run('LRANGE', 'l', '0', '-1')).toBe('*1\r\n$3\r\nnew\r\n');
  });

  it('removed elements are tombstones until stable, then collected', () => {
    const a = new TestNode(1);
    a.run('RPUSH', 'l', 'x', 'y');
    a.run('LPOP', 'l');
    expect(a.db.tombstones()).toBe(1);
    expect(a.db.gc(() => false)).toBe(0);
    expect(a.db.gc(() => true)).toBe(1);
    expect(a.run('LRANGE', 'l', '0', '-1')).toBe('*1\r\n$1\r\ny\r\n');
  });
});
