import { describe, expect, it } from 'vitest';
import { RangeBuffer, Replica, clampBufSize, emptyState, shouldPrefetch, type PeerOp } from '../src/core/index.js';
import { LocalNet } from './helpers/localNet.js';

const op = (kind: PeerOp['kind'], over: Partial<PeerOp> = {}): PeerOp => ({ id: '1', kind, name: 'a', from: 0n, to: 0n, token: '', membership: '', ...over });

describe('Replica', () => {
  it('reports 1 for an unknown name and accepts ADVANCE only from at least its value with its token', () => {
    const r = new Replica(emptyState('x', true));
    expect(r.apply(op('READ')).result).toMatchObject({ status: 'OK', value: 1n });
    const t = r.token;
    expect(r.apply(op('ADVANCE', { from: 1n, to: 11n, token: 'wrong' })).result.status).toBe('REJECT');
    const ok = r.apply(op('ADVANCE', { from: 1n, to: 11n, token: t }));
    expect(ok).toMatchObject({ dirty: true, result: { status: 'OK', value: 11n } });
    // The same range again, or any range starting below 11, is refused.
    expect(r.apply(op('ADVANCE', { from: 1n, to: 11n, token: t })).result).toMatchObject({ status: 'REJECT', value: 11n });
    expect(r.apply(op('ADVANCE', { from: 10n, to: 20n, token: t })).result.status).toBe('REJECT');
    // A stale value below the replica's is accepted by a higher `from` (read repair by advancing).
    expect(r.apply(op('ADVANCE', { from: 30n, to: 31n, token: t })).result).toMatchObject({ status: 'OK', value: 31n });
  });

  it('never lowers a value and changes its token on FENCE', () => {
    const r = new Replica(emptyState('x', true));
    expect(r.apply(op('RAISE', { to: 50n })).result.value).toBe(50n);
    expect(r.apply(op('RAISE', { to: 20n })).result.value).toBe(50n);
    const t = r.token;
    const f = r.apply(op('FENCE'));
    expect(f.dirty).toBe(true);
    expect(f.result.entries).toEqual([['a', 50n]]);
    expect(r.token).not.toBe(t);
    expect(r.apply(op('ADVANCE', { from: 50n, to: 60n, token: t })).result.status).toBe('REJECT');
  });

  it('answers nothing while recovering', () => {
    const r = new Replica(emptyState('x', false));
    for (const k of ['READ', 'ADVANCE', 'RAISE', 'FENCE', 'PROBE'] as const) expect(r.apply(op(k)).result.status).toBe('RECOVERING');
    expect(r.value('a')).toBeUndefined();
  });
});

describe('Engine cluster', () => {
  it('bootstraps a fresh cluster and hands out 1.. contiguously from any coordinator', () => {
    const net = new LocalNet(3);
    net.startAll();
    net.settle();
    expect(net.engines.every((e) => e.ready)).toBe(true);
    net.engines[0]!.nextId(1, 'seq', 10n);
    net.settle();
    net.engines[1]!.nextId(2, 'seq', 5n);
    net.settle();
    net.engines[2]!.nextId(3, 'other', 1n);
    net.settle();
    expect(net.done.get(1)).toEqual({ from: 1n, to: 11n });
    expect(net.done.get(2)).toEqual({ from: 11n, to: 16n });
    expect(net.done.get(3)).toEqual({ from: 1n, to: 2n });
    for (const e of net.engines) expect(e.curId('seq')).toBe(16n);
  });

  it('coalesces concurrent requests for one name into disjoint consecutive ranges', () => {
    const net = new LocalNet(3);
    net.startAll();
    net.settle();
    for (let r = 1; r <= 5; r++) net.engines[0]!.nextId(r, 'seq', BigInt(r));
    net.settle();
    const got = [...net.done.values()].sort((a, b) => Number(a.from - b.from));
    let next = 1n;
    for (const g of got) {
      expect(g.from).toBe(next);
      next = g.to;
    }
    expect(next).toBe(16n);
  });

  it('fails with [0,0) when no majority answers, and never hands out an ID', () => {
    const net = new LocalNet(3, { deadlineMs: 300, attemptTimeoutMs: 50 });
    net.startAll();
    net.settle();
    net.engines[0]!.nextId(1, 'seq', 1n);
    // Peers 1 and 2 are down: drop everything sent to them.
    for (let t = 0; t < 100 && !net.done.has(1); t++) {
      net.queue.length = 0;
      net.now += 10;
      net.engines[0]!.tick();
    }
    expect(net.done.get(1)).toEqual({ from: 0n, to: 0n, error: 'ENOQUORUM' });
  });

  it('a node restarted with its state wiped recovers the highest value before serving', () => {
    const net = new LocalNet(3);
    net.startAll();
    net.settle();
    net.engines[0]!.nextId(1, 'seq', 100n);
    net.settle();
    net.restart(0, true);
    expect(net.engines[0]!.ready).toBe(false);
    expect(net.engines[0]!.curId('seq')).toBeUndefined();
    net.settle();
    expect(net.engines[0]!.ready).toBe(true);
    expect(net.engines[0]!.curId('seq')).toBe(101n);
    net.engines[0]!.nextId(2, 'seq', 1n);
    net.settle();
    expect(net.done.get(2)).toEqual({ from: 101n, to: 102n });
  });

  it('a wiped node cannot recover (nor count) while the other two are not both up', () => {
    const net = new LocalNet(3, { recoveryRoundTimeoutMs: 50, recoveryIntervalMs: 20, deadlineMs: 300, attemptTimeoutMs: 50 });
    net.startAll();
    net.settle();
    net.engines[1]!.nextId(1, 'seq', 7n);
    net.settle();
    net.restart(0, true);
    // Node 2 is unreachable: drop whatever goes to or comes from it.
    for (let t = 0; t < 50; t++) {
      for (const m of net.queue.splice(0)) if (m.to !== 2 && m.from !== 2) net.deliver(m);
      net.now += 10;
      net.engines[0]!.tick();
      net.engines[1]!.tick();
    }
    expect(net.engines[0]!.ready).toBe(false);
    net.engines[1]!.nextId(2, 'seq', 1n);
    for (let t = 0; t < 50; t++) {
      for (const m of net.queue.splice(0)) if (m.to !== 2 && m.from !== 2) net.deliver(m);
      net.now += 10;
      net.engines[1]!.tick();
    }
    expect(net.done.get(2)?.from).toBe(0n);
  });
});

describe('fencing', () => {
  it('an ADVANCE prepared before a wiped node recovered can no longer complete a range', () => {
    // 5 nodes. Coordinator 0 prepares [2,12); node 1 (w) accepts, then loses its state;
    // the ADVANCE to node 2 (x) is still in flight when w recovers from nodes 2, 3, 4.
    const net = new LocalNet(5, { deadlineMs: 10_000, attemptTimeoutMs: 5_000 });
    net.startAll();
    net.settle();
    net.engines[0]!.nextId(1, 'seq', 1n);
    net.settle();
    expect(net.done.get(1)).toEqual({ from: 1n, to: 2n });
    net.engines[0]!.nextId(2, 'seq', 10n);
    const inFlight = net.queue.splice(0);
    expect(inFlight.map((m) => (m.kind === 'ops' ? m.ops[0]!.kind : '')).every((k) => k === 'ADVANCE')).toBe(true);
    const toW = inFlight.find((m) => m.to === 1)!;
    const toX = inFlight.find((m) => m.to === 2)!;
    net.deliver(toW);
    net.deliver(net.queue.shift()!); // w's accept reaches the coordinator: 2 of 3 needed
    expect(net.done.has(2)).toBe(false);
    net.restart(1, true);
    // Node 0 is cut off while w recovers.
    for (let step = 0; step < 200 && !net.engines[1]!.ready; step++) {
      for (const m of net.queue.splice(0)) if (m.to !== 0 && m.from !== 0) net.deliver(m);
      net.now += 50;
      net.engines[1]!.tick();
    }
    expect(net.engines[1]!.ready).toBe(true);
    expect(net.engines[1]!.curId('seq')).toBe(2n);
    // The delayed ADVANCE lands after the fence: refused, so [2,12) is never granted.
    net.deliver(toX);
    net.deliver(net.queue.shift()!);
    expect(net.done.has(2)).toBe(false);
    net.engines[3]!.nextId(3, 'seq', 10n);
    for (let step = 0; step < 200 && !net.done.has(3); step++) {
      for (const m of net.queue.splice(0)) if (m.to !== 0 && m.from !== 0) net.deliver(m);
      net.now += 10;
      net.engines[3]!.tick();
    }
    const b = net.done.get(3)!;
    expect(b.from).toBeGreaterThan(0n);
    // Whatever the first coordinator does later, its range cannot overlap B's.
    net.settle();
    const a = net.done.get(2);
    if (a && a.from > 0n) expect(a.to <= b.from || b.to <= a.from).toBe(true);
  });
});

describe('client helpers', () => {
  it('clamps buffer sizes like the original', () => {
    expect([-42, 0, 1, 1e6].map(clampBufSize)).toEqual([0, 0, 1, 1e6]);
  });

  it('RangeBuffer hands out in order and drops anything not above what it held', () => {
    const b = new RangeBuffer();
    b.push(1n, 3n);
    b.push(2n, 5n);
    b.push(10n, 11n);
    const out: bigint[] = [];
    for (let id = b.take(); id !== undefined; id = b.take()) out.push(id);
    expect(out).toEqual([1n, 2n, 3n, 4n, 10n]);
  });

  it('prefetches when the configured fraction is consumed, never when unbuffered', () => {
    expect(shouldPrefetch(600n, 1000, 0.5)).toBe(false);
    expect(shouldPrefetch(499n, 1000, 0.5)).toBe(true);
    expect(shouldPrefetch(0n, 0, 0.5)).toBe(false);
    expect(shouldPrefetch(0n, 1, 0.5)).toBe(true);
  });
});
