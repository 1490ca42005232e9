// Semantics of the explorer's message world, one action at a time, on a tiny echo protocol:
// what crash, flush, wipe, duplicate, drop and the in-flight cap do to nodes, disks and the
// network, and how runSchedule reports steps that are not enabled.
import { describe, expect, it } from 'vitest';
import { cloneDeep, explore, messageWorld, modelAfter, runSchedule, stableStringify, type WorldAction, type WorldSpec } from '../src/index.js';

// Node 0 stores the client's number (persist, then send it to node 1: held until durable);
// node 1 counts what it receives and, with `now`, replies at once without persisting.
interface EchoNode { got: number[]; stored: number | undefined }
type EchoMsg = { t: 'val'; v: number } | { t: 'ack'; v: number };
type EchoObs = { kind: 'got'; node: number; v: number };

function echoSpec(opts: { now?: boolean } = {}): WorldSpec<EchoNode, number, number, EchoMsg, number, EchoObs> {
  return {
    nodes: 2,
    boot: (_id, disk) => ({ got: [], stored: disk }),
    onMessage(node, id, _from, msg) {
      node.got.push(msg.v);
      const observe = [{ kind: 'got' as const, node: id, v: msg.v }];
      if (msg.t === 'val' && opts.now) return { observe, sendNow: [{ to: 0, msg: { t: 'ack', v: msg.v } }] };
      return { observe };
    },
    clientOps: (node, id) => (id === 0 && node.stored === undefined ? [7] : []),
    onClient(node, _id, op) {
      node.stored = op;
      return { persist: [op], send: [{ to: 1, msg: { t: 'val', v: op } }] };
    },
    applyPersist: (_disk, p) => p,
    describeMsg: (m) => `${m.t}(${m.v})`,
  };
}

const kinds = (acts: WorldAction<number>[]) => acts.map((a) => `${a.kind}${'node' in a ? a.node : `${a.from}>${a.to}`}`).sort();

describe('messageWorld action semantics', () => {
  it('holds a send behind its persist: nothing in flight until flush, then the message leaves', () => {
    const m = messageWorld(echoSpec(), { depthMax: 10, clientOpsMax: 1 });
    let w = m.init();
    w = m.step(w, { kind: 'client', node: 0, op: 7 });
    expect(w.net).toHaveLength(0);
    expect(w.slots[0]!.pending).toHaveLength(1);
    expect(w.slots[0]!.disk).toBeUndefined();
    w = m.step(w, { kind: 'flush', node: 0 });
    expect(w.slots[0]!.disk).toBe(7);
    expect(w.net.map((f) => `${f.from}>${f.to}`)).toEqual(['0>1']);
  });

  it('crash before the persist loses the write and the held message; flush then crash keeps both', () => {
    const m = messageWorld(echoSpec(), { depthMax: 10, clientOpsMax: 1, crashesMax: 1 });
    const afterOp = m.step(m.init(), { kind: 'client', node: 0, op: 7 });
    const lost = m.step(afterOp, { kind: 'crash', node: 0 });
    expect(lost.slots[0]!.up).toBe(false);
    expect(lost.slots[0]!.disk).toBeUndefined();
    expect(lost.net).toHaveLength(0);
    // Nothing of the lost write comes back: after a restart there is nothing left to flush.
    expect(lost.slots[0]!.pending).toHaveLength(0);
    expect(kinds(m.actions(m.step(lost, { kind: 'restart', node: 0 })))).not.toContain('flush0');
    expect(m.describe({ kind: 'crash', node: 0 }, afterOp)).toMatch(/before persisting/);
    const kept = m.step(m.step(afterOp, { kind: 'flush', node: 0 }), { kind: 'crash', node: 0 });
    expect(kept.slots[0]!.disk).toBe(7);
    expect(kept.net).toHaveLength(1);
    const back = m.step(kept, { kind: 'restart', node: 0 });
    expect(back.slots[0]!.node!.stored).toBe(7);
  });

  it('offers only drop for a message to a down node, wipe only while down, and never mutates the old state', () => {
    const m = messageWorld(echoSpec(), { depthMax: 10, clientOpsMax: 1, crashesMax: 1, wipesMax: 1, dropsMax: 1 });
    let w = m.step(m.step(m.init(), { kind: 'client', node: 0, op: 7 }), { kind: 'flush', node: 0 });
    expect(kinds(m.actions(w))).toEqual(['crash0', 'crash1', 'deliver0>1', 'drop0>1']);
    const before = stableStringify(w);
    w = m.step(w, { kind: 'crash', node: 1 });
    expect(stableStringify(m.step(m.step(m.init(), { kind: 'client', node: 0, op: 7 }), { kind: 'flush', node: 0 }))).toBe(before);
    expect(kinds(m.actions(w))).toEqual(['drop0>1', 'restart1']); // node 1 has no disk yet: no wipe
    const down0 = m.step(m.step(m.step(m.init(), { kind: 'client', node: 0, op: 7 }), { kind: 'flush', node: 0 }), { kind: 'crash', node: 0 });
    expect(kinds(m.actions(down0))).toContain('wipe0');
    const wiped = m.step(down0, { kind: 'wipe', node: 0 });
    expect(wiped.slots[0]!.disk).toBeUndefined();
    expect(m.step(wiped, { kind: 'restart', node: 0 }).slots[0]!.node!.stored).toBeUndefined();
  });

  it('duplicate delivers a copy and keeps the original in flight', () => {
    const m = messageWorld(echoSpec(), { depthMax: 10, clientOpsMax: 1, duplicatesMax: 1 });
    let w = m.step(m.step(m.init(), { kind: 'client', node: 0, op: 7 }), { kind: 'flush', node: 0 });
    w = m.step(w, { kind: 'duplicate', index: 0, from: 0, to: 1 });
    expect(w.net).toHaveLength(1);
    expect(w.slots[1]!.node!.got).toEqual([7]);
    expect(kinds(m.actions(w))).not.toContain('duplicate0>1'); // the budget of 1 is spent
    w = m.step(w, { kind: 'deliver', index: 0, from: 0, to: 1 });
    expect(w.net).toHaveLength(0);
    expect(w.slots[1]!.node!.got).toEqual([7, 7]);
    expect(w.ghost).toHaveLength(1); // the same observation twice is one ghost entry
  });

  it('refuses a message beyond inFlightMax and counts it', () => {
    const m = messageWorld(echoSpec({ now: true }), { depthMax: 10, clientOpsMax: 1, duplicatesMax: 3, inFlightMax: 1 });
    let w = m.step(m.step(m.init(), { kind: 'client', node: 0, op: 7 }), { kind: 'flush', node: 0 });
    w = m.step(w, { kind: 'duplicate', index: 0, from: 0, to: 1 }); // the ack finds the net full
    expect(w.net).toHaveLength(1);
    expect(w.overflow).toBe(1);
  });

  it('explores the echo world completely and dedups interleavings that meet', () => {
    const r = explore(messageWorld(echoSpec({ now: true }), { depthMax: 12, clientOpsMax: 1, crashesMax: 1 }), { depthMax: 12 });
    console.log(`echo world: ${r.statesExplored} states, depth ${r.depthReached}, complete=${r.complete}`);
    expect(r.ok).toBe(true);
    expect(r.complete).toBe(true);
    // A count far below the number of schedules: the crash of either node commutes with most steps.
    expect(r.statesExplored).toBeLessThan(60);
    expect(r.statesExplored).toBeGreaterThan(5);
  });

  it('gives two orders of commuting steps one key (without the partial-order reduction)', () => {
    const m = messageWorld(echoSpec(), { depthMax: 10, clientOpsMax: 1, crashesMax: 2, reduce: false });
    const w0 = m.init();
    const ab = m.step(m.step(w0, { kind: 'crash', node: 0 }), { kind: 'crash', node: 1 });
    const ba = m.step(m.step(w0, { kind: 'crash', node: 1 }), { kind: 'crash', node: 0 });
    expect(m.key(ab)).toBe(m.key(ba));
    expect(m.key(ab)).not.toBe(m.key(m.step(w0, { kind: 'crash', node: 0 })));
  });
});

describe('runSchedule', () => {
  const inv = [{ name: 'node 1 never sees 7', check: (w: { ghost: { obs: EchoObs }[] }) => (w.ghost.some((g) => g.obs.node === 1) ? 'node 1 saw 7' : null) }];

  it('skips a step that is not enabled, carries on, and reports the first violation with its step', () => {
    const m = messageWorld(echoSpec(), { depthMax: 10, clientOpsMax: 1 }, inv);
    const r = runSchedule(m, [{ deliver: { from: 0, to: 1 } }, { client: [0, 7] }, { flush: 0 }, { deliver: { to: 1, match: (x) => x.t === 'val' } }]);
    expect(r.skipped).toEqual([0]);
    expect(r.lines[0]).toMatch(/not enabled/);
    expect(r.violation).toMatchObject({ invariant: 'node 1 never sees 7', step: 3 });
    expect(r.lines.at(-1)).toBe('deliver n0 -> n1: val(7)');
  });

  it('passes when the schedule stays within the invariant', () => {
    const m = messageWorld(echoSpec(), { depthMax: 10, clientOpsMax: 1, crashesMax: 1 }, inv);
    const r = runSchedule(m, [{ client: [0, 7] }, { crash: 0 }, { deliver: { to: 1 } }, { restart: 0 }]);
    expect(r.violation).toBeUndefined();
    expect(r.skipped).toEqual([2]);
  });
});

describe('modelAfter', () => {
  it('offers every action after the prefix: the reduction does not skip by the prefix\'s last step', () => {
    // After deliver 0>1 (a node-1 step) the reduction would skip crash0 as "explored in the
    // other order", but that order lies before the fixed prefix and is never explored.
    const m = messageWorld(echoSpec(), { depthMax: 10, clientOpsMax: 1, crashesMax: 1 });
    const { model } = modelAfter(m, [{ client: [0, 7] }, { flush: 0 }, { deliver: { from: 0, to: 1 } }]);
    expect(kinds(model.actions(model.init()))).toEqual(['crash0', 'crash1']);
  });
});

describe('cloneDeep', () => {
  it('copies cycles, Dates and bigints and keeps class methods', () => {
    class Cell { next: Cell | undefined; at = new Date(5); n = 2n; bump() { this.n += 1n; } }
    const a = new Cell();
    a.next = a;
    const b = cloneDeep(a);
    expect(b.next).toBe(b);
    b.bump();
    b.at.setTime(9);
    expect([a.n, b.n, a.at.getTime()]).toEqual([2n, 3n, 5]);
  });
});
