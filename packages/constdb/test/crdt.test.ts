import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { keyJoinInto, keyClone, type KeyRec } from '../src/core/keyrec.js';
import { UuidClock } from '../src/core/uuid.js';
import { TestNode, view, canon } from './helpers.js';

const KEYS = ['a', 'b'];
const MEMBERS = ['x', 'y', 'z'];

type Cmd = string[];
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.tuple(fc.constantFrom(...KEYS), fc.integer({ min: -3, max: 3 })).map(([k, n]) => ['INCRBY', k, String(n)]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom('1', '7', 'str')).map(([k, v]) => ['SET', k, v]),
  fc.constantFrom(...KEYS).map((k) => ['DEL', k]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...MEMBERS)).map(([k, m]) => ['SADD', k, m]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...MEMBERS)).map(([k, m]) => ['SREM', k, m]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...MEMBERS), fc.constantFrom('v1', '2')).map(([k, f, v]) => ['HSET', k, f, v]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...MEMBERS)).map(([k, f]) => ['HDEL', k, f]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...MEMBERS), fc.integer({ min: -2, max: 2 })).map(([k, f, n]) => ['HINCRBY', k, f, String(n)]),
  fc.tuple(fc.constantFrom(...KEYS), fc.integer({ min: 1, max: 100 })).map(([k, s]) => ['EXPIRE', k, String(s)]),
  fc.constantFrom(...KEYS).map((k) => ['PERSIST', k]),
);

/** 3 nodes run commands; after each, node i may receive some pending deltas from others. */
function runConcurrent(steps: Array<{ node: number; cmd: Cmd; deliver: number }>): { nodes: TestNode[]; deltas: Array<[number, string, KeyRec]> } {
  const nodes = [new TestNode(1), new TestNode(2), new TestNode(3)];
  const pending: Array<Array<[string, KeyRec]>> = [[], [], []];
  const all: Array<[number, string, KeyRec]> = [];
  for (const s of steps) {
    const n = nodes[s.node]!;
    n.now += 1;
    n.run(...s.cmd);
    for (const [k, d] of n.emitted.splice(0)) {
      all.push([s.node, k, d]);
      for (let j = 0; j < 3; j++) if (j !== s.node) pending[j]!.push([k, d]);
    }
    // deliver a prefix of some node's pending deltas (per-origin order is not assumed)
    const target = s.deliver % 3;
    const q = pending[target]!;
    const take = q.splice(0, s.deliver % (q.length + 1));
    for (const [k, d] of take.reverse()) nodes[target]!.db.join(k, d);
  }
  return { nodes, deltas: all };
}

const stepsArb = fc.array(fc.record({ node: fc.integer({ min: 0, max: 2 }), cmd: cmdArb, deliver: fc.nat(20) }), { maxLength: 40 });

describe('uuid clock', () => {
  it('is strictly increasing even when the clock goes back, and passes observed uuids', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 1e6 }).map((t) => ({ t })), fc.bigInt({ min: 0n, max: 1n << 50n }).map((o) => ({ o })))), (evs) => {
      const c = new UuidClock();
      let last = -1n;
      for (const e of evs) {
        if ('t' in e) {
          const u = c.next(e.t);
          expect(u > last).toBe(true);
          last = u;
        } else {
          c.observe(e.o);
          if (e.o > last) last = e.o;
        }
      }
    }));
  });
});

describe('CRDT merge laws (states reached by random concurrent commands)', () => {
  it('join is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(stepsArb, (steps) => {
        const { nodes } = runConcurrent(steps);
        for (const key of KEYS) {
          const [a, b, c] = nodes.map((n) => n.db.keys.get(key) ?? {});
          const j = (x: KeyRec, y: KeyRec) => {
            const r = keyClone(x);
            keyJoinInto(r, y);
            return r;
          };
          expect(canon(j(a!, b!))).toBe(canon(j(b!, a!)));
          expect(canon(j(j(a!, b!), c!))).toBe(canon(j(a!, j(b!, c!))));
          expect(canon(j(a!, a!))).toBe(canon(j(j(a!, a!), a!)));
          expect(canon(j(j(a!, b!), b!))).toBe(canon(j(a!, b!)));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('every node converges to the same view once all deltas are delivered in any order, with duplicates', () => {
    fc.assert(
      fc.property(stepsArb, fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), (steps, seeds) => {
        const { nodes, deltas } = runConcurrent(steps);
        nodes.forEach((n, i) => {
          // shuffle deterministically per node, deliver everything twice
          const order = deltas.map((d, j) => [((j + 1) * 2654435761 + seeds[i]!) % 4294967296, d] as const).sort((x, y) => x[0] - y[0]);
          for (const [, [, k, d]] of [...order, ...order]) n.db.join(k, d);
        });
        const now = Math.max(...nodes.map((n) => n.now));
        const views = nodes.map((n) => JSON.stringify(view(n.db, now)));
        expect(views[1]).toBe(views[0]);
        expect(views[2]).toBe(views[0]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('CRDT semantics', () => {
  it('concurrent INCRs on different nodes all count (PN-counter)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: -5, max: 5 })), { maxLength: 50 }), (incs) => {
        const { nodes, deltas } = runConcurrent(incs.map(([node, by], i) => ({ node, cmd: ['INCRBY', 'c', String(by)], deliver: i })));
        for (const n of nodes) for (const [, k, d] of deltas) n.db.join(k, d);
        const sum = incs.reduce((s, [, by]) => s + by, 0);
        for (const n of nodes) expect(n.run('GET', 'c')).toBe(incs.length ? `$${String(sum).length}\r\n${sum}\r\n` : '$-1\r\n');
      }),
    );
  });

  it('add wins over a concurrent remove; a remove takes what it observed', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('SADD', 's', 'x');
    for (const [k, d] of a.emitted.splice(0)) b.db.join(k, d);
    b.run('SREM', 's', 'x'); // observed add
    a.run('SADD', 's', 'x'); // concurrent re-add
    const fromA = a.emitted.splice(0);
    const fromB = b.emitted.splice(0);
    for (const [k, d] of fromB) a.db.join(k, d);
    for (const [k, d] of fromA) b.db.join(k, d);
    expect(a.run('SMEMBERS', 's')).toBe('*1\r\n$1\r\nx\r\n');
    expect(b.run('SMEMBERS', 's')).toBe('*1\r\n$1\r\nx\r\n');
  });

  it('DEL removes only what it observed: a concurrent INCR survives, a SET after DEL is visible', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('INCRBY', 'k', '5');
    for (const [k, d] of a.emitted.splice(0)) b.db.join(k, d);
    b.run('DEL', 'k');
    a.run('INCRBY', 'k', '2');
    for (const [k, d] of b.emitted.splice(0)) a.db.join(k, d);
    for (const [k, d] of a.emitted.splice(0)) b.db.join(k, d);
    expect(a.run('GET', 'k')).toBe('$1\r\n2\r\n');
    expect(b.run('GET', 'k')).toBe('$1\r\n2\r\n');
    b.run('DEL', 'k');
    b.run('SET', 'k', 'v');
    for (const [k, d] of b.emitted.splice(0)) a.db.join(k, d);
    expect(a.run('GET', 'k')).toBe('$1\r\nv\r\n');
  });

  it('longest TTL wins and PERSIST beats a concurrent TTL', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('SET', 'k', 'v');
    for (const [k, d] of a.emitted.splice(0)) b.db.join(k, d);
    a.run('EXPIRE', 'k', '10');
    b.run('EXPIRE', 'k', '100');
    for (const [k, d] of a.emitted.splice(0)) b.db.join(k, d);
    for (const [k, d] of b.emitted.splice(0)) a.db.join(k, d);
    expect(a.run('TTL', 'k')).toBe(':100\r\n');
    expect(b.run('TTL', 'k')).toBe(':100\r\n');
    a.run('EXPIRE', 'k', '50'); // sequential after observing: replaces
    for (const [k, d] of a.emitted.splice(0)) b.db.join(k, d);
    expect(b.run('TTL', 'k')).toBe(':50\r\n');
    a.run('EXPIRE', 'k', '20');
    b.run('PERSIST', 'k');
    for (const [k, d] of a.emitted.splice(0)) b.db.join(k, d);
    for (const [k, d] of b.emitted.splice(0)) a.db.join(k, d);
    expect(a.run('TTL', 'k')).toBe(':-1\r\n');
    expect(b.run('TTL', 'k')).toBe(':-1\r\n');
    a.run('PEXPIRE', 'k', '5');
    a.now += 10;
    expect(a.run('GET', 'k')).toBe('$-1\r\n');
  });

  it('the active expire cycle deletes expired keys (replicated as DELs) and visits every key in turn', () => {
    const a = new TestNode(1);
    for (let i = 0; i < 10; i++) {
      a.run('SET', `k${i}`, 'v');
      a.run('PEXPIRE', `k${i}`, String(i < 5 ? 100_000 : 5));
    }
    a.emitted.splice(0);
    a.now += 10;
    let deleted = 0;
    for (let round = 0; round < 6; round++) deleted += a.db.expireCycle(a.now, 3);
    expect(deleted).toBe(5);
    expect(a.emitted.length).toBe(5);
    expect(a.run('DBSIZE')).toBe(':5\r\n');
    const b = new TestNode(2);
    for (const [k, d] of a.emitted) b.db.join(k, d);
    expect(b.db.size(b.now)).toBe(0);
  });

  it('tombstones are kept until stable, then collected', () => {
    const a = new TestNode(1);
    a.run('SADD', 's', 'x', 'y');
    a.run('SREM', 's', 'x');
    expect(a.db.tombstones()).toBe(1);
    expect(a.db.gc(() => false)).toBe(0);
    expect(a.db.tombstones()).toBe(1);
    expect(a.db.gc(() => true)).toBe(1);
    expect(a.db.tombstones()).toBe(0);
    expect(a.run('SMEMBERS', 's')).toBe('*1\r\n$1\r\ny\r\n');
  });
});
