// Issue 18 item 2: one forged frame from a local process must not commit anything. Peers talk
// on their own port and prove a shared secret (HMAC over a fresh challenge); the client port
// takes no peer frames; control requests are refused unless enabled.
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, waitFor } from '@quorumkit/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeConnection, propose } from '../src/client/client.js';
import { checkDir } from '../src/cli/checkDir.js';
import { committeeFromPorts } from '../src/server/config.js';
import { FrameDecoder, encodeFrame } from '../src/server/framing.js';
import { CspPaxosNode } from '../src/server/node.js';

const running: CspPaxosNode[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((n) => n.stop()));
});

const SECRET = Buffer.from('a shared secret of the test cluster');
const FORGED = 'forgedforgedforgedforgedforgedfo';

/** Connects, optionally waits for the challenge and answers `hello`, then writes `frames`; resolves when the node closes it (or after a bounded wait). */
function forge(port: number, frames: unknown[], hello?: Record<string, unknown>): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const dec = new FrameDecoder();
    const timer = setTimeout(() => {
      s.destroy();
      resolve('open');
    }, 2_000);
    const sendAll = (): void => {
      if (hello) s.write(encodeFrame(hello));
      for (const f of frames) s.write(encodeFrame(f));
    };
    s.on('connect', () => {
      if (!hello) sendAll();
    });
    s.on('data', (c: Buffer) => {
      const fs = dec.push(c);
      if (hello && fs.some((f) => typeof (f as Record<string, unknown>).challenge === 'string')) sendAll();
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
}

function decideFrame(): Record<string, unknown> {
  return { p: 1, m: [{ type: 'DECIDE', from: 1, to: 0, round: 0, seq: 0, upTo: 1, entries: [{ slot: 0, round: 0, key: FORGED }] }] };
}

describe('peer authentication and control (issue 18 item 2)', () => {
  it('forged DECIDE frames on the client port, without a handshake, or with a wrong MAC commit nothing', async () => {
    const all = await freePorts(10);
    const ports = all.slice(0, 5);
    const committee = committeeFromPorts(ports, '127.0.0.1', all.slice(5));
    const logDir = mkdtempSync(join(tmpdir(), 'csp-paxos-auth-'));
    // Only node 0 runs at first, so nothing is chosen and a forged slot 0 would be the first commit.
    const n0 = await CspPaxosNode.start({ id: 0, committee, logDir, bootstrap: true, secret: SECRET, core: { generate: false, timeoutMs: 600, retryMs: 50, interval: 1_000_000 } });
    running.push(n0);

    expect(await forge(ports[0]!, [decideFrame()])).toBe('closed');
    expect(await forge(all[5]!, [decideFrame()])).toBe('closed');
    expect(await forge(all[5]!, [decideFrame()], { hello: 1 })).toBe('closed');
    expect(await forge(all[5]!, [decideFrame()], { hello: 1, mac: 'ab'.repeat(32) })).toBe('closed');
    expect(n0.transportStats().refused).toBe(4);
    expect(n0.statusSnapshot().commitIndex).toBe(0);

    // The real peers join with the secret; the first commit is a proposed value, not the forgery.
    for (const i of [1, 2, 3, 4]) running.push(await CspPaxosNode.start({ id: i, committee, logDir, bootstrap: true, secret: SECRET, core: { generate: false, timeoutMs: 600, retryMs: 50, interval: 1_000_000 } }));
    const slot = await propose('real', { ports: [ports[0]!], timeoutMs: 30_000 });
    expect(slot).toBe(0);
    await waitFor(() => running.every((n) => n.statusSnapshot().commitIndex >= 1), { timeoutMs: 30_000, what: 'every node commits slot 0' });
    await Promise.all(running.splice(0).map((n) => n.stop()));
    for (let i = 0; i < 5; i++) expect(readFileSync(join(logDir, `instancelog${i}.log`), 'utf8')).not.toContain(FORGED);
    const r = checkDir(logDir, 5);
    expect(r.ok, r.report).toBe(true);
  }, 90_000);

  it('a peer with the wrong secret is refused and cannot take part', async () => {
    const all = await freePorts(10);
    const committee = committeeFromPorts(all.slice(0, 5), '127.0.0.1', all.slice(5));
    const logDir = mkdtempSync(join(tmpdir(), 'csp-paxos-auth2-'));
    const n0 = await CspPaxosNode.start({ id: 0, committee, logDir, bootstrap: true, secret: SECRET, core: { generate: false } });
    const bad = await CspPaxosNode.start({ id: 1, committee, logDir, bootstrap: true, secret: Buffer.from('not the cluster secret at all'), core: { generate: false } });
    running.push(n0, bad);
    await waitFor(() => n0.transportStats().refused > 0, { timeoutMs: 20_000, what: 'node 0 refuses the wrong secret' });
    expect(n0.transportStats().msgsIn).toBe(0);
  }, 60_000);

  it('block is refused unless control is enabled', async () => {
    const all = await freePorts(4);
    const committee = committeeFromPorts(all.slice(0, 2), '127.0.0.1', all.slice(2));
    const logDir = mkdtempSync(join(tmpdir(), 'csp-paxos-ctl-'));
    running.push(await CspPaxosNode.start({ id: 0, committee, logDir, bootstrap: true, core: { generate: false } }));
    running.push(await CspPaxosNode.start({ id: 1, committee, logDir, bootstrap: true, allowControl: true, core: { generate: false } }));
    const c0 = await NodeConnection.open(all[0]!);
    expect(await c0.request({ c: 'block', peers: [1] })).toMatchObject({ ok: false, code: 'CONTROL_DISABLED' });
    c0.close();
    const c1 = await NodeConnection.open(all[1]!);
    expect(await c1.request({ c: 'block', peers: [0] })).toMatchObject({ ok: true, blocked: [0] });
    c1.close();
  }, 60_000);
});
