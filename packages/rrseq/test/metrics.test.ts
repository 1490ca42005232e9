// The operator's /metrics (issue 23): fsync latency of the persist log, per-peer link state,
// and rrseq-server's --metrics-addr flag (with --metrics as its old, hidden name).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from '@quorumkit/test-harness';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RRSeq } from '../src/index.js';
import { startLocalCluster, waitUntil, type LocalCluster } from './helpers/cluster.js';

const SERVER_CLI = fileURLToPath(new URL('../dist/cli/rrseq-server.js', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'rrseq-metrics-'));
  dirs.push(d);
  return d;
};

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('server metrics', () => {
  let c: LocalCluster | undefined;
  const seqs: RRSeq[] = [];
  afterEach(async () => {
    for (const s of seqs.splice(0)) await s.close();
    await c?.stop();
    c = undefined;
  });

  it('times every durable persist-log write in rrseq_persist_fsync_seconds and shows each peer link up, then down', async () => {
    const d = tempDir();
    c = await startLocalCluster(3, { paths: [0, 1, 2].map((i) => join(d, `p${i}`)), fsync: true });
    // Only server 0 is given: it coordinates every allocation, so its links carry each one
    // (with all three, the name's preferred server may be another, and server 0's links idle).
    const s = new RRSeq('fsynced', 1, [c.addrs[0]!]);
    seqs.push(s);
    for (let i = 0; i < 5; i++) await s.next();
    const text = await c.servers[0]!.metrics.metrics();
    expect(text).toMatch(/^# TYPE rrseq_persist_fsync_seconds histogram$/m);
    const appends = sample(text, 'rrseq_persist_fsync_seconds_count{kind="append"}');
    const snapshots = sample(text, 'rrseq_persist_fsync_seconds_count{kind="snapshot"}');
    // Each allocation server 0 coordinated wrote its own replica durably; the first write
    // after start is a compaction (snapshot).
    expect(appends).toBeGreaterThan(0);
    expect(snapshots).toBeGreaterThan(0);
    expect(sample(text, 'rrseq_persist_fsync_seconds_bucket{le="+Inf",kind="append"}')).toBe(appends);
    expect(sample(text, 'rrseq_persist_fsync_seconds_sum{kind="append"}')).toBeGreaterThan(0);
    // Histogram counts agree with the write counter (every write with fsync is timed).
    expect(appends! + snapshots!).toBe(sample(text, 'rrseq_state_writes_total'));
    for (const peer of c.addrs.slice(1)) {
      expect(sample(text, `rrseq_peer_up{peer="${peer}"}`), peer).toBe(1);
      expect(sample(text, `rrseq_peer_calls_total{peer="${peer}"}`), peer).toBeGreaterThan(0);
    }

    // Stop server 2: the next allocations through server 0 fail on that link, which goes to 0.
    const gone = c.addrs[2]!;
    await c.servers[2]!.close();
    c.servers[2] = undefined;
    let after = '';
    const end = Date.now() + 60_000;
    for (let i = 0; ; i++) {
      await s.next();
      after = await c.servers[0]!.metrics.metrics();
      if (sample(after, `rrseq_peer_up{peer="${gone}"}`) === 0) break;
      if (Date.now() > end) throw new Error(`peer ${gone} still up after ${i} allocations:\n${after}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sample(after, `rrseq_peer_up{peer="${c.addrs[1]!}"}`)).toBe(1);
    expect(sample(after, `rrseq_peer_call_failures_total{peer="${gone}"}`)).toBeGreaterThan(0);
  }, 120_000);

  it('times nothing without fsync (the histogram stays at zero)', async () => {
    const d = tempDir();
    c = await startLocalCluster(3, { paths: [0, 1, 2].map((i) => join(d, `p${i}`)), fsync: false });
    const s = new RRSeq('unsynced', 1, c.addrs);
    seqs.push(s);
    for (let i = 0; i < 3; i++) await s.next();
    const text = await c.servers[0]!.metrics.metrics();
    expect(sample(text, 'rrseq_persist_fsync_seconds_count{kind="append"}')).toBe(0);
    expect(sample(text, 'rrseq_state_writes_total')).toBeGreaterThan(0);
  }, 120_000);
});

describe.runIf(existsSync(SERVER_CLI))('rrseq-server --metrics-addr (built CLI)', () => {
  const procs: ChildProcess[] = [];
  afterEach(() => {
    for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
  });

  /** Starts a blank server (its peers never come up: it listens and keeps recovering). */
  async function startServer(flag: string[]): Promise<{ p: ChildProcess; out: () => string }> {
    const [port, peerA, peerB] = await freePorts(3);
    const p = spawn(process.execPath, [SERVER_CLI, `127.0.0.1:${port}`, join(tempDir(), 'persist'), `127.0.0.1:${peerA}`, `127.0.0.1:${peerB}`, ...flag], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    procs.push(p);
    let out = '';
    p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    return { p, out: () => out };
  }

  async function scrape(port: number): Promise<{ status: number; type: string; body: string }> {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  }

  it('--help lists --metrics-addr and not the old name', () => {
    const r = spawnSync(process.execPath, [SERVER_CLI, '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\s+--metrics-addr <host:port>/m);
    expect(r.stdout).not.toMatch(/^\s+--metrics </m);
  });

  for (const flag of ['--metrics-addr', '--metrics']) {
    it(`${flag} serves /metrics with the fsync histogram and process metrics, which promtool accepts`, async () => {
      const [mport] = await freePorts(1);
      const { out } = await startServer([flag, `127.0.0.1:${mport}`]);
      await waitUntil(() => /^ready$/m.test(out()), 60_000, `rrseq-server ready (${out()})`);
      const m = await scrape(mport!);
      expect(m.status).toBe(200);
      expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(m.body).toMatch(/^# TYPE rrseq_persist_fsync_seconds histogram$/m);
      expect(m.body).toMatch(/^rrseq_peer_up\{peer="127\.0\.0\.1:\d+"\} 0$/m);
      expect(m.body).toMatch(/^process_cpu_seconds_total /m);
      expect(m.body).toMatch(/^rrseq_ready 0$/m);
      if (spawnSync('promtool', ['--version']).status === 0) {
        const r = spawnSync('promtool', ['check', 'metrics'], { input: m.body, encoding: 'utf8', timeout: 30_000 });
        expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
        expect(r.status).toBe(0);
      }
      expect((await fetch(`http://127.0.0.1:${mport}/other`, { signal: AbortSignal.timeout(10_000) })).status).toBe(404);
    }, 90_000);
  }

  it('a taken metrics port is one EMETRICSADDR line and exit 1', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    try {
      const port = (taken.address() as { port: number }).port;
      const { p, out } = await startServer(['--metrics-addr', `127.0.0.1:${port}`]);
      const code = await new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
      expect(code).toBe(1);
      expect(out()).toMatch(/^rrseq-server: EMETRICSADDR: metrics address 127\.0\.0\.1:\d+ is in use$/m);
    } finally {
      taken.close();
    }
  }, 90_000);

  it('a malformed metrics address is refused before anything listens', () => {
    const r = spawnSync(process.execPath, [SERVER_CLI, '127.0.0.1:1', join(tempDir(), 'persist'), '127.0.0.1:2', '127.0.0.1:3', '--metrics-addr', 'nohost:port'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^rrseq-server: EMETRICSADDR: bad metrics address "nohost:port"/m);
    expect(r.stdout).not.toMatch(/ready/);
  });
});
