// constdb bench: redis-benchmark against redis-server and constdb in the same run (ratio),
// 3 replicating nodes, replication lag, full resync time. Writes bench-results/constdb.json.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const here = dirname(fileURLToPath(import.meta.url));
// BENCH_CONSTDB_CLI: another build of constdb-server (an A/B against the current one)
const CLI = process.env.BENCH_CONSTDB_CLI ? resolve(process.env.BENCH_CONSTDB_CLI) : resolve(here, '../cli/constdb-server.js');
const ROOT = resolve(here, '../../../..');
const N = Number(process.env.BENCH_N ?? 200_000);
const RESYNC_KEYS = Number(process.env.BENCH_RESYNC_KEYS ?? 1_000_000);
const TESTS = ['SET', 'GET', 'INCR', 'SADD', 'HSET', 'LPUSH', 'ZADD'];
/** redis-benchmark -t names of TESTS */
const TEST_LIST = TESTS.map((t) => t.toLowerCase()).join(',');

function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

async function start(cmd: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const deadline = Date.now() + 30_000;
  while (!ready.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${cmd} did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

async function startConstdb(port: number, id: number, extra: string[] = []): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'constdb-bench-'));
  return start(process.execPath, [CLI, '--node-id', String(id), '--port', String(port), '--work-dir', dir, '--log-level', 'warn', ...extra], /ready on/);
}

function benchmark(tool: string, port: number, pipeline: number, tests = TEST_LIST, n = N): Record<string, number> {
  const r = spawnSync(tool, ['-p', String(port), '-t', tests, '-n', String(n), '-c', '50', '-P', String(pipeline), '--csv'], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  const out: Record<string, number> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^"([A-Z]+)[^"]*","([\d.]+)"/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function lagMs(portA: number, portB: number, samples = 500): Promise<{ p50: number; p99: number }> {
  const a = new Redis({ port: portA, lazyConnect: true });
  const b = new Redis({ port: portB, lazyConnect: true });
  await a.connect();
  await b.connect();
  const lags: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await a.set('lag', String(i));
    const deadline = Date.now() + 5000;
    while ((await b.get('lag')) !== String(i) && Date.now() < deadline);
    lags.push(performance.now() - t0);
  }
  a.disconnect();
  b.disconnect();
  return { p50: pct(lags, 50), p99: pct(lags, 99) };
}

/** Waits until every key:<i> is there (the probe is cheap: EXISTS of a sample, then DBSIZE once). */
async function waitDbsize(port: number, want: number, timeoutMs: number): Promise<void> {
  const c = new Redis({ port, lazyConnect: true });
  await c.connect();
  const deadline = Date.now() + timeoutMs;
  const sample = Array.from({ length: 64 }, (_, i) => `key:${Math.floor(((i + 1) * want) / 64) - 1}`);
  while ((await c.exists(...sample)) < sample.length || (await c.dbsize()) < want) {
    if (Date.now() > deadline) throw new Error('resync did not finish');
    await new Promise((r) => setTimeout(r, 20));
  }
  c.disconnect();
}

const STALL_KEYS = Number(process.env.BENCH_STALL_KEYS ?? 500_000);

async function fill(port: number, keys: number): Promise<void> {
  const c = new Redis({ port, lazyConnect: true });
  await c.connect();
  for (let i = 0; i < keys; i += 10_000) {
    const p = c.pipeline();
    for (let j = i; j < Math.min(keys, i + 10_000); j += 100) {
      const kv: string[] = [];
      for (let k = j; k < Math.min(keys, j + 100); k++) kv.push(`key:${k}`, `value:${k}`);
      p.mset(...kv);
    }
    await p.exec();
  }
  c.disconnect();
}

/** Longest PING round trip on `port` while `work` runs (a client waiting behind the node's event loop). */
async function longestPing(port: number, work: () => Promise<void>): Promise<{ maxMs: number; pings: number; p99Ms: number; over50: number }> {
  const c = new Redis({ port, lazyConnect: true });
  await c.connect();
  let stop = false;
  const times: number[] = [];
  const loop = (async () => {
    while (!stop) {
      const t = performance.now();
      await c.ping();
      times.push(performance.now() - t);
    }
  })();
  await work();
  stop = true;
  await loop;
  c.disconnect();
  // the longest alone is one scheduling accident on a loaded machine: p99 and the count above
  // the 50 ms goal say how often clients wait
  return { maxMs: times.reduce((m, t) => (t > m ? t : m), 0), pings: times.length, p99Ms: pct(times, 99), over50: times.filter((t) => t > 50).length };
}

/** Issue 20 item 12: how long a client waits while a big snapshot is written and a full sync is served. */
async function stallBench(): Promise<Record<string, unknown>> {
  const [pa, pb] = [await freePort(), await freePort()];
  const a = await startConstdb(pa, 1, ['--snapshot-interval', '0', ...(process.env.BENCH_AE_OFF ? ['--anti-entropy-interval-ms', '0'] : [])]);
  await fill(pa, STALL_KEYS);
  const c = new Redis({ port: pa, lazyConnect: true });
  await c.connect();
  const save = await longestPing(pa, async () => {
    await c.call('SAVE');
  });
  const b = await startConstdb(pb, 2, ['--snapshot-interval', '0']);
  const sync = await longestPing(pa, async () => {
    await c.call('MEET', `127.0.0.1:${pb}`);
    await waitDbsize(pb, STALL_KEYS, 600_000);
  });
  c.disconnect();
  a.kill('SIGKILL');
  b.kill('SIGKILL');
  const out = {
    keys: STALL_KEYS, saveLongestPingMs: Number(save.maxMs.toFixed(1)), savePings: save.pings,
    fullSyncSourceLongestPingMs: Number(sync.maxMs.toFixed(1)), fullSyncPings: sync.pings,
    fullSyncP99PingMs: Number(sync.p99Ms.toFixed(1)), fullSyncPingsOver50Ms: sync.over50,
  };
  console.log(`${STALL_KEYS} keys: longest PING during SAVE ${out.saveLongestPingMs} ms (${save.pings} pings), on the source during a full sync ${out.fullSyncSourceLongestPingMs} ms (${sync.pings} pings, p99 ${out.fullSyncP99PingMs} ms, ${sync.over50} above 50 ms)`);
  return out;
}

/** 3 replicating nodes: redis-benchmark -P 1 on node 1 (the others receive every op), then the replication lag. */
async function threeNodeBench(tool: string): Promise<{ p1: Record<string, number>; lagMs: { p50: number; p99: number } }> {
  const ports = [await freePort(), await freePort(), await freePort()];
  const kids = await Promise.all(ports.map((p, i) => startConstdb(p, i + 1)));
  const c = new Redis({ port: ports[0]!, lazyConnect: true });
  await c.connect();
  await c.call('MEET', `127.0.0.1:${ports[1]}`);
  await c.call('MEET', `127.0.0.1:${ports[2]}`);
  c.disconnect();
  const r = benchmark(tool, ports[0]!, 1, TEST_LIST);
  const lag = await lagMs(ports[0]!, ports[1]!);
  kids.forEach((k) => k.kill('SIGKILL'));
  console.log('3 replicating nodes, -P 1 on node 1:', r);
  console.log(`replication lag (SET on node 1 until GET on node 2 sees it): p50 ${lag.p50.toFixed(2)} ms, p99 ${lag.p99.toFixed(2)} ms`);
  return { p1: r, lagMs: lag };
}

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'stall') {
    console.log(JSON.stringify(await stallBench()));
    process.exit(0);
  }
  const tool = which('redis-benchmark');
  const redisServer = which('redis-server');
  if (process.env.BENCH_ONLY === 'three' && tool) {
    // an A/B of the 3-node figures (BENCH_CONSTDB_CLI picks the build): nothing written
    console.log(JSON.stringify({ cli: CLI, ...(await threeNodeBench(tool)) }));
    process.exit(0);
  }
  const result: Record<string, unknown> = { workload: `redis-benchmark -t ${TEST_LIST} -n ${N} -c 50`, date: new Date().toISOString() };
  if (!tool) {
    console.log('redis-benchmark not installed (Debian package redis-tools): nothing to measure');
    result.skipped = 'redis-benchmark not installed';
  } else {
    const rows: Array<Record<string, string | number>> = [];
    // BENCH_P: the pipelines to run (an A/B may run one)
    for (const P of (process.env.BENCH_P ?? '1,16').split(',').map(Number)) {
      let redis: Record<string, number> = {};
      if (redisServer) {
        const port = await freePort();
        const child = await start(redisServer, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()], /Ready to accept/);
        benchmark(tool, port, P, TEST_LIST, 20_000); // warm-up, same for both
        redis = benchmark(tool, port, P);
        child.kill('SIGKILL');
      }
      const port = await freePort();
      const child = await startConstdb(port, 1);
      benchmark(tool, port, P, TEST_LIST, 20_000); // warm-up (JIT), same for both
      const constdb = benchmark(tool, port, P);
      child.kill('SIGKILL');
      for (const t of TESTS) {
        const ratio = redis[t] ? constdb[t]! / redis[t]! : NaN;
        rows.push({ test: t, pipeline: P, constdb: Math.round(constdb[t] ?? 0), redis: Math.round(redis[t] ?? 0), ratio: Number(ratio.toFixed(2)) });
      }
    }
    console.log(`\nsingle node, ${result.workload}, redis-server without persistence, constdb with snapshots only`);
    console.table(rows);
    result.singleNode = rows;
    if (process.env.BENCH_ONLY === 'single') {
      // an A/B of one build against another: the single-node table only, nothing written
      console.log(JSON.stringify({ cli: CLI, rows }));
      process.exit(0);
    }

    // AOF everysec (durability on)
    {
      const port = await freePort();
      const child = await startConstdb(port, 1, ['--appendonly', 'yes', '--appendfsync', 'everysec']);
      const r1 = benchmark(tool, port, 1, 'set');
      const r16 = benchmark(tool, port, 16, 'set');
      child.kill('SIGKILL');
      result.aofEverysec = { setP1: r1.SET, setP16: r16.SET };
      console.log(`constdb appendonly everysec: SET -P 1 ${Math.round(r1.SET ?? 0)}/s, -P 16 ${Math.round(r16.SET ?? 0)}/s`);
    }

    // 3 replicating nodes: load on node 1, the others receive every op
    result.threeNodes = await threeNodeBench(tool);

    // full resync of RESYNC_KEYS keys
    {
      const [pa, pb] = [await freePort(), await freePort()];
      const a = await startConstdb(pa, 1);
      const b = await startConstdb(pb, 2);
      const c = new Redis({ port: pa, lazyConnect: true });
      await c.connect();
      for (let i = 0; i < RESYNC_KEYS; i += 10_000) {
        const p = c.pipeline();
        for (let j = i; j < Math.min(RESYNC_KEYS, i + 10_000); j += 100) {
          const kv: string[] = [];
          for (let k = j; k < Math.min(RESYNC_KEYS, j + 100); k++) kv.push(`key:${k}`, `value:${k}`);
          p.mset(...kv);
        }
        await p.exec();
      }
      const t0 = performance.now();
      const cb = new Redis({ port: pb, lazyConnect: true });
      await cb.connect();
      await cb.call('MEET', `127.0.0.1:${pa}`);
      await waitDbsize(pb, RESYNC_KEYS, 600_000);
      const ms = performance.now() - t0;
      c.disconnect();
      cb.disconnect();
      a.kill('SIGKILL');
      b.kill('SIGKILL');
      result.fullResync = { keys: RESYNC_KEYS, ms: Math.round(ms) };
      console.log(`full resync of ${RESYNC_KEYS} keys (MEET until DBSIZE matches): ${(ms / 1000).toFixed(2)} s`);
    }
    result.stall = await stallBench();
  }
  const outDir = join(ROOT, 'bench-results');
  if (!existsSync(outDir)) mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'constdb.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${join(outDir, 'constdb.json')}`);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
