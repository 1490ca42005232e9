// csp-paxos, real processes: the seed's run_and_check.sh (low and high pressure) through the
// built CLI, a fault run (the leader SIGKILLed and restarted, a minority partitioned, a node
// paused) and a run whose logs are compacted (cut below a base per node) after which `check`
// and the harness checkLogPrefix (told each node's base) both pass.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logBasePath, parseFaults, readLogBase, runCluster } from '@quorumkit/csp-paxos';
import { checkLogPrefix, freePorts, type CommitLog } from '@quorumkit/test-harness';
import { afterAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../packages/csp-paxos/dist/cli/csp-paxos.js', import.meta.url));
const GEN = /^generate Instance\[(.*?)\] in seq (\d+) at (\d+)$/;
const COM = /^commit Instance\[(.*?)\] in seq (\d+) at (\d+)$/;
const dirs: string[] = [];
const children = new Set<ReturnType<typeof spawn>>();

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function cli(args: string[], deadlineMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(p);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), deadlineMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      children.delete(p);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The instance logs, each with the base its node cut it at (snapshot<i>.json; 0 when never cut). */
function commitLogs(dir: string, n: number): CommitLog[] {
  return Array.from({ length: n }, (_, node) => {
    const log: CommitLog = { node, generated: [], committed: [], base: readLogBase(logBasePath(dir, node)).base };
    for (const line of readFileSync(join(dir, `instancelog${node}.log`), 'utf8').split('\n')) {
      if (line === '') continue;
      const c = COM.exec(line);
      const g = GEN.exec(line);
      if (c) log.committed.push({ key: c[1]!, slot: Number(c[2]) });
      else if (g) log.generated.push({ key: g[1]!, slot: Number(g[2]) });
      else throw new Error(`node ${node}: line matches neither regex: ${line}`);
    }
    return log;
  });
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'csp-paxos-e2e-'));
  dirs.push(d);
  return d;
}

describe('csp-paxos with 5 real processes', () => {
  it('run-and-check: low pressure (-o 1 -l 100 -t 5) and high pressure (-l 10000) both pass', async () => {
    const all = await freePorts(10);
    const ports = all.slice(0, 5);
    const dir = await tempDir();
    const r = await cli(['run-and-check', '--ports', ports.join(','), '--peer-ports', all.slice(5).join(','), '--log-dir', dir], 150_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l === 'pass')).toHaveLength(4);
    expect(lines).toContain('Check on low pressure');
    expect(lines).toContain('Check on high pressure');
    expect(lines.filter((l) => /^node \d commits [1-9]\d* times$/.test(l))).toHaveLength(10);
    for (const scenario of ['low', 'high']) {
      // A fast high-pressure run passes --compact-every (262,144 slots) and cuts its logs: the
      // harness checker then starts each node's log at its base.
      const res = checkLogPrefix(commitLogs(join(dir, scenario), 5));
      expect(res.ok, JSON.stringify(res)).toBe(true);
    }
  }, 170_000);

  it('fault run: leader killed and restarted, a minority partitioned, a node paused; check passes', async () => {
    const all = await freePorts(10);
    const ports = all.slice(0, 5);
    const dir = await tempDir();
    const r = await cli(
      ['run', '--ports', ports.join(','), '--peer-ports', all.slice(5).join(','), '--log-dir', dir, '-o', '1', '-l', '500', '-t', '9', '--kill', 'leader@1500:3500', '--partition', '0,1,2|3,4@4500:6500', '--pause', '2@7000:7600'],
      120_000,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/kill \d/);
    expect(r.stderr).toMatch(/restart \d/);
    expect(r.stderr).toMatch(/partition 0,1,2\|3,4/);
    expect(r.stderr).toMatch(/heal/);
    const check = await cli(['check', '--log-dir', dir], 30_000);
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout.split('\n').filter((l) => l === 'pass')).toHaveLength(2);
    const res = checkLogPrefix(commitLogs(dir, 5));
    expect(res.ok, JSON.stringify(res)).toBe(true);
    for (const c of res.commits) expect(c.count).toBeGreaterThan(0);
  }, 150_000);

  it('compacted logs (cut every 4096 slots, a follower killed and catching up): check and checkLogPrefix pass; one changed commit above the bases is caught', async () => {
    const all = await freePorts(10);
    const dir = await tempDir();
    await runCluster({
      nodes: 5,
      ports: all.slice(0, 5),
      peerPorts: all.slice(5),
      logDir: dir,
      timeoutArg: '1',
      interval: 10_000,
      seconds: 6,
      cliPath: CLI,
      faults: parseFaults({ kill: '4@1500:3000' }, 5),
      extraNodeArgs: ['--compact-every', '4096'],
    });
    const check = await cli(['check', '--log-dir', dir], 30_000);
    expect(check.code, check.stdout).toBe(0);
    const logs = commitLogs(dir, 5);
    // The point of the case: logs cut below a base, generate lines below it gone.
    expect(logs.filter((l) => (l.base ?? 0) > 0).length).toBeGreaterThan(0);
    const res = checkLogPrefix(logs);
    expect(res.ok, JSON.stringify({ ...res, commits: res.commits })).toBe(true);
    // The independent check still bites on such logs: change one commit above every base.
    const top = Math.max(...logs.map((l) => l.base ?? 0));
    const holders = (slot: number): number => logs.filter((l) => l.committed.some((x) => x.slot === slot)).length;
    const victim = logs.find((l) => l.committed.some((x) => x.slot >= top && holders(x.slot) >= 2))!;
    const c = victim.committed.find((x) => x.slot >= top && holders(x.slot) >= 2)!;
    const file = join(dir, `instancelog${victim.node}.log`);
    writeFileSync(file, readFileSync(file, 'utf8').replace(`commit Instance[${c.key}] in seq ${c.slot} `, `commit Instance[forged] in seq ${c.slot} `));
    const bad = checkLogPrefix(commitLogs(dir, 5));
    expect(bad.ok).toBe(false);
    expect(bad.rule3.join('\n')).toContain(`at position ${c.slot}`);
  }, 120_000);

  it('check exits non-zero and names the violation', async () => {
    const dir = await tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'instancelog0.log'), 'generate Instance[a] in seq 0 at 1\ncommit Instance[a] in seq 0 at 2\n');
    writeFileSync(join(dir, 'instancelog1.log'), 'commit Instance[b] in seq 0 at 2\n');
    const r = await cli(['check', '--nodes', '2', '--log-dir', dir], 30_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('commit b has never been proposed!');
    expect(r.stdout).toContain('node 0 has different commit with node 1 at position 0');
  }, 60_000);
});
