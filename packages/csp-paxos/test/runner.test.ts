// `run` with real node processes (the built CLI): the run window opens once every node
// answers, so a node that starts seconds after the others still runs with them (the CI flake:
// under load the five processes came up 3.9 s apart and a 5 s run overlapped for ~1 s, with
// nothing committed); a node that dies at start is reported with its exit code and output.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '@quorumkit/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDir } from '../src/cli/checkDir.js';
import { runProblemLines } from '../src/cli/runReport.js';
import { runCluster } from '../src/server/runner.js';

const CLI = fileURLToPath(new URL('../dist/cli/csp-paxos.js', import.meta.url));
const dirs: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'csp-paxos-runner-'));
  dirs.push(d);
  return d;
}

describe('runCluster', () => {
  it('a node spawned 3 s after the others still runs the whole window with them: every node commits', async () => {
    const all = await freePorts(6);
    const logDir = tempDir();
    // 2 s of run time: with windows counted from each node's own start, nodes 0 and 1 stopped
    // before node 2 was even spawned, and node 2 (alone) never committed.
    const r = await runCluster({ nodes: 3, ports: all.slice(0, 3), peerPorts: all.slice(3), logDir, timeoutArg: '1', interval: 100, seconds: 2, cliPath: CLI, startDelaysMs: [0, 0, 3_000] });
    expect(r.problems).toEqual([]);
    const c = checkDir(logDir, 3);
    expect(c.ok, c.report).toBe(true);
    expect(c.report).not.toMatch(/commits 0 times/);
    expect(r.exits).toEqual([[0], [0], [0]]);
  }, 90_000);

  it('a node whose peer port is taken is reported with its exit code and the end of its output', async () => {
    const all = await freePorts(6);
    const taken = createServer();
    servers.push(taken);
    await new Promise<void>((resolve) => taken.listen(all[4], '127.0.0.1', () => resolve()));
    const logDir = tempDir();
    const r = await runCluster({ nodes: 3, ports: all.slice(0, 3), peerPorts: all.slice(3), logDir, timeoutArg: '1', interval: 100, seconds: 1, cliPath: CLI });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ node: 1, what: 'exited with code 2 before it was ready' });
    expect(r.problems[0]!.outTail.join('\n')).toMatch(/EADDRINUSE/);
    const lines = runProblemLines(r, logDir, checkDir(logDir, 3));
    expect(lines[0]).toBe(`node 1 exited with code 2 before it was ready (${join(logDir, 'node1.out')})`);
    expect(lines.join('\n')).toMatch(/node1\.out \| .*EADDRINUSE/);
  }, 90_000);
});
