// The compact scalar form (scalar.ts: one register, one clear entry, one counter entry held
// without Maps) and compact set members (setElem.ts: one add) must merge exactly like the
// always-full form. The same random string/hash/counter/set commands
// run on 3 replicas twice, once with compact scalars and once with Maps only; deltas reach the
// others in random orders and with duplicates, some as objects and some through the op codec
// (one-entry Maps, as a peer's op arrives). Replies, views, records, digests' canonical bytes
// and the record encoding must be the same in both runs.
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { KeyRec } from '../src/core/keyrec.js';
import { scalarForm } from '../src/core/scalar.js';
import { Writer, Reader, writeKeyRec, readKeyRec, encodeOp, decodeOp } from '../src/core/codec.js';
import { canonicalRec } from '../src/core/digest.js';
import { TestNode, view, canon } from './helpers.js';

const KEYS = ['a', 'b', 'c'];
const FIELDS = ['x', 'y'];

const cmdArb: fc.Arbitrary<string[]> = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom('1', '7', 'str')).map(([k, v]) => ['SET', k, v]), weight: 4 },
  fc.tuple(fc.constantFrom(...KEYS), fc.integer({ min: -3, max: 3 })).map(([k, n]) => ['INCRBY', k, String(n)]),
  fc.constantFrom(...KEYS).map((k) => ['DEL', k]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom('2', 'v')).map(([k, v]) => ['GETSET', k, v]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom('z')).map(([k, v]) => ['APPEND', k, v]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom('n')).map(([k, v]) => ['SETNX', k, v]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...KEYS)).map(([k, j]) => ['MSET', k, '5', j, 'w']),
  { arbitrary: fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...FIELDS), fc.constantFrom('v1', '3')).map(([k, f, v]) => ['HSET', k, f, v]), weight: 3 },
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...FIELDS)).map(([k, f]) => ['HDEL', k, f]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...FIELDS), fc.integer({ min: -2, max: 2 })).map(([k, f, n]) => ['HINCRBY', k, f, String(n)]),
  fc.tuple(fc.constantFrom(...KEYS), fc.integer({ min: 1, max: 100 })).map(([k, s]) => ['EXPIRE', k, String(s)]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom('q')).map(([k, v]) => ['SET', k, v, 'EX', '50']),
  // sets: members are compact too (setElem.ts)
  { arbitrary: fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...FIELDS)).map(([k, m]) => ['SADD', k, m]), weight: 3 },
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...FIELDS)).map(([k, m]) => ['SREM', k, m]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...KEYS), fc.constantFrom(...FIELDS)).map(([k, j, m]) => ['SMOVE', k, j, m]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...KEYS)).map(([k, j]) => ['SUNIONSTORE', k, j, k]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...KEYS)).map(([k, j]) => ['COPY', k, j, 'REPLACE']),
  // sorted sets: members' adds are compact too
  { arbitrary: fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom('1', '2.5'), fc.constantFrom(...FIELDS)).map(([k, s, m]) => ['ZADD', k, s, m]), weight: 2 },
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom('1', '-2'), fc.constantFrom(...FIELDS)).map(([k, s, m]) => ['ZINCRBY', k, s, m]),
  fc.tuple(fc.constantFrom(...KEYS), fc.constantFrom(...FIELDS)).map(([k, m]) => ['ZREM', k, m]),
);

// node 0 writes most, so records written by one node only (the compact case) are common
const stepArb = fc.record({ node: fc.constantFrom(0, 0, 0, 1, 2), cmd: cmdArb, deliver: fc.nat(20), codec: fc.boolean() });

interface Outcome {
  replies: string[];
  views: string[];
  records: string[];
  digests: string[];
}

/** A delta as a peer receives it: through the op codec (one-entry Maps), or as the object. */
function carried(d: KeyRec, codec: boolean): KeyRec {
  return codec ? decodeOp(encodeOp(1n, 'k', d)).delta : d;
}

function encoded(rec: KeyRec): string {
  const w = new Writer();
  writeKeyRec(w, rec);
  return w.result().toString('hex');
}

let compactSeen = 0;
let compactSetSeen = 0;
let compactZsetSeen = 0;

function run(compact: boolean, steps: Array<{ node: number; cmd: string[]; deliver: number; codec: boolean }>, seeds: number[]): Outcome {
  scalarForm.compact = compact;
  const nodes = [new TestNode(1), new TestNode(2), new TestNode(3)];
  const pending: Array<Array<[string, KeyRec, boolean]>> = [[], [], []];
  const all: Array<[string, KeyRec, boolean]> = [];
  const replies: string[] = [];
  for (const s of steps) {
    const n = nodes[s.node]!;
    n.now += 1;
    replies.push(n.run(...s.cmd));
    for (const [key, d] of n.emitted.splice(0)) {
      all.push([key, d, s.codec]);
      for (let j = 0; j < 3; j++) if (j !== s.node) pending[j]!.push([key, d, s.codec]);
    }
    const target = s.deliver % 3;
    const q = pending[target]!;
    for (const [key, d, codec] of q.splice(0, s.deliver % (q.length + 1)).reverse()) nodes[target]!.db.join(key, carried(d, codec));
    // a read after the deliveries sees the merged state (GET / HGETALL / TTL answer from it)
    for (const k of KEYS) {
      const t = nodes[target]!;
      replies.push(t.run('GET', k), t.run('HGETALL', k), t.run('TTL', k), t.run('SISMEMBER', k, 'x'), t.run('SCARD', k), t.run('ZRANGE', k, '0', '-1', 'WITHSCORES'));
    }
  }
  nodes.forEach((n, ni) => {
    const order = all.map((d, j) => [((j + 1) * 2654435761 + seeds[ni]!) % 4294967296, d] as const).sort((x, y) => x[0] - y[0]);
    for (const [, [key, d, codec]] of [...order, ...order]) n.db.join(key, carried(d, !codec));
  });
  const now = Math.max(...nodes.map((n) => n.now));
  const out: Outcome = { replies, views: [], records: [], digests: [] };
  for (const n of nodes) {
    out.views.push(JSON.stringify(view(n.db, now)));
    for (const k of KEYS) {
      const rec = n.db.keys.get(k);
      if (!rec) {
        out.records.push('-');
        continue;
      }
      if (rec.str?.r || rec.str?.cu !== undefined || rec.str?.k) compactSeen++;
      for (const e of rec.set?.values() ?? []) if (e.au !== undefined) compactSetSeen++;
      for (const e of rec.zset?.m.values() ?? []) if (e.au !== undefined) compactZsetSeen++;
      out.records.push(canon(rec));
      out.digests.push(encoded(canonicalRec(rec)));
      // the record's own encoding (snapshot, full sync) decodes to the same state
      expect(canon(readKeyRec(new Reader(Buffer.from(encoded(rec), 'hex'))))).toBe(canon(rec));
    }
  }
  return out;
}

afterEach(() => {
  scalarForm.compact = true;
});

describe('compact scalars', () => {
  it('merge exactly like always-full scalars (random ops on 3 replicas, random merge orders, codec or objects)', () => {
    compactSeen = 0;
    compactSetSeen = 0;
    compactZsetSeen = 0;
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), (steps, seeds) => {
        const full = run(false, steps, seeds);
        const compact = run(true, steps, seeds);
        expect(compact.replies).toEqual(full.replies);
        expect(compact.views).toEqual(full.views);
        expect(compact.records).toEqual(full.records);
        expect(compact.digests).toEqual(full.digests);
        // and the replicas converged (the same view everywhere)
        expect(compact.views[1]).toBe(compact.views[0]);
        expect(compact.views[2]).toBe(compact.views[0]);
      }),
      { numRuns: Number(process.env.CRDT_RUNS ?? 300) },
    );
    // the compact path was exercised, not only the Map one
    expect(compactSeen).toBeGreaterThan(0);
    expect(compactSetSeen).toBeGreaterThan(0);
    expect(compactZsetSeen).toBeGreaterThan(0);
  });

  it('a string written by one node only keeps no Map; a second node upgrades it', () => {
    const a = new TestNode(1);
    const b = new TestNode(2);
    a.run('SET', 'k', 'v1');
    a.run('SET', 'k', 'v2');
    const rec = a.db.keys.get('k')!;
    expect(rec.str!.regs).toBeUndefined();
    expect(rec.str!.clr).toBeUndefined();
    expect(rec.str!.r!.v.toString()).toBe('v2');
    b.now += 10;
    b.run('SET', 'k', 'w');
    for (const [key, d] of b.emitted.splice(0)) a.db.join(key, d);
    expect(rec.str!.regs?.size).toBe(2);
    expect(rec.str!.cn).toBe(1); // node 2 had not seen the key: no clear of its own
    expect(a.run('GET', 'k')).toBe('$1\r\nw\r\n');
  });
});
