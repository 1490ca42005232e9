// Five real nodes in this process over TCP on free ports: the propose API, leader fail-over,
// restart with recovery and catch-up, and the log rules.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, waitFor } from '@quorumkit/test-harness';
import { describe, expect, it } from 'vitest';
import { NodeConnection, propose } from '../src/client/client.js';
import { checkDir } from '../src/cli/checkDir.js';
import { committeeFromPorts } from '../src/server/config.js';
import { type NodeOptions } from '../src/server/node.js';
import { localCommittee, localNodes } from './helpers/localNodes.js';

const local = localNodes();
const startNode = (opts: NodeOptions) => local.start(opts);

describe('five nodes over TCP', () => {
  it('propose commits through the leader from any node; fail-over and restart keep the rules', async () => {
    const { ports, committee, logDir } = await localCommittee(5, 'csp-paxos-cluster-');
    const opts = (id: number, bootstrap = false): NodeOptions => ({ id, committee, logDir, bootstrap, core: { generate: false, timeoutMs: 600, retryMs: 50, interval: 1_000_000 } });
    const nodes = await Promise.all([0, 1, 2, 3, 4].map((i) => startNode(opts(i, true))));

    const slots: number[] = [];
    for (let k = 0; k < 10; k++) slots.push(await propose(`v${k}`, { ports: [ports[k % 5]!], timeoutMs: 20_000 }));
    expect(new Set(slots).size).toBe(10);

    // Kill the leader (node 0 leads round 0 unless a loaded machine already moved the round on
    // with a 600 ms timeout); a new leader takes over and values still commit.
    await waitFor(() => nodes.some((x) => x.statusSnapshot().leading), { timeoutMs: 30_000, what: 'a node leads' });
    const li = nodes.findIndex((x) => x.statusSnapshot().leading);
    await nodes[li]!.stop();
    const others = [0, 1, 2, 3, 4].filter((i) => i !== li);
    for (let k = 10; k < 15; k++) slots.push(await propose(`v${k}`, { ports: [ports[others[k % 4]!]!], timeoutMs: 30_000 }));
    expect(new Set(slots).size).toBe(15);

    // Restart it on the same directories: it recovers its promise and log, then catches up.
    const back = await startNode(opts(li));
    const top = Math.max(...slots);
    await waitFor(() => back.statusSnapshot().commitIndex > top, { timeoutMs: 30_000, what: 'restarted node catches up' });
    const c = await NodeConnection.open(ports[others[0]!]!);
    const st = await c.status();
    c.close();
    expect(st.round).toBeGreaterThan(0);
    expect(back.statusSnapshot().voting).toBe(true);

    // Lose another node's acceptor state: it comes back as a non-voting learner, refuses
    // proposals with RECOVERING, re-learns from a majority of the others and votes again.
    const w = others[1]!;
    await nodes[w]!.stop();
    rmSync(join(logDir, `data${w}`, 'acceptor.log'));
    const wiped = await startNode(opts(w));
    expect(wiped.statusSnapshot().disk).toMatch(/acceptor log missing/);
    await waitFor(() => wiped.statusSnapshot().voting, { timeoutMs: 30_000, what: 'wiped node re-learns and votes' });
    expect(existsSync(join(logDir, `data${w}`, 'identity'))).toBe(true);
    for (let k = 15; k < 20; k++) slots.push(await propose(`v${k}`, { ports: [ports[w]!], timeoutMs: 30_000 }));
    expect(new Set(slots).size).toBe(20);

    await local.stopAll();
    const r = checkDir(logDir, 5);
    expect(r.ok, r.report).toBe(true);
  }, 120_000);

  it('answers bad requests with an error and survives garbage on the wire', async () => {
    const all = await freePorts(10);
    const ports = all.slice(0, 5);
    const logDir = mkdtempSync(join(tmpdir(), 'csp-paxos-bad-'));
    const n = await startNode({ id: 0, committee: committeeFromPorts(ports, '127.0.0.1', all.slice(5)), logDir, bootstrap: true, core: { generate: false } });
    const c = await NodeConnection.open(ports[0]!);
    expect(await c.request({ c: 'nope' })).toMatchObject({ ok: false });
    expect(await c.request({ c: 'propose', data: 42 })).toMatchObject({ ok: false });
    c.close();
    const { connect } = await import('node:net');
    await new Promise<void>((resolve) => {
      const s = connect({ port: ports[0]!, host: '127.0.0.1' }, () => {
        s.write(Buffer.from([0, 0, 0, 3, 0x7b, 0x7b, 0x7b]));
      });
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    expect((await (await NodeConnection.open(ports[0]!)).status()).rank).toBe(0);
    expect(n.stopped).toBe(false);
  });
});
