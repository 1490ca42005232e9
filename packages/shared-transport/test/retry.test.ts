import { describe, expect, it } from 'vitest';
import { callUnary, CancelledError, createGrpcClient, sleep, withRetry } from '../src/index.js';
import { ECHO_PROTO, ECHO_SERVICE, startEchoServer, useEchoServer, waitFor } from './helpers.js';

describe('cancellation', () => {
  const fx = useEchoServer('x');

  it('aborting the signal cancels the call on both sides', async () => {
    const ac = new AbortController();
    const before = fx.srv.state.cancelled;
    const p = callUnary(fx.client, 'Slow', { delayMs: 30_000 }, { deadlineMs: 60_000, signal: ac.signal });
    await waitFor(() => fx.srv.state.calls > 0);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    await waitFor(() => fx.srv.state.cancelled > before);
    await expect(callUnary(fx.client, 'Echo', {}, { deadlineMs: 5_000, signal: ac.signal })).rejects.toBeInstanceOf(CancelledError);
  });

  it('refuses a call without a usable deadline', async () => {
    for (const deadlineMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(callUnary(fx.client, 'Echo', {}, { deadlineMs })).rejects.toBeInstanceOf(TypeError);
    }
  });

  it('close() lets a short in-flight call finish, then refuses new ones', async () => {
    const s = await startEchoServer('closing', { closeGraceMs: 10_000 });
    const c = createGrpcClient(ECHO_PROTO, ECHO_SERVICE, s.address);
    const inFlight = callUnary(c, 'Slow', { delayMs: 200, text: 'done' }, { deadlineMs: 10_000 });
    await waitFor(() => s.state.calls > 0);
    await s.close();
    await expect(inFlight).resolves.toMatchObject({ text: 'done' });
    await expect(callUnary(c, 'Echo', {}, { deadlineMs: 2_000 })).rejects.toMatchObject({ code: expect.stringMatching(/EUNAVAILABLE|EDEADLINE/) });
    c.close();
  });
});

describe('sleep and withRetry', () => {
  it('sleep rejects with CancelledError on abort', async () => {
    const ac = new AbortController();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    await expect(sleep(1, ac.signal)).rejects.toBeInstanceOf(CancelledError);
    await expect(sleep(1)).resolves.toBeUndefined();
  });

  it('retries until success, with attempts numbered from 0', async () => {
    const seen: number[] = [];
    const r = await withRetry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new Error('flaky');
        return 'ok';
      },
      { attemptsMax: 5, baseMs: 1, maxMs: 2 },
    );
    expect(r).toBe('ok');
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  it('stops at attemptsMax, on retryIf false, and never retries a CancelledError', async () => {
    let n = 0;
    await expect(withRetry(async () => Promise.reject(new Error(`e${++n}`)), { attemptsMax: 3, baseMs: 1 })).rejects.toThrow('e3');
    n = 0;
    await expect(
      withRetry(async () => Promise.reject(new Error(`e${++n}`)), { attemptsMax: 9, baseMs: 1, retryIf: (_e, a) => a < 1 }),
    ).rejects.toThrow('e2');
    n = 0;
    await expect(
      withRetry(
        async () => {
          n++;
          throw new CancelledError();
        },
        { attemptsMax: 9, baseMs: 1 },
      ),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(n).toBe(1);
  });
});
