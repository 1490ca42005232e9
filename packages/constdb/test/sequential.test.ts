// One node driven by random commands must behave like a plain sequential key-value store
// (the CRDT machinery is invisible without concurrency).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TestNode, view, type View } from './helpers.js';

type Val = { t: 'string'; v: string } | { t: 'set'; s: Set<string> } | { t: 'hash'; h: Map<string, string> };

const I64 = (s: string) => /^(0|-?[1-9][0-9]*)$/.test(s);

function model(m: Map<string, Val>, cmd: string[]): string {
  const [c, k, a, b] = cmd as [string, string, string, string];
  const cur = m.get(k);
  const wrong = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';
  switch (c) {
    case 'SET':
      m.set(k, { t: 'string', v: a });
      return '+OK\r\n';
    case 'DEL':
      return m.delete(k) ? ':1\r\n' : ':0\r\n';
    case 'INCRBY': {
      if (cur && cur.t !== 'string') return wrong;
      if (cur && !I64(cur.v)) return '-ERR value is not an integer or out of range\r\n';
      const n = BigInt(cur ? cur.v : '0') + BigInt(a);
      m.set(k, { t: 'string', v: n.toString() });
      return `:${n}\r\n`;
    }
    case 'SADD': {
      if (cur && cur.t !== 'set') return wrong;
      const s = cur ? cur.s : new Set<string>();
      const had = s.has(a);
      s.add(a);
      m.set(k, { t: 'set', s });
      return had ? ':0\r\n' : ':1\r\n';
    }
    case 'SREM': {
      if (cur && cur.t !== 'set') return wrong;
      if (!cur) return ':0\r\n';
      const had = cur.s.delete(a);
      if (cur.s.size === 0) m.delete(k);
      return had ? ':1\r\n' : ':0\r\n';
    }
    case 'HSET': {
      if (cur && cur.t !== 'hash') return wrong;
      const h = cur ? cur.h : new Map<string, string>();
      const had = h.has(a);
      h.set(a, b);
      m.set(k, { t: 'hash', h });
      return had ? ':0\r\n' : ':1\r\n';
    }
    case 'HDEL': {
      if (cur && cur.t !== 'hash') return wrong;
      if (!cur) return ':0\r\n';
      const had = cur.h.delete(a);
      if (cur.h.size === 0) m.delete(k);
      return had ? ':1\r\n' : ':0\r\n';
    }
    case 'HINCRBY': {
      if (cur && cur.t !== 'hash') return wrong;
      const h = cur ? cur.h : new Map<string, string>();
      const old = h.get(a) ?? '0';
      if (!I64(old)) return '-ERR hash value is not an integer\r\n';
      const n = BigInt(old) + BigInt(b);
      h.set(a, n.toString());
      m.set(k, { t: 'hash', h });
      return `:${n}\r\n`;
    }
  }
  throw new Error(c);
}

function modelView(m: Map<string, Val>): View {
  const v: View = {};
  for (const k of [...m.keys()].sort()) {
    const x = m.get(k)!;
    if (x.t === 'string') v[k] = x.v;
    else if (x.t === 'set') v[k] = [...x.s].sort();
    else v[k] = Object.fromEntries([...x.h].sort(([p], [q]) => (p < q ? -1 : 1)));
  }
  return v;
}

const K = fc.constantFrom('a', 'b', 'c');
const F = fc.constantFrom('x', 'y');
const cmd = fc.oneof(
  fc.tuple(K, fc.constantFrom('1', '-4', 'hello')).map(([k, v]) => ['SET', k, v]),
  K.map((k) => ['DEL', k]),
  fc.tuple(K, fc.integer({ min: -9, max: 9 })).map(([k, n]) => ['INCRBY', k, String(n)]),
  fc.tuple(K, F).map(([k, f]) => ['SADD', k, f]),
  fc.tuple(K, F).map(([k, f]) => ['SREM', k, f]),
  fc.tuple(K, F, fc.constantFrom('3', 'v')).map(([k, f, v]) => ['HSET', k, f, v]),
  fc.tuple(K, F).map(([k, f]) => ['HDEL', k, f]),
  fc.tuple(K, F, fc.integer({ min: -9, max: 9 })).map(([k, f, n]) => ['HINCRBY', k, f, String(n)]),
);

describe('single node against a sequential model', () => {
  it('same replies and same visible state after every command', () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 60 }), (cmds) => {
        const node = new TestNode(1);
        const m = new Map<string, Val>();
        for (const c of cmds) {
          node.now++;
          expect(node.run(...c), c.join(' ')).toBe(model(m, c));
          expect(view(node.db, node.now)).toEqual(modelView(m));
        }
      }),
      { numRuns: 400 },
    );
  });
});
