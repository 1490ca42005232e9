// redis-benchmark's whole default test list against node 1 of a replicating 3-node mesh
// (issue 22 acceptance; the speed is measured in the bench, never asserted here).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { freePorts } from '@quorumkit/test-harness';
import { RawClient, REDIS_BENCHMARK_DEFAULT_TESTS, benchmarkCsvTests, startConstdb, which, type Proc } from './proc.js';

const redisBenchmark = which('redis-benchmark');

describe('redis-benchmark against a 3-node mesh', () => {
  const nodes: Proc[] = [];
  beforeAll(async () => {
    const ports = await freePorts(3);
    for (const [i, p] of ports.entries()) nodes.push(await startConstdb(p, ['--node-id', String(i + 1), '--replica-heartbeat-frequency', '0.2']));
    const c = await RawClient.open(ports[0]!);
    try {
      expect(await c.call('MEET', `127.0.0.1:${ports[1]}`)).toBe(1n);
      expect(await c.call('MEET', `127.0.0.1:${ports[2]}`)).toBe(1n);
    } finally {
      c.close();
    }
  }, 90_000);
  afterAll(async () => {
    for (const n of nodes) await n.stop('SIGKILL');
  });

  it('completes every default test; the other nodes receive the writes', async (ctx) => {
    if (!redisBenchmark) {
      console.log('skipped: redis-benchmark not installed (Debian package redis-tools)');
      return ctx.skip();
    }
    // the acceptance's options (default -c 50, -P 1, the default test list), fewer requests
    const r = spawnSync(redisBenchmark, ['-p', String(nodes[0]!.port), '-n', '2000', '-q', '--csv'], { encoding: 'utf8', timeout: 150_000 });
    expect(r.status).toBe(0);
    expect(r.stderr + r.stdout).not.toMatch(/error/i);
    expect(benchmarkCsvTests(r.stdout)).toEqual(REDIS_BENCHMARK_DEFAULT_TESTS);
    // replication carried the benchmark's writes: node 3 ends with node 1's list length
    const c1 = await RawClient.open(nodes[0]!.port);
    const c3 = await RawClient.open(nodes[2]!.port);
    try {
      const want = await c1.call('LLEN', 'mylist');
      expect(typeof want === 'bigint' && want > 0n).toBe(true);
      const deadline = Date.now() + 60_000;
      while ((await c3.call('LLEN', 'mylist')) !== want && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
      expect(await c3.call('LLEN', 'mylist')).toBe(want);
    } finally {
      c1.close();
      c3.close();
    }
  }, 240_000);
});
