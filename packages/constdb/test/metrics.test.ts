// Prometheus /metrics on constdb-server (issue 23): off unless --metrics-addr is given; the
// scrape of a replicating node with an AOF is valid exposition text (a strict parser here,
// and `promtool check metrics` when installed) and carries the per-peer link state and lag,
// commands processed, connected clients and the AOF fsync latency histogram in seconds.
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, waitFor } from '@quorumkit/test-harness';
import { CLI, RawClient, startConstdb, which, type Proc } from './proc.js';

function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('timeout', () => req.destroy(new Error('metrics request timed out')));
    req.on('error', reject);
    req.end();
  });
}

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Family { type: string; help: string; samples: Sample[] }

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE_RE = new RegExp(`^(${NAME})(?:\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*",?)*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g;

/** Parses the text format (0.0.4) strictly; throws on anything malformed. */
function parseExposition(text: string): Map<string, Family> {
  const fams = new Map<string, Family>();
  const familyOf = (sample: string): Family | undefined => {
    for (const suffix of ['', '_bucket', '_sum', '_count']) {
      if (suffix && !sample.endsWith(suffix)) continue;
      const f = fams.get(sample.slice(0, sample.length - suffix.length));
      if (f && (suffix === '' || f.type === 'histogram' || f.type === 'summary')) return f;
    }
    return undefined;
  };
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m: RegExpExecArray | null;
    if ((m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line))) {
      const f = fams.get(m[1]!) ?? { type: '', help: '', samples: [] };
      if (f.help) throw new Error(`second HELP for ${m[1]}`);
      f.help = m[2]!;
      fams.set(m[1]!, f);
    } else if ((m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line))) {
      const f = fams.get(m[1]!) ?? { type: '', help: '', samples: [] };
      if (f.type) throw new Error(`second TYPE for ${m[1]}`);
      if (f.samples.length) throw new Error(`TYPE after samples for ${m[1]}`);
      f.type = m[2]!;
      fams.set(m[1]!, f);
    } else if (line.startsWith('#')) {
      continue;
    } else if ((m = SAMPLE_RE.exec(line))) {
      const f = familyOf(m[1]!);
      if (!f || !f.type) throw new Error(`sample before its TYPE: ${line}`);
      const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : m[3] === 'NaN' ? NaN : Number(m[3]);
      if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${line}`);
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? '').matchAll(LABEL_RE)) labels[l[1]!] = l[2]!;
      f.samples.push({ name: m[1]!, labels, value });
    } else {
      throw new Error(`malformed line: ${JSON.stringify(line)}`);
    }
  }
  for (const [name, f] of fams) {
    if (!f.type) throw new Error(`${name} has no TYPE`);
    if (name.endsWith('_total') && f.type !== 'counter') throw new Error(`${name} is a ${f.type} named _total`);
    if (f.type === 'counter') for (const s of f.samples) if (!(s.value >= 0)) throw new Error(`${name} is negative`);
    if (f.type === 'histogram') {
      // one series per label set (le aside): cumulative buckets, the +Inf bucket equal to _count
      const key = (s: Sample) => JSON.stringify(Object.entries(s.labels).filter(([k]) => k !== 'le').sort());
      const series = new Map<string, { prev: number; prevLe: number }>();
      for (const b of f.samples.filter((s) => s.name === `${name}_bucket`)) {
        const st = series.get(key(b)) ?? { prev: -1, prevLe: -Infinity };
        const le = b.labels.le === '+Inf' ? Infinity : Number(b.labels.le);
        if (!(le > st.prevLe) || b.value < st.prev) throw new Error(`${name}: buckets not cumulative at le=${b.labels.le}`);
        series.set(key(b), { prev: b.value, prevLe: le });
      }
      if (series.size === 0) throw new Error(`${name}: a histogram without buckets`);
      for (const [k, st] of series) {
        const count = f.samples.find((s) => s.name === `${name}_count` && key(s) === k);
        if (st.prevLe !== Infinity || !count || count.value !== st.prev) throw new Error(`${name}: +Inf bucket and _count differ`);
      }
    }
  }
  return fams;
}

function value(fams: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  const f = fams.get(name) ?? fams.get(base);
  return f?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('constdb-server /metrics', () => {
  const nodes: Proc[] = [];
  let metricsPort = 0;
  beforeAll(async () => {
    const [p1, p2, mp] = await freePorts(3);
    metricsPort = mp!;
    nodes.push(await startConstdb(p1!, ['--node-id', '1', '--appendonly', 'yes', '--appendfsync', 'always', '--metrics-addr', `127.0.0.1:${mp}`]));
    nodes.push(await startConstdb(p2!, ['--node-id', '2']));
  }, 60_000);
  afterAll(async () => {
    for (const n of nodes) await n.stop('SIGKILL');
  });

  it('a replicating node with an AOF: valid exposition with link state, lag, commands, clients, fsync histogram', async () => {
    const c = await RawClient.open(nodes[0]!.port);
    try {
      expect(await c.call('MEET', `127.0.0.1:${nodes[1]!.port}`)).toBe(1n);
      for (let i = 0; i < 20; i++) await c.call('SET', `k${i}`, 'v');
      let fams = new Map<string, Family>();
      let text = '';
      await waitFor(async () => {
        const r = await get(metricsPort, '/metrics');
        expect(r.status).toBe(200);
        expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
        text = r.body;
        fams = parseExposition(text);
        // every op acknowledged by the peer: lag 0 once its acks arrived
        return value(fams, 'constdb_repl_link_up', { peer: '2' }) === 1 && value(fams, 'constdb_repl_lag_ops', { peer: '2' }) === 0;
      }, { timeoutMs: 30_000, what: 'the link to node 2 is up and caught up' });
      expect(value(fams, 'constdb_commands_processed_total', { node: '1' })).toBeGreaterThanOrEqual(21);
      expect(value(fams, 'constdb_connected_clients')).toBeGreaterThanOrEqual(1);
      expect(value(fams, 'constdb_repl_link_state', { peer: '2', state: 'online' })).toBe(1);
      expect(value(fams, 'constdb_repl_link_state', { peer: '2', state: 'down' })).toBe(0);
      expect(value(fams, 'constdb_repl_last_ack_age_seconds', { peer: '2' })).toBeGreaterThanOrEqual(0);
      expect(value(fams, 'constdb_repl_peers')).toBe(1);
      expect(value(fams, 'constdb_aof_fsync_duration_seconds_count')).toBeGreaterThanOrEqual(20);
      expect(value(fams, 'constdb_aof_fsync_duration_seconds_sum')).toBeGreaterThan(0);
      expect(fams.get('constdb_aof_fsync_duration_seconds')?.type).toBe('histogram');
      expect(fams.get('process_cpu_seconds_total')?.type).toBe('counter');
      const promtool = which('promtool');
      if (promtool) {
        const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
        expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
        expect(r.status).toBe(0);
      } else {
        console.log('test/metrics.test.ts: promtool not installed (Debian prometheus); the format was checked by the parser here only');
      }
      expect((await get(metricsPort, '/other')).status).toBe(404);
    } finally {
      c.close();
    }
  }, 90_000);

  it('the parser refuses malformed exposition (so the check above can fail)', () => {
    expect(() => parseExposition('# TYPE a_total gauge\na_total 1\n')).toThrow(/_total/);
    expect(() => parseExposition('b 1\n')).toThrow(/before its TYPE/);
    expect(() => parseExposition('# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_count 2\nh_sum 1\n')).toThrow(/cumulative/);
    expect(() => parseExposition('# TYPE g gauge\ng{x="1} 1\n')).toThrow(/malformed/);
  });

  it('a bad --metrics-addr is one config error line, exit 1', async () => {
    const r = spawnSync(process.execPath, [CLI, '--port', '1', '--metrics-addr', 'nohost:port'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^constdb-server: invalid config: metrics_addr must be an address/);
  }, 60_000);
});
