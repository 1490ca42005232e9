import { describe, expect, it } from 'vitest';
import { History, cardModel, checkLinearizable, counterModel, kvModel, registerModel, setModel } from '../src/index.js';
import { op } from './helpers/ops.js';

describe('checkLinearizable: register', () => {
  it('accepts a sequential history', () => {
    const h = [op(0, 'write', 1, undefined, 0, 10), op(1, 'read', null, 1, 20, 30), op(0, 'write', 2, undefined, 40, 50), op(1, 'read', null, 2, 60, 70)];
    expect(checkLinearizable(h, registerModel).ok).toBe(true);
  });

  it('accepts a history that needs backtracking (the first greedy choice is wrong)', () => {
    // w1 and w2 overlap; the reads force w2 before w1, though w1 is invoked first.
    const h = [
      op(0, 'write', 1, undefined, 0, 100),
      op(1, 'write', 2, undefined, 10, 100),
      op(2, 'read', null, 2, 20, 30),
      op(3, 'read', null, 1, 40, 50),
    ];
    expect(checkLinearizable(h, registerModel)).toMatchObject({ ok: true, ops: 4 });
  });

  it('accepts a deep backtracking case with cas', () => {
    // Three concurrent cas ops that only succeed in the order c, a, b.
    const h = [
      op(0, 'cas', [1, 2], true, 0, 100),
      op(1, 'cas', [2, 3], true, 0, 100),
      op(2, 'cas', [null, 1], true, 0, 100),
      op(3, 'read', null, 3, 110, 120),
    ];
    expect(checkLinearizable(h, registerModel).ok).toBe(true);
  });

  it('rejects a stale read', () => {
    const h = [op(0, 'write', 1, undefined, 0, 10), op(0, 'write', 2, undefined, 20, 30), op(1, 'read', null, 1, 40, 50)];
    const r = checkLinearizable(h, registerModel);
    expect(r.ok).toBe(false);
    if (r.ok !== false) return;
    expect(r.key).toBe('x');
    expect(r.ops.map((o) => o.f)).toContain('read');
    expect(r.message).toContain('longest linearizable prefix (2 ops)');
    expect(r.message).toContain('read(null) -> 1');
    expect(r.message).toContain('impossible from this state');
  });

  it('rejects two different values read after one write', () => {
    const h = [
      op(0, 'write', 1, undefined, 0, 10),
      op(1, 'write', 2, undefined, 5, 100),
      op(2, 'read', null, 2, 20, 30),
      op(3, 'read', null, 1, 40, 50),
    ];
    expect(checkLinearizable(h, registerModel).ok).toBe(false);
  });

  it('rejects two different values read after a single write', () => {
    const h = [op(0, 'write', 1, undefined, 0, 10), op(1, 'read', null, 1, 20, 30), op(2, 'read', null, null, 40, 50)];
    expect(checkLinearizable(h, registerModel).ok).toBe(false);
  });

  it('a completed read with no output means "absent", not "unknown"', () => {
    const h = [op(0, 'write', 1, undefined, 0, 10), op(1, 'read', null, undefined, 20, 30)];
    expect(checkLinearizable(h, registerModel).ok).toBe(false);
    expect(checkLinearizable([op(1, 'get', null, undefined, 0, 10, { key: 'k' })], kvModel).ok).toBe(true);
  });

  it('rejects a read of a value never written', () => {
    expect(checkLinearizable([op(0, 'read', null, 7, 0, 1)], registerModel).ok).toBe(false);
  });

  it('treats info ops as possibly applied: a later read of the value is fine', () => {
    const h = [op(0, 'write', 1, undefined, 0, 10), op(1, 'write', 2, undefined, 20, undefined), op(2, 'read', null, 2, 100, 110)];
    expect(checkLinearizable(h, registerModel).ok).toBe(true);
  });

  it('treats info ops as possibly never applied', () => {
    const h = [op(0, 'write', 1, undefined, 0, 10), op(1, 'write', 2, undefined, 20, undefined), op(2, 'read', null, 1, 100, 110)];
    expect(checkLinearizable(h, registerModel).ok).toBe(true);
  });

  it('an info op cannot take effect before it was invoked', () => {
    const h = [op(2, 'read', null, 2, 0, 10), op(1, 'write', 2, undefined, 20, undefined)];
    expect(checkLinearizable(h, registerModel).ok).toBe(false);
  });

  it('an info op takes effect at most once: flip-flopping reads are rejected', () => {
    const h = [
      op(0, 'write', 1, undefined, 0, 10),
      op(1, 'write', 2, undefined, 20, undefined),
      op(2, 'read', null, 2, 30, 40),
      op(2, 'read', null, 1, 50, 60),
    ];
    expect(checkLinearizable(h, registerModel).ok).toBe(false);
  });

  it('ignores failed operations', () => {
    const h = [op(0, 'write', 1, undefined, 0, 10), op(1, 'write', 2, undefined, 20, 30, { status: 'fail' }), op(2, 'read', null, 1, 40, 50)];
    expect(checkLinearizable(h, registerModel).ok).toBe(true);
    const h2 = [op(0, 'write', 1, undefined, 0, 10), op(1, 'write', 2, undefined, 20, 30, { status: 'fail' }), op(2, 'read', null, 2, 40, 50)];
    expect(checkLinearizable(h2, registerModel).ok).toBe(false);
  });

  it('reports unknown when the time budget is spent', () => {
    // 40 concurrent writes of distinct values, then a read of a value nobody wrote: proving "no"
    // needs every (subset, last value) pair, far more than 50 ms of search.
    const h = Array.from({ length: 40 }, (_, i) => op(i, 'write', i, undefined, 0, 1000));
    h.push(op(99, 'read', null, 'never', 1001, 1002));
    const r = checkLinearizable(h, registerModel, { timeBudgetMs: 50 });
    expect(r).toMatchObject({ ok: 'unknown', key: 'x' });
  });
});

describe('checkLinearizable: kv partitions by key', () => {
  it('accepts independent keys and names the failing key', () => {
    const good = [
      op(0, 'put', 1, undefined, 0, 10, { key: 'a' }),
      op(1, 'put', 5, undefined, 0, 10, { key: 'b' }),
      op(0, 'get', null, 1, 20, 30, { key: 'a' }),
      op(1, 'get', null, 5, 20, 30, { key: 'b' }),
      op(1, 'get', null, null, 20, 30, { key: 'c' }),
    ];
    expect(checkLinearizable(good, kvModel)).toMatchObject({ ok: true, keys: 3 });
    const lost = [...good, op(2, 'get', null, null, 40, 50, { key: 'b' })];
    const r = checkLinearizable(lost, kvModel);
    expect(r).toMatchObject({ ok: false, key: 'b' });
  });

  it('checks cas outcomes', () => {
    const h = [op(0, 'put', 1, undefined, 0, 10), op(1, 'cas', [1, 2], true, 20, 30), op(2, 'cas', [1, 3], true, 40, 50)];
    expect(checkLinearizable(h, kvModel).ok).toBe(false);
    const h2 = [op(0, 'put', 1, undefined, 0, 10), op(1, 'cas', [1, 2], true, 20, 30), op(2, 'cas', [1, 3], false, 40, 50), op(2, 'get', null, 2, 60, 70)];
    expect(checkLinearizable(h2, kvModel).ok).toBe(true);
  });

  it('rejects a lost write', () => {
    const h = [op(0, 'put', 1, undefined, 0, 10), op(1, 'put', 2, undefined, 20, 30), op(0, 'get', null, 1, 40, 50), op(1, 'get', null, 1, 60, 70)];
    expect(checkLinearizable(h, kvModel).ok).toBe(false);
  });
});

describe('checkLinearizable: counter, set, card', () => {
  it('counter', () => {
    const h = [op(0, 'add', 2n, undefined, 0, 100), op(1, 'add', 3n, undefined, 0, 100), op(2, 'read', null, 3n, 10, 20), op(2, 'read', null, 5n, 110, 120)];
    expect(checkLinearizable(h, counterModel).ok).toBe(true);
    const bad = [op(0, 'add', 2n, undefined, 0, 10), op(2, 'read', null, 0n, 20, 30)];
    expect(checkLinearizable(bad, counterModel).ok).toBe(false);
  });

  it('set', () => {
    const h = [op(0, 'add', 'a', undefined, 0, 10), op(1, 'add', 'b', undefined, 5, 50), op(2, 'read', null, ['a'], 20, 30), op(2, 'read', null, ['b', 'a'], 60, 70)];
    expect(checkLinearizable(h, setModel).ok).toBe(true);
    const h2 = [op(0, 'add', 'a', undefined, 0, 10), op(1, 'remove', 'a', undefined, 20, 30), op(2, 'read', null, ['a'], 40, 50)];
    expect(checkLinearizable(h2, setModel).ok).toBe(false);
  });

  it('card rules', () => {
    const card = { userName: 'rock', userId: 20170001n, balance: 200n };
    const ok = [
      op(0, 'select', null, 'not_exist', 0, 10),
      op(0, 'insert', card, 'ok', 20, 30),
      op(1, 'insert', card, 'exists', 40, 50),
      op(1, 'update', { delta: 10n }, { balance: 210n }, 60, 70),
      op(1, 'update', { delta: -500n }, 'not_enough', 80, 90),
      op(2, 'select', null, { ...card, balance: 210n }, 100, 110),
      op(2, 'delete', null, 'ok', 120, 130),
      op(2, 'delete', null, 'not_exist', 140, 150),
      op(2, 'update', { delta: 1n }, 'not_exist', 160, 170),
    ];
    expect(checkLinearizable(ok, cardModel).ok).toBe(true);
    const overdraw = [op(0, 'insert', card, 'ok', 0, 10), op(1, 'update', { delta: -300n }, { balance: -100n }, 20, 30)];
    expect(checkLinearizable(overdraw, cardModel).ok).toBe(false);
    const doubleInsert = [op(0, 'insert', card, 'ok', 0, 10), op(1, 'insert', card, 'ok', 20, 30)];
    expect(checkLinearizable(doubleInsert, cardModel).ok).toBe(false);
    // Concurrent updates: the 'not_enough' must be ordered before the deposit.
    const concurrent = [
      op(0, 'insert', { ...card, balance: 0n }, 'ok', 0, 10),
      op(1, 'update', { delta: 50n }, { balance: 50n }, 20, 100),
      op(2, 'update', { delta: -30n }, 'not_enough', 20, 100),
      op(3, 'update', { delta: -30n }, { balance: 20n }, 20, 100),
    ];
    expect(checkLinearizable(concurrent, cardModel).ok).toBe(true);
  });

  it('card ops with unknown outcomes, both ways', () => {
    const card = { userName: 'a', userId: 1n, balance: 100n };
    const base = [op(0, 'insert', card, 'ok', 0, 10), op(1, 'update', { delta: -60n }, undefined, 20, undefined)];
    // The timed-out withdrawal may have happened...
    expect(checkLinearizable([...base, op(2, 'select', null, { ...card, balance: 40n }, 30, 40)], cardModel).ok).toBe(true);
    // ...or not...
    expect(checkLinearizable([...base, op(2, 'select', null, card, 30, 40)], cardModel).ok).toBe(true);
    // ...but not twice, and not half.
    expect(checkLinearizable([...base, op(2, 'update', { delta: -60n }, { balance: -20n }, 30, 40)], cardModel).ok).toBe(false);
    expect(checkLinearizable([...base, op(2, 'select', null, { ...card, balance: 70n }, 30, 40)], cardModel).ok).toBe(false);
    // A second withdrawal that was refused proves the first one happened.
    expect(checkLinearizable([...base, op(2, 'update', { delta: -60n }, 'not_enough', 30, 40), op(2, 'select', null, card, 50, 60)], cardModel).ok).toBe(false);
  });
});

describe('History', () => {
  it('records invoke / ok / fail / info with monotonic times and rejects double completion', () => {
    const h = new History();
    const a = h.invoke(0, 'write', 1, 'k');
    const b = h.invoke(1, 'read', null, 'k');
    const c = h.invoke(2, 'write', 3, 'k');
    a.ok();
    b.ok(1);
    c.info('timeout');
    expect(() => a.fail()).toThrow(/already completed/);
    const ops = h.operations();
    expect(ops.map((o) => o.status)).toEqual(['ok', 'ok', 'info']);
    expect(ops[0]!.completeNs! >= ops[0]!.invokeNs).toBe(true);
    expect(ops[2]!.error).toBe('timeout');
    expect(checkLinearizable(h, registerModel).ok).toBe(true);
    expect(History.fromJSON(JSON.parse(JSON.stringify(h.toJSON())))[1]!.invokeNs).toBe(ops[1]!.invokeNs);
  });

  it('record() wraps an async call', async () => {
    const h = new History();
    await h.record(0, 'put', 1, 'a', async () => undefined);
    await expect(h.record(0, 'put', 2, 'a', async () => Promise.reject(new Error('refused')), () => 'fail')).rejects.toThrow('refused');
    expect(h.operations().map((o) => o.status)).toEqual(['ok', 'fail']);
  });
});
