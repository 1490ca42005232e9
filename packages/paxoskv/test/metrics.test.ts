// Issue 17 item 9: Prometheus metrics on --metrics-addr (prom-client): ops by kind, refusals by
// code, Batch sizes, fsyncs, recovering and incarnation gauges, one registry per acceptor.
import { afterEach, describe, expect, it } from 'vitest';
import { type AcceptorServer, PaxosKvClient, startAcceptor } from '../src/index.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const scrape = async (addr: string): Promise<string> => {
  const res = await fetch(`http://${addr}/metrics`, { signal: AbortSignal.timeout(20_000) });
  expect(res.status).toBe(200);
  return res.text();
};
/** The value of `name` whose labels include `labels` (any order), NaN when absent. */
const value = (text: string, name: string, labels: Record<string, string> = {}): number => {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return NaN;
};

describe('Prometheus metrics (issue 17 item 9)', () => {
  it('counts ops, refusals and fsyncs per acceptor; 404 off /metrics', async () => {
    const servers: AcceptorServer[] = [];
    for (let i = 0; i < 3; i++) servers.push(await startAcceptor({ id: i, address: '127.0.0.1:0', data: { memory: true }, metricsAddress: '127.0.0.1:0' }));
    cleanups.push(async () => void (await Promise.allSettled(servers.map((s) => s.close()))));
    const client = new PaxosKvClient({ acceptors: servers.map((s) => s.address), deadlineMs: 30_000, phaseTimeoutMs: 10_000 });
    cleanups.push(() => client.close());
    await client.set('m', 'x');
    await client.set('m', 'y');
    const wrong = new PaxosKvClient({ acceptors: servers.map((s) => s.address), clusterId: 'other', deadlineMs: 30_000 });
    cleanups.push(() => wrong.close());
    await expect(wrong.get('m')).rejects.toThrow(/cluster/);

    const text = await scrape(servers[0]!.metricsAddress!);
    expect(value(text, 'paxoskv_ops_total', { acceptor: '0', kind: 'ACCEPT' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'paxoskv_ops_total', { acceptor: '0', kind: 'LATEST' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'paxoskv_refused_total', { acceptor: '0', method: 'Batch', code: 'ECLUSTERVIEW' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'paxoskv_batch_ops_count', { acceptor: '0' })).toBeGreaterThanOrEqual(1);
    expect(value(text, 'paxoskv_fsyncs', { acceptor: '0' })).toBeGreaterThanOrEqual(1);
    // every synced batch is one observation of the fsync histogram, in seconds
    expect(text).toMatch(/^# TYPE paxoskv_fsync_seconds histogram$/m);
    expect(value(text, 'paxoskv_fsync_seconds_count', { acceptor: '0' })).toBe(value(text, 'paxoskv_fsyncs', { acceptor: '0' }));
    expect(value(text, 'paxoskv_fsync_seconds_bucket', { acceptor: '0', le: '+Inf' })).toBe(value(text, 'paxoskv_fsyncs', { acceptor: '0' }));
    // promtool rejects a gauge named *_total (prom-client's default active-handles gauges)
    expect(text).not.toMatch(/^# TYPE \S+_total gauge$/m);
    expect(value(text, 'paxoskv_recovering', { acceptor: '0' })).toBe(0);
    expect(text).toMatch(/process_cpu_seconds_total/);
    // each acceptor its own registry
    expect(value(await scrape(servers[1]!.metricsAddress!), 'paxoskv_ops_total', { acceptor: '1', kind: 'ACCEPT' })).toBeGreaterThanOrEqual(1);
    const miss = await fetch(`http://${servers[0]!.metricsAddress}/other`, { signal: AbortSignal.timeout(20_000) });
    expect(miss.status).toBe(404);
  }, 60_000);
});
