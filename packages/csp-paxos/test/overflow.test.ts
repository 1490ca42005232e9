// Issue 18 item 6: a full channel is never silent. Peer input beyond a channel's room is
// refused and counted (peers retry); events between the node's own processors keep a reserve.
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, waitFor } from '@quorumkit/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeConnection } from '../src/client/client.js';
import { committeeFromPorts } from '../src/server/config.js';
import { FrameDecoder, encodeFrame } from '../src/server/framing.js';
import { CspPaxosNode } from '../src/server/node.js';

const running: CspPaxosNode[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((n) => n.stop()));
});

describe('channel overflow (issue 18 item 6)', () => {
  it('a flood of peer messages is refused and counted; the node keeps serving and loses no internal event', async () => {
    const all = await freePorts(6);
    const committee = committeeFromPorts(all.slice(0, 3), '127.0.0.1', all.slice(3));
    const logDir = mkdtempSync(join(tmpdir(), 'csp-paxos-overflow-'));
    const n0 = await CspPaxosNode.start({ id: 0, committee, logDir, bootstrap: true, channelCapacityMax: 64, core: { generate: false } });
    running.push(n0);
    const flood = { p: 1, m: Array.from({ length: 2000 }, () => ({ type: 'CATCHUP', from: 1, to: 0, round: 0, seq: 1_000_000 })) };
    const s = connect({ host: '127.0.0.1', port: all[3]! });
    const dec = new FrameDecoder();
    s.on('error', () => {});
    s.on('data', (c: Buffer) => {
      if (dec.push(c).some((f) => typeof (f as Record<string, unknown>).challenge === 'string')) {
        s.write(encodeFrame({ hello: 1 }));
        s.write(encodeFrame(flood));
      }
    });
    try {
      await waitFor(() => n0.statusSnapshot().overflow.net > 0, { timeoutMs: 20_000, what: 'peer messages refused' });
    } finally {
      s.destroy();
    }
    const st = n0.statusSnapshot();
    expect(st.overflow.net).toBeGreaterThan(1000);
    expect(st.overflow.local).toBe(0);
    const c = await NodeConnection.open(all[0]!);
    expect((await c.status()).rank).toBe(0);
    c.close();
    expect(n0.stopped).toBe(false);
  }, 60_000);
});
