// Prometheus /metrics on a node (issue 23): 3 nodes, node 0 with metricsAddr; after a
// proposal the scrape parses as the text exposition format (strict parser, and promtool's
// linter when it is installed) and carries the operator's families with values that moved:
// round/leader gauges, the commit index, per-peer link state and lag, the fsync histogram in
// seconds, proposals and commits counters. A taken metrics port refuses the start.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { freePorts, waitFor } from '@quorumkit/test-harness';
import { describe, expect, it } from 'vitest';
import { propose } from '../src/client/client.js';
import { localCommittee, localNodes } from './helpers/localNodes.js';
import { parseExposition, sampleValue } from './helpers/exposition.js';

const local = localNodes();
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

async function scrape(address: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

describe('node /metrics', () => {
  it('serves a valid exposition with round, leader, commit, per-peer, fsync and counter families', async () => {
    const { ports, committee, logDir } = await localCommittee(3, 'csp-paxos-metrics-');
    const core = { generate: false, timeoutMs: 600, retryMs: 50, interval: 1_000_000 };
    const [n0] = await Promise.all([0, 1, 2].map((id) => local.start({ id, committee, logDir, bootstrap: true, core, ...(id === 0 ? { metricsAddr: '127.0.0.1:0' } : {}) })));
    expect(n0!.metricsAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    await propose('m1', { ports: [ports[1]!], timeoutMs: 30_000 });
    await propose('m2', { ports: [ports[0]!], timeoutMs: 30_000 });
    await waitFor(() => n0!.statusSnapshot().commitIndex >= 2, { timeoutMs: 30_000, what: 'node 0 commits both' });

    const r = await scrape(n0!.metricsAddress!);
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const fams = parseExposition(r.body);
    const nan = [...fams.values()].flatMap((f) => f.samples).filter((x) => Number.isNaN(x.value) && x.name.startsWith('csp_paxos_'));
    expect(nan).toEqual([]);
    if (promtool) {
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: r.body, encoding: 'utf8', timeout: 30_000 });
      expect(lint.status, `${lint.stdout}${lint.stderr}`).toBe(0);
    }
    expect(fams.get('csp_paxos_round')?.type).toBe('gauge');
    expect(sampleValue(fams, 'csp_paxos_leader')).toBe(n0!.statusSnapshot().leader);
    expect(sampleValue(fams, 'csp_paxos_leading')).toBe(n0!.statusSnapshot().leading ? 1 : 0);
    expect(sampleValue(fams, 'csp_paxos_voting')).toBe(1);
    expect(sampleValue(fams, 'csp_paxos_committed_slots')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(fams, 'csp_paxos_commits_total')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(fams, 'csp_paxos_proposals_total')).toBe(1);
    for (const peer of ['1', '2']) {
      expect(sampleValue(fams, 'csp_paxos_peer_link_up', { peer })).toBe(1);
      expect(sampleValue(fams, 'csp_paxos_peer_lag_slots', { peer })).toBeGreaterThanOrEqual(0);
      expect(sampleValue(fams, 'csp_paxos_peer_last_heard_seconds', { peer })).toBeGreaterThanOrEqual(0);
    }
    expect(fams.get('csp_paxos_acceptor_fsync_seconds')?.type).toBe('histogram');
    expect(sampleValue(fams, 'csp_paxos_acceptor_fsync_seconds_count')).toBeGreaterThan(0);
    expect(fams.has('process_cpu_seconds_total')).toBe(true);

    // A peer that went away: its link is down on the next scrape.
    await local.stopAll();
    const { ports: p2, committee: c2, logDir: d2 } = await localCommittee(3, 'csp-paxos-metrics-');
    void p2;
    const a = await local.start({ id: 0, committee: c2, logDir: d2, bootstrap: true, core, metricsAddr: '127.0.0.1:0' });
    const down = parseExposition((await scrape(a.metricsAddress!)).body);
    expect(sampleValue(down, 'csp_paxos_peer_link_up', { peer: '1' })).toBe(0);
    expect(sampleValue(down, 'csp_paxos_peer_last_heard_seconds', { peer: '1' })).toBe(-1);
  }, 120_000);

  it('a taken metrics port refuses the start with EMETRICSADDR and leaves nothing listening', async () => {
    const [taken] = await freePorts(1);
    const srv = createServer();
    await new Promise<void>((resolve) => srv.listen(taken, '127.0.0.1', () => resolve()));
    try {
      const { ports, committee, logDir } = await localCommittee(1, 'csp-paxos-metrics-');
      await expect(local.start({ id: 0, committee, logDir, bootstrap: true, metricsAddr: `127.0.0.1:${taken}` })).rejects.toMatchObject({ code: 'EMETRICSADDR' });
      // the node's own ports were released
      const probe = createServer();
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(ports[0], '127.0.0.1', () => resolve());
      });
      await new Promise((r) => probe.close(r));
    } finally {
      await new Promise((r) => srv.close(r));
    }
  }, 60_000);
});
