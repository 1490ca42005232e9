// rrseq CLIs, argument errors (issue 19 item 7): one clear line, no stack trace, nothing started.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, startCluster, type Cluster } from '@quorumkit/test-harness';
import { afterEach, describe, expect, it } from 'vitest';

const dist = (f: string): string => fileURLToPath(new URL(`../../packages/rrseq/dist/cli/${f}`, import.meta.url));

function run(cli: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [dist(cli), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('rrseq CLI argument errors', () => {
  it('every bin: --version prints the version; an unknown flag or a missing argument is an error line and one usage line, exit 2', async () => {
    const { version } = (await import('../../packages/rrseq/package.json', { with: { type: 'json' } })).default as { version: string };
    for (const cli of ['rrseq-server.js', 'rrseq-client.js', 'rrseq-admin.js']) {
      const v = await run(cli, ['--version']);
      expect(v.code).toBe(0);
      expect(v.stdout.trim()).toBe(version);
      for (const args of [['--no-such-flag'], []]) {
        const r = await run(cli, args);
        expect(r.code).toBe(2);
        const lines = r.stderr.trim().split('\n');
        expect(lines.length).toBeLessThanOrEqual(2);
        expect(lines[lines.length - 1]).toMatch(/^usage: rrseq-/);
        expect(r.stdout).toBe('');
      }
    }
  });

  it('rrseq-client: a name over 256 bytes and an unservable BUF_SIZE are one line each', async () => {
    for (const [name, buf, why] of [['x'.repeat(300), '1', /name must be/], ['ok', String(2 ** 41), /largest range/]] as const) {
      const r = await run('rrseq-client.js', [name, buf, '10', ':1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(why);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).not.toMatch(/ready/);
    }
  });

  it('rrseq-server: PEER1 is required, self/duplicate peers and 2 servers are refused', async () => {
    const [a, b] = await freePorts(2);
    const none = await run('rrseq-server.js', [`:${a}`, '/tmp/unused_rrseq_cli']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/missing required argument/);
    for (const [peers, why] of [[[`:${a}`, `:${b}`], /itself/], [[`:${b}`, `:${b}`], /twice/], [[`:${b}`], /2 servers/]] as const) {
      const r = await run('rrseq-server.js', [`:${a}`, '', ...peers]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(why);
      expect(r.stdout).not.toMatch(/ready/);
    }
  });
});

describe('rrseq-server stdout', () => {
  let cluster: Cluster | undefined;
  let dir = '';
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints `ready` once listening and `serving` once the replica can serve (after --init, and after a restart)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'rrseq-cli-'));
    const c = await startCluster({
      nodes: 3,
      dataDir: join(dir, 'servers'),
      spec: (i, ports) => ({
        command: process.execPath,
        args: [dist('rrseq-server.js'), ...(i === 0 ? ['--init'] : []), `:${ports[i]![0]}`, join(dir, `s${i}`), ...ports.filter((_, j) => j !== i).map((p) => `:${p[0]}`)],
      }),
      readyWhen: /^ready$/m,
    });
    cluster = c;
    await c.waitFor(() => [0, 1, 2].every((i) => /^serving$/m.test(c.output(i))), { timeoutMs: 60_000, what: 'every server to print serving' });
    await c.restart(1, 'SIGINT');
    await c.waitFor(() => (c.output(1).match(/^serving$/gm) ?? []).length >= 2, { timeoutMs: 60_000, what: 'server 1 to print serving again' });
  });
});
