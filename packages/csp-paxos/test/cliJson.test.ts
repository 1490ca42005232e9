// The client commands' operator surface (issue 23): --json output on propose, read and status,
// --host on every client command, and node's --log-level / --metrics-addr checked before
// anything starts (exit 2 with one Error: line).
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { localCommittee, localNodes } from './helpers/localNodes.js';

const CLI = fileURLToPath(new URL('../dist/cli/csp-paxos.js', import.meta.url));
const local = localNodes();

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('client commands --json and --host', () => {
  it('propose, read and status print JSON; status names a node that is down', async () => {
    const { ports, committee, logDir } = await localCommittee(1, 'csp-paxos-cli-json-');
    await local.start({ id: 0, committee, logDir, bootstrap: true, core: { generate: false, timeoutMs: 600, retryMs: 50, interval: 1_000_000 } });
    const p = await cli(['propose', 'json value', '-n', '1', '--ports', String(ports[0]), '--host', '127.0.0.1', '--json', '--timeout-ms', '20000']);
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toEqual({ slot: 0 });
    const r = await cli(['read', '--port', String(ports[0]), '--host', '127.0.0.1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([{ slot: 0, key: expect.any(String), data: 'json value' }]);
    // node 1 of this "2-node" status is a port nobody listens on
    const [free] = (await localCommittee(1, 'csp-paxos-cli-json-')).ports;
    const s = await cli(['status', '-n', '2', '--ports', `${ports[0]},${free}`, '--host', '127.0.0.1', '--json']);
    expect(s.code).toBe(1);
    const list = JSON.parse(s.stdout) as Array<Record<string, unknown>>;
    expect(list[0]).toMatchObject({ node: 0, port: ports[0], up: true, rank: 0, commitIndex: 1, voting: true });
    expect(list[0]).not.toHaveProperty('id');
    expect(list[1]).toMatchObject({ node: 1, port: free, up: false, error: expect.stringMatching(/ECONNREFUSED|cannot connect/) });
  }, 120_000);

  it('node refuses a bad --log-level or --metrics-addr with exit 2 before it starts', () => {
    const level = spawnSync(process.execPath, [CLI, 'node', '-i', '0', '-n', '1', '--log-level', 'loud'], { encoding: 'utf8', timeout: 60_000 });
    expect(level.status).toBe(2);
    expect(level.stderr).toMatch(/^Error: .*--log-level.*loud/);
    const addr = spawnSync(process.execPath, [CLI, 'node', '-i', '0', '-n', '1', '--metrics-addr', 'nope:x', '--log-dir', '/nonexistent-csp-dir'], { encoding: 'utf8', timeout: 60_000 });
    expect(addr.status).toBe(2);
    expect(addr.stderr).toMatch(/EMETRICSADDR/);
  }, 120_000);
});
