// csp-paxos issue 18 item 1, real processes: the schedule. Partition {0,1,2} | {3,4}
// (leader 0 on the majority side), SIGKILL node 1 and remove its acceptor.log, restart it on
// the {3,4} side, heal. Before the fix the nodes disagreed at some slot; now node 1 must stay a
// non-voting learner while only 3 and 4 can answer it, re-learn after the heal, vote again,
// and `check` must pass. Peers talk through per-link proxies and authenticate with a secret.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeStatus } from '@quorumkit/csp-paxos';
import { type Cluster, startCluster, stopAllClusters } from '@quorumkit/test-harness';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../packages/csp-paxos/dist/cli/csp-paxos.js', import.meta.url));
const SECRET = 'e2e secret for the csp-paxos wipe schedule';
let cluster: Cluster | undefined;
const dirs: string[] = [];

afterAll(async () => {
  await cluster?.stop();
  await stopAllClusters();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function cli(args: string[], deadlineMs: number): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), deadlineMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('csp-paxos: a wiped acceptor rejoins on the minority side (issue 18)', () => {
  it('partition + SIGKILL + lost acceptor.log + restart on the other side + heal: check passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'csp-paxos-wipe-e2e-'));
    dirs.push(dir);
    const logDir = join(dir, 'logs');
    const starts = [0, 0, 0, 0, 0];
    // ports[i][0]: peer port (peers dial it through the link proxies); ports[i][1]: client port.
    const c = await startCluster({
      nodes: 5,
      ports: 2,
      proxies: true,
      dataDir: join(dir, 'nodes'),
      spec(i, ports, link) {
        const first = starts[i] === 0;
        starts[i] = (starts[i] ?? 0) + 1;
        return {
          command: process.execPath,
          args: [
            CLI, 'node', '-i', String(i), '-o', '1', '-l', '2000', '-t', '120',
            '--log-dir', logDir, '--data-dir', join(dir, 'nodes', `node${i}`),
            '--ports', ports.map((p) => p[1]).join(','),
            '--peer-ports', ports.map((p) => p[0]).join(','),
            '--dial-ports', ports.map((_, j) => link(i, j)).join(','),
            ...(first ? ['--bootstrap'] : []),
          ],
          env: { CSP_PAXOS_SECRET: SECRET },
        };
      },
      readyWhen: /listening on/,
    });
    cluster = c;
    const status = (i: number): ReturnType<typeof nodeStatus> => nodeStatus(c.ports[i]![1]!);
    const commitIndex = async (i: number): Promise<number> => (await status(i)).commitIndex;

    await c.waitFor(async () => (await commitIndex(0)) > 2000, { timeoutMs: 60_000, what: 'first commits' });
    c.partition([[0, 1, 2], [3, 4]]);
    const before = await commitIndex(0);
    await c.waitFor(async () => (await commitIndex(0)) > before + 2000, { timeoutMs: 60_000, what: 'the majority side commits with node 1 in its quorums' });

    await c.kill(1, 'SIGKILL');
    const acceptorLog = join(dir, 'nodes', 'node1', 'acceptor.log');
    expect(existsSync(acceptorLog)).toBe(true);
    await c.wipe(1, [acceptorLog]);
    c.partition([[0, 2], [1, 3, 4]]);
    await c.start(1);
    const s1 = await status(1);
    expect(s1.voting).toBe(false);
    expect(s1.disk).toMatch(/acceptor log missing/);
    // Only 3 and 4 can answer it (2 of the 4 others): it must not vote, so {1,3,4} chooses nothing.
    await sleep(4000);
    expect((await status(1)).voting).toBe(false);

    c.heal();
    await c.waitFor(async () => (await status(1)).voting, { timeoutMs: 60_000, what: 'node 1 re-learns and votes again' });
    const healed = await commitIndex(0);
    await c.waitFor(async () => (await Promise.all([0, 1, 2, 3, 4].map(commitIndex))).every((x) => x > healed + 2000), { timeoutMs: 90_000, what: 'every node commits past the heal' });
    for (const i of [0, 1, 2, 3, 4]) await c.kill(i, 'SIGTERM');

    const r = await cli(['check', '--log-dir', logDir], 60_000);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l === 'pass')).toHaveLength(2);
  }, 300_000);
});
