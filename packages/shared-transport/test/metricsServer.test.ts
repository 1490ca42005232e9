import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsAddressError, SECONDS_BUCKETS, collectProcessMetrics, parseMetricsAddress, serveMetrics, type MetricsServer } from '../src/index.js';

const open: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe('parseMetricsAddress', () => {
  it('takes host:port, :port and a bare port (127.0.0.1 by default)', () => {
    expect(parseMetricsAddress('0.0.0.0:9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parseMetricsAddress(':9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseMetricsAddress('9100')).toEqual({ host: '127.0.0.1', port: 9100 });
    expect(parseMetricsAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
  });
  it('refuses what is not an address with a named error', () => {
    for (const bad of ['', 'host:', 'host:abc', 'host:70000', 'host:-1', 'a:1.5']) expect(() => parseMetricsAddress(bad), bad).toThrow(MetricsAddressError);
  });
});

describe('serveMetrics', () => {
  it('answers GET /metrics with the registry in the Prometheus text format, 404 for anything else', async () => {
    const registry = new Registry();
    const c = new Counter({ name: 'demo_things_total', help: 'things', registers: [registry] });
    c.inc(3);
    const s = await serveMetrics('127.0.0.1:0', registry);
    open.push(s);
    expect(s.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const res = await fetch(`http://${s.address}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toMatch(/^demo_things_total 3$/m);
    expect((await fetch(`http://${s.address}/`)).status).toBe(404);
    expect((await fetch(`http://${s.address}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('a taken port is one named error, not a crash', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(serveMetrics(`127.0.0.1:${port}`, new Registry())).rejects.toThrow(/metrics address 127\.0\.0\.1:\d+ is in use/);
      await expect(serveMetrics(`127.0.0.1:${port}`, new Registry())).rejects.toBeInstanceOf(MetricsAddressError);
    } finally {
      blocker.close();
    }
  });
});

describe('collectProcessMetrics', () => {
  it('has the process families and no gauge named *_total (promtool rejects those)', async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    new Histogram({ name: 'demo_fsync_seconds', help: 'fsync latency', buckets: [...SECONDS_BUCKETS], registers: [registry] }).observe(0.002);
    const text = await registry.metrics();
    expect(text).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) if (m[1]!.endsWith('_total')) expect(m[2], m[1]).toBe('counter');
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error === undefined) expect(`${promtool.stdout}${promtool.stderr}`.trim()).toBe('');
  });
});
