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
