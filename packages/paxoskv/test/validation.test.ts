// Issue 17 item 7: bad input is refused up front with the real cause, not after the whole
// deadline as "no quorum reachable". The acceptors here do not exist (closed ports), so any
// answer other than an immediate UsageError would be a network wait.
import { describe, expect, it } from 'vitest';
import { freePorts } from '@quorumkit/test-harness';
import { PaxosKvClient, UsageError } from '../src/index.js';

async function client(): Promise<PaxosKvClient> {
  const ports = await freePorts(3);
  return new PaxosKvClient({ acceptors: ports.map((p) => `127.0.0.1:${p}`), deadlineMs: 600_000, phaseTimeoutMs: 300_000 });
}

describe('bad input is refused at once with its real cause (issue 17 item 7)', () => {
  it('a key over 4096 bytes, a value over 1 MiB, a version of 2^63', async () => {
    const c = await client();
    try {
      await expect(c.set('k'.repeat(5000), 1n)).rejects.toThrow(UsageError);
      await expect(c.get('k'.repeat(5000))).rejects.toThrow(/key.*5000 bytes.*4096/);
      await expect(c.set('k', new Uint8Array((1 << 20) + 1))).rejects.toThrow(/value.*1048577 bytes.*1048576/);
      await expect(c.set('k', 1n, { ver: 2n ** 63n })).rejects.toThrow(/version.*int64/);
      await expect(c.get('k', { ver: 2n ** 63n })).rejects.toThrow(UsageError);
    } finally {
      c.close();
    }
  });
  it('a call after close()', async () => {
    const c = await client();
    c.close();
    await expect(c.set('k', 1n)).rejects.toThrow(/closed/);
    await expect(c.get('k')).rejects.toThrow(UsageError);
  });
});

describe('set() value types (issue 17 item 9)', () => {
  it('a number, undefined, null or an object is refused with UsageError naming the type; a safe integer number is an int64', async () => {
    const c = await client();
    try {
      await expect(c.set('k', 5.5 as never)).rejects.toThrow(/value must be.*got number 5.5/);
      await expect(c.set('k', undefined as never)).rejects.toThrow(UsageError);
      await expect(c.set('k', null as never)).rejects.toThrow(/got null/);
      await expect(c.set('k', {} as never)).rejects.toThrow(/got object/);
      await expect(c.set('k', 2 ** 60 as never)).rejects.toThrow(/not a safe integer/);
    } finally {
      c.close();
    }
  });
});

describe('contention is not "no quorum" (issue 17 item 7)', () => {
  it('acceptors that answer but always hold a higher ballot: a contention deadline error, CLI exit 4', async () => {
    const { Proposer, IncarnationView, ballot } = await import('../src/index.js');
    const { exitCodeFor, EXIT } = await import('../src/cli/errors.js');
    // every reply carries a LastBal one above the ballot asked for: always rejected, always answered
    const transport = {
      size: 3,
      incarnations: new IncarnationView(),
      describe: (i: number) => `acceptor ${i}`,
      request: async (_i: number, _k: string, req: unknown) => {
        // slow enough that the run's last phase is cut short by the deadline
        await new Promise((r) => setTimeout(r, 40));
        const bal = (req as { Bal: { N: string; ProposerId: string } }).Bal;
        return { reply: { LastBal: { N: String(BigInt(bal.N) + 1n), ProposerId: '0' }, Val: null, VBal: null }, origin: null };
      },
    };
    const p = new Proposer(transport, { key: 'c', ver: 0n }, ballot(1, 1), { deadlineMs: 300, phaseTimeoutMs: 200, backoffMsBase: 1, backoffMsMax: 1 });
    const err = await p.runPaxos([0, 1, 2], { vi64: 1n }).catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/contention/);
    expect(exitCodeFor(err)).toBe(EXIT.deadline);
  });
});
