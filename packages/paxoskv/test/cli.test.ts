// The built CLI as a user runs it: cluster + set + get, and one clear line plus a non-zero
// exit for bad input (unknown flag, non-numeric version, bad address, bad value,
// unreachable acceptors).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, waitFor } from '@quorumkit/test-harness';

const CLI = fileURLToPath(new URL('../dist/cli/paxoskv.js', import.meta.url));
let cluster: ChildProcess | undefined;
let dir: string | undefined;
let acceptors = '';
let output = '';

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (flock /tmp/quorumkit-build.lock npx nx run paxoskv:build)`);
  dir = mkdtempSync(join(tmpdir(), 'paxoskv-cli-'));
  // three consecutive free ports for --base-port (cluster binds base+i)
  let base = 0;
  for (let attempt = 0; attempt < 50 && !base; attempt++) {
    const candidate = 20_000 + Math.floor(Math.random() * 40_000);
    if ((await Promise.all([0, 1, 2].map((i) => canListen(candidate + i)))).every(Boolean)) base = candidate;
  }
  if (!base) throw new Error('no 3 consecutive free ports found');
  acceptors = [0, 1, 2].map((i) => `127.0.0.1:${base + i}`).join(',');
  cluster = spawn(process.execPath, [CLI, 'cluster', '--nodes', '3', '--base-port', String(base), '--data', join(dir, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
  cluster.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  cluster.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  await waitFor(() => /cluster ready/.test(output), { timeoutMs: 60_000, what: `paxoskv cluster ready; output so far: ${output}` });
}, 90_000);

afterAll(() => {
  cluster?.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// every check spawns several CLI processes one after another: at load average 30 each start takes seconds
describe('paxoskv CLI', { timeout: 120_000 }, () => {
  it('cluster + set foo 5 + get foo', () => {
    const s = run('set', 'foo', '5', '--acceptors', acceptors);
    expect(s.stdout).toBe('written: 5; key: foo; ver: 0\n');
    expect(s.code).toBe(0);
    const g = run('get', 'foo', '--acceptors', acceptors);
    expect(g.stdout).toBe('read:    5; key: foo; ver: 0\n');
    expect(g.code).toBe(0);
    expect(run('set', 'foo', 'hello world', '--acceptors', acceptors).stdout).toBe('written: hello world; key: foo; ver: 1\n');
    expect(run('get', 'foo', '--ver', '0', '--acceptors', acceptors, '--json').stdout).toBe('{"key":"foo","ver":"0","value":"5","found":true}\n');
    const missing = run('get', 'nope', '--acceptors', acceptors);
    expect(missing).toMatchObject({ code: 1, stdout: 'not found: nope\n' });
  });

  it('explicit --ver is the seed way: the first value chosen wins', () => {
    expect(run('set', 'v', '1', '--ver', '7', '--acceptors', acceptors)).toMatchObject({ code: 0, stdout: 'written: 1; key: v; ver: 7\n' });
    expect(run('set', 'v', '2', '--ver', '7', '--acceptors', acceptors)).toMatchObject({ code: 1, stdout: 'not written: v version 7 already holds 1\n' });
  });

  it('bad input: one clear line on stderr and a non-zero exit', () => {
    const cases: [string[], RegExp][] = [
      [['get', 'foo', '--bogus'], /^Error: unknown option '--bogus'/],
      [['get', 'foo', '--ver', 'abc'], /^Error: bad version 'abc': expected a non-negative integer$/],
      [['get', 'foo', '--acceptors', 'localhost'], /^Error: bad address 'localhost': expected host:port/],
      [['get', 'foo', '--acceptors', '127.0.0.1:70000'], /^Error: bad address '127.0.0.1:70000'/],
      [['set', 'foo', '12x', '--type', 'int'], /^Error: bad value '12x': not an int64/],
      [['set', 'foo', '99999999999999999999'], /^Error: bad value '99999999999999999999': out of the int64 range/],
      [['frobnicate'], /^Error: unknown command 'frobnicate'/],
    ];
    for (const [args, re] of cases) {
      const r = run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr.trim(), args.join(' ')).toMatch(re);
    }
  });

  it('a serve that cannot listen or whose data dir is in use says so in one line', () => {
    const first = acceptors.split(',')[0]!;
    const taken = run('serve', '--id', '0', '--listen', first, '--data', join(dir!, 'other'));
    expect(taken.code).toBe(5);
    expect(taken.stderr.trim().split('\n')).toHaveLength(1);
    expect(taken.stderr).toMatch(`Error: cannot listen on ${first}: address already in use`);
    const locked = run('serve', '--id', '0', '--listen', '127.0.0.1:0', '--data', join(dir!, 'data', 'acceptor0'));
    expect(locked.code).toBe(5);
    expect(locked.stderr.trim().split('\n')).toHaveLength(1);
    expect(locked.stderr).toMatch(/is locked by another process/);
  });

  it('a partial --acceptors list or another cluster id is refused: exit 6, nothing written (issue 17 item 2)', () => {
    const [a0, a1] = acceptors.split(',');
    const x = run('set', 'sb', 'X', '--acceptors', a0!);
    expect(x.code).toBe(6);
    expect(x.stderr.trim().split('\n')).toHaveLength(1);
    expect(x.stderr).toMatch(/counts its quorum over 1 acceptors, cluster paxoskv has 3 acceptors/);
    expect(run('set', 'sb', 'Y', '--acceptors', a1!).code).toBe(6);
    const other = run('get', 'sb', '--cluster-id', 'elsewhere', '--acceptors', acceptors);
    expect(other.code).toBe(6);
    expect(other.stderr).toMatch(/cluster elsewhere, this acceptor belongs to cluster paxoskv/);
    expect(run('get', 'sb', '--acceptors', acceptors)).toMatchObject({ code: 1, stdout: 'not found: sb\n' });
  });

  it('unreachable acceptors: a clear error naming them, exit 3', async () => {
    const ports = await freePorts(3);
    const r = run('get', 'foo', '--timeout-ms', '800', '--acceptors', ports.map((p) => `127.0.0.1:${p}`).join(','));
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^Error: latest foo: no quorum of 2\/3 acceptors reachable within 800 ms/);
    const w = run('set', 'foo', '1', '--ver', '0', '--timeout-ms', '800', '--acceptors', ports.map((p) => `127.0.0.1:${p}`).join(','));
    expect(w.code).toBe(3);
    expect(w.stderr).toMatch(/no quorum reachable/);
  });
});

describe('serve --log-level (issue 23)', () => {
  async function serveLog(...extra: string[]): Promise<string> {
    const [port] = await freePorts(1);
    let out = '';
    let err = '';
    const data = mkdtempSync(join(dir!, 'log-'));
    const p = spawn(process.execPath, [CLI, 'serve', '--id', '0', '--members', '1', '--listen', `127.0.0.1:${port}`, '--data', data, '--bootstrap', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      await waitFor(() => /listening on/.test(out), { timeoutMs: 60_000, what: `listening line; output so far: ${out}${err}` });
      // pino writes to stderr asynchronously: give the info lines a bounded moment to arrive
      await waitFor(() => extra.includes('warn') || /acceptor listening/.test(err), { timeoutMs: 20_000, what: `info log; stderr so far: ${err}` });
    } finally {
      p.kill('SIGKILL');
    }
    return err;
  }

  it('info by default; --log-level warn leaves the info lines out; a bad level is a usage error', async () => {
    expect(await serveLog()).toMatch(/"msg":"acceptor listening"/);
    expect(await serveLog('--log-level', 'warn')).not.toMatch(/acceptor listening/);
    const bad = run('serve', '--log-level', 'loud');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/'--log-level <level>' argument 'loud' is invalid/);
    expect(run('cluster', '--log-level', 'loud').code).toBe(2);
  }, 120_000);
});

describe('serve --metrics-addr (issue 17 item 9)', () => {
  it('serves Prometheus text on GET /metrics and says where', async () => {
    const [grpcPort, metricsPort] = await freePorts(2);
    let out = '';
    const p = spawn(process.execPath, [CLI, 'serve', '--id', '0', '--members', '1', '--listen', `127.0.0.1:${grpcPort}`, '--data', join(dir!, 'm0'), '--bootstrap', '--metrics-addr', `127.0.0.1:${metricsPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      await waitFor(() => /metrics on http:\/\//.test(out), { timeoutMs: 60_000, what: `metrics line; output so far: ${out}` });
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(20_000) })).text();
      expect(text).toMatch(/# TYPE paxoskv_ops_total counter/);
      expect(text).toMatch(/paxoskv_recovering\{acceptor="0"\} 0/);
      expect(run('serve', '--metrics-addr', 'nope').stderr).toMatch(/bad address 'nope'/);
    } finally {
      p.kill('SIGKILL');
    }
  }, 90_000);
});
