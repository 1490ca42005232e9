import { describe, expect, it } from 'vitest';
import { Channel, select } from '../src/csp/channel.js';

describe('Channel', () => {
  it('buffers up to capacity and reports full without blocking', () => {
    const ch = new Channel<number>('t', 2);
    expect(ch.send(1)).toBe('ok');
    expect(ch.send(2)).toBe('ok');
    expect(ch.send(3)).toBe('full');
    expect(ch.fullCount).toBe(1);
    expect(ch.drain(10)).toEqual([1, 2]);
  });

  it('recv returns a buffered value, a value sent later, or timeout', async () => {
    const ch = new Channel<string>('t', 4);
    ch.send('a');
    expect(await ch.recv({ timeoutMs: 10 })).toEqual({ ok: true, value: 'a' });
    const p = ch.recv({ timeoutMs: 1000 });
    setTimeout(() => ch.send('b'), 5);
    expect(await p).toEqual({ ok: true, value: 'b' });
    expect(await ch.recv({ timeoutMs: 5 })).toEqual({ ok: false, reason: 'timeout' });
  });

  it('a send goes to a waiting reader even when the buffer would be full', async () => {
    const ch = new Channel<number>('t', 1);
    const p = ch.recv({ timeoutMs: 1000 });
    expect(ch.send(7)).toBe('ok');
    expect(ch.length).toBe(0);
    expect(await p).toEqual({ ok: true, value: 7 });
  });

  it('close wakes readers and refuses sends', async () => {
    const ch = new Channel<number>('t', 1);
    const p = ch.recv({ timeoutMs: 1000 });
    ch.close();
    expect(await p).toEqual({ ok: false, reason: 'closed' });
    expect(ch.send(1)).toBe('closed');
  });

  it('keeps FIFO order across many values', () => {
    const ch = new Channel<number>('t', 5000);
    for (let i = 0; i < 3000; i++) ch.send(i);
    const got: number[] = [];
    for (let v = ch.tryRecv(); v !== undefined; v = ch.tryRecv()) got.push(v);
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('rejects a bad capacity', () => {
    expect(() => new Channel('t', 0)).toThrow(RangeError);
  });
});

describe('select', () => {
  it('takes buffered values in channel order', async () => {
    const a = new Channel<string>('a', 4);
    const b = new Channel<string>('b', 4);
    b.send('b1');
    a.send('a1');
    expect(await select([a, b], { timeoutMs: 10 })).toEqual({ ok: true, index: 0, value: 'a1' });
    expect(await select([a, b], { timeoutMs: 10 })).toEqual({ ok: true, index: 1, value: 'b1' });
  });

  it('waits on all channels and leaves no stale waiter behind', async () => {
    const a = new Channel<string>('a', 4);
    const b = new Channel<string>('b', 4);
    const p = select([a, b], { timeoutMs: 1000 });
    b.send('x');
    expect(await p).toEqual({ ok: true, index: 1, value: 'x' });
    // The waiter on `a` is gone: this value is buffered, not handed to a finished select.
    a.send('y');
    expect(a.length).toBe(1);
  });

  it('times out, and reports closed when every channel is closed', async () => {
    const a = new Channel<number>('a', 1);
    expect(await select([a], { timeoutMs: 5 })).toEqual({ ok: false, reason: 'timeout' });
    const p = select([a], { timeoutMs: 1000 });
    a.close();
    expect(await p).toEqual({ ok: false, reason: 'closed' });
  });
});
