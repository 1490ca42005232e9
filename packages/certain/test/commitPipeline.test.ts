// CommitPipeline: chosen marks (nothing to send, only chosen records) ride with the next
// synced batch instead of an fsync of their own, first in it; flushed() forces them out;
// written() waits for them without forcing; deferMaxMs bounds how long they stay back.
import { describe, expect, it } from 'vitest';
import { CommitPipeline } from '../src/engine/commitPipeline.js';
import { emptyEffects, emptyRecord, type Effects, type PersistOp } from '../src/core/index.js';

function op(entry: bigint, chosen: boolean, uuids: bigint[] = []): PersistOp {
  return { entityId: 1n, entry, record: { ...emptyRecord(), acceptedNum: 1n, chosen, uuids }, maxChosen: chosen ? entry : entry - 1n };
}

function effects(ops: PersistOp[], sends = 0): Effects {
  const e = emptyEffects();
  e.persist.push(...ops);
  for (let i = 0; i < sends; i++) e.send.push({ to: 1, msg: { kind: 'commit', srcAcceptorId: 0, entityId: 1n, entry: 1n, valueId: 1n } });
  return e;
}

function harness(deferMaxMs: number) {
  const writes: { entry: bigint; chosen: boolean }[][] = [];
  const released: Effects[] = [];
  const p = new CommitPipeline({
    write: async (ops) => {
      writes.push(ops.map((o) => ({ entry: o.entry, chosen: o.record.chosen })));
      await new Promise((r) => setTimeout(r, 1));
    },
    release: (e) => released.push(e),
    stopped: () => false,
    drained: () => undefined,
    fatal: (err) => { throw err; },
  }, { deferMaxMs, deferOpsMax: 100 });
  return { p, writes, released };
}

const tick = () => new Promise((r) => setTimeout(r, 5));
/** Wait (bounded) until cond holds: no assumption on how fast the loaded machine is. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond() && Date.now() < deadline) await tick();
}

describe('commit pipeline', () => {
  it('a chosen mark is released without a write, then written first in the next synced batch', async () => {
    const { p, writes, released } = harness(10_000);
    const mark = effects([op(1n, true)]);
    p.push(mark);
    await until(() => released.includes(mark));
    expect(released).toContain(mark);
    expect(writes).toEqual([]);
    expect(p.quiet).toBe(false);
    const accept = effects([op(2n, false)], 1);
    p.push(accept);
    await until(() => released.includes(accept));
    expect(writes).toEqual([[{ entry: 1n, chosen: true }, { entry: 2n, chosen: false }]]);
    expect(released).toContain(accept);
    await until(() => p.quiet);
    expect(p.quiet).toBe(true);
  });

  it('an accept or a send is never released before its write', async () => {
    const { p, writes, released } = harness(10_000);
    const sendOnly = effects([op(1n, true)], 1);
    p.push(sendOnly);
    await until(() => released.includes(sendOnly));
    expect(writes).toEqual([[{ entry: 1n, chosen: true }]]);
    const acc = effects([op(2n, false)]);
    p.push(acc);
    await new Promise((r) => setImmediate(r));
    expect(released).not.toContain(acc);
    await until(() => released.includes(acc));
    expect(writes.length).toBe(2);
  });

  it('flushed() forces kept-back marks out; written() waits for the next batch without forcing', async () => {
    const h = harness(10_000);
    const { p, writes } = h;
    const mark = effects([op(1n, true)]);
    const { released } = h;
    p.push(mark);
    await until(() => released.includes(mark));
    let lazy = false;
    void p.written().then(() => (lazy = true));
    await tick();
    expect(lazy).toBe(false);
    expect(writes).toEqual([]);
    await p.flushed();
    expect(writes).toEqual([[{ entry: 1n, chosen: true }]]);
    await until(() => lazy);
    expect(lazy).toBe(true);
  });

  it('the uuids of a chosen record count as seen from its push until it is written (at-most-once)', async () => {
    const { p, writes, released } = harness(10_000);
    const mark = effects([op(1n, true, [77n])]);
    p.push(mark);
    expect(p.hasUnwrittenUuid(1n, 77n)).toBe(true);
    await until(() => released.includes(mark));
    expect(p.hasUnwrittenUuid(1n, 77n)).toBe(true);
    expect(p.hasUnwrittenUuid(2n, 77n)).toBe(false);
    await p.flushed();
    expect(writes.length).toBe(1);
    expect(p.hasUnwrittenUuid(1n, 77n)).toBe(false);
  });

  it('kept-back marks are written within deferMaxMs when nothing else comes; deferMaxMs 0 keeps nothing back', async () => {
    const a = harness(20);
    const mark = effects([op(1n, true)]);
    a.p.push(mark);
    await until(() => a.released.includes(mark));
    await until(() => a.writes.length > 0 && a.p.quiet);
    expect(a.writes).toEqual([[{ entry: 1n, chosen: true }]]);
    expect(a.p.quiet).toBe(true);
    const b = harness(0);
    b.p.push(effects([op(1n, true)]));
    await until(() => b.released.length > 0);
    expect(b.writes).toEqual([[{ entry: 1n, chosen: true }]]);
  });
});
