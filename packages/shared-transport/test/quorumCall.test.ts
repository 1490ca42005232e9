import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callUnary, CancelledError, createGrpcClient, DeadlineError, quorumCall, QuorumError, sleep } from '../src/index.js';
import { ECHO_PROTO, ECHO_SERVICE, startEchoServer, waitFor } from './helpers.js';

type Srv = Awaited<ReturnType<typeof startEchoServer>>;

describe('quorumCall against real gRPC servers', () => {
  const servers: Srv[] = [];
  const clients: grpc.Client[] = [];
  beforeAll(async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      const s = await startEchoServer(name);
      servers.push(s);
      clients.push(createGrpcClient(ECHO_PROTO, ECHO_SERVICE, s.address));
    }
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  const slowMs = 20_000;
  // targets 0..2 answer at once, 3..4 take 20 s unless cancelled
  const delayOf = (i: number): number => (i >= 3 ? slowMs : 0);

  it('resolves as soon as `need` answers arrive; slow targets do not delay it and get cancelled', async () => {
    const cancelledBefore = servers[3]!.state.cancelled + servers[4]!.state.cancelled;
    const started = Date.now();
    const got = await quorumCall(
      [0, 1, 2, 3, 4],
      (i, signal) => callUnary(clients[i]!, 'Slow', { delayMs: delayOf(i), text: `t${i}` }, { deadlineMs: 60_000, signal }),
      { need: 3, deadlineMs: 60_000 },
    );
    // generous bound: far below the slow targets' 20 s, robust on a loaded machine
    expect(Date.now() - started).toBeLessThan(slowMs / 2);
    expect(got.map((g) => g.target).sort()).toEqual([0, 1, 2]);
    expect(got.every((g) => g.result.text === `t${g.target}`)).toBe(true);
    // the two slow calls were aborted, and their servers saw the cancellation
    await waitFor(() => servers[3]!.state.cancelled + servers[4]!.state.cancelled >= cancelledBefore + 2);
  });

  it('fails fast with QuorumError once `need` is unreachable (before the deadline)', async () => {
    const started = Date.now();
    const err = await quorumCall(
      [0, 1, 2, 3, 4],
      (i, signal) =>
        i < 3
          ? callUnary(clients[i]!, 'Fail', { code: 'EREJECT', message: `no from ${i}` }, { deadlineMs: 60_000, signal })
          : callUnary(clients[i]!, 'Slow', { delayMs: slowMs }, { deadlineMs: 60_000, signal }),
      { need: 3, deadlineMs: 60_000 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuorumError);
    expect((err as QuorumError).code).toBe('ENOQUORUM');
    expect(Date.now() - started).toBeLessThan(slowMs / 2);
    const failed = (err as QuorumError).outcome.failed;
    expect(failed.map((f) => f.target).sort()).toEqual([0, 1, 2]);
    expect(failed.every((f) => (f.error as { code?: string }).code === 'EREJECT')).toBe(true);
  });

  it('counts answers refused by `accept` towards failure', async () => {
    const started = Date.now();
    const err = await quorumCall(
      [0, 1, 2, 3, 4],
      (i, signal) => callUnary(clients[i]!, 'Slow', { delayMs: delayOf(i), text: i === 0 ? 'yes' : 'no' }, { deadlineMs: 60_000, signal }),
      // 1 and 2 answer 'no' at once: 5 - 2 = 3 < 4, so need 4 is out of reach without waiting for 3 and 4
      { need: 4, deadlineMs: 60_000, accept: (r: { text: string }) => r.text === 'yes' },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuorumError);
    expect(Date.now() - started).toBeLessThan(slowMs / 2);
    expect((err as QuorumError).outcome.rejected.map((r) => r.target).sort()).toEqual([1, 2]);
  });

  it('fails with DeadlineError at the deadline when too few answer in time', async () => {
    const err = await quorumCall(
      [0, 1, 2, 3, 4],
      (i, signal) => callUnary(clients[i]!, 'Slow', { delayMs: delayOf(i) }, { deadlineMs: 60_000, signal }),
      { need: 4, deadlineMs: 3_000 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect((err as DeadlineError).outcome?.accepted.length).toBe(3);
  });
});

describe('quorumCall semantics (in process)', () => {
  const after = <R>(ms: number, v: R, signal: AbortSignal): Promise<R> => sleep(ms, signal).then(() => v);

  it('returns exactly `need` results in arrival order', async () => {
    // answers are released by hand in the order 3, 1, 2, 0 (no timing involved)
    const release: ((v: number) => void)[] = [];
    const p = quorumCall([0, 1, 2, 3], (t) => new Promise<number>((resolve) => (release[t] = resolve)), {
      need: 2,
      deadlineMs: 60_000,
    });
    release[3]!(3);
    await Promise.resolve();
    release[1]!(1);
    release[2]!(2);
    release[0]!(0);
    expect((await p).map((g) => g.result)).toEqual([3, 1]);
  });

  it('aborts the losers through their signal', async () => {
    const aborted: number[] = [];
    await quorumCall(
      [1, 2, 3],
      (t, signal) =>
        new Promise<number>((resolve) => {
          if (t === 1) resolve(t);
          signal.addEventListener('abort', () => aborted.push(t));
        }),
      { need: 1, deadlineMs: 10_000 },
    );
    expect(aborted).toEqual(expect.arrayContaining([2, 3]));
  });

  it('rejects answers refused by `accept` and gives up when need is out of reach', async () => {
    const err = await quorumCall([1, 2, 3, 4, 5], (t, s) => (t <= 3 ? after(1, t, s) : after(60_000, t, s)), {
      need: 4, // 2 and 3 refused: at most 3 of 5 can still accept
      deadlineMs: 60_000,
      accept: (r) => r === 1,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuorumError);
    expect((err as QuorumError).outcome.accepted.map((a) => a.result)).toEqual([1]);
    expect((err as QuorumError).outcome.rejected.map((a) => a.result).sort()).toEqual([2, 3]);
  });

  it('treats a throwing `call` or `accept` as a failed target', async () => {
    const err = await quorumCall(
      [1, 2],
      (t) => {
        if (t === 1) throw new Error('sync');
        return Promise.resolve(t);
      },
      { need: 2, deadlineMs: 1_000, accept: () => true },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QuorumError);
    const err2 = await quorumCall([1], (t) => Promise.resolve(t), {
      need: 1,
      deadlineMs: 1_000,
      accept: () => {
        throw new Error('bad');
      },
    }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(QuorumError);
  });

  it('handles need <= 0, need > targets and a caller abort', async () => {
    await expect(quorumCall([1], () => new Promise<number>(() => {}), { need: 0, deadlineMs: 10 })).resolves.toEqual([]);
    await expect(quorumCall([1], (t) => Promise.resolve(t), { need: 2, deadlineMs: 10 })).rejects.toBeInstanceOf(QuorumError);
    const ac = new AbortController();
    const p = quorumCall([1, 2], (_t, s) => after(60_000, 0, s), { need: 1, deadlineMs: 60_000, signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  });
});
