// Prometheus /metrics on every server (issue 23, "operator surface"). Each system whose server
// CLI takes a metrics address flag is started as a 3-node cluster with metrics on, one round
// trip goes through it, and then every node's /metrics must: answer 200 with the Prometheus
// text content type; pass `promtool check metrics` (Prometheus' own linter: names, units,
// HELP/TYPE, counters ending in _total, histogram buckets) when promtool is installed; and
// carry the families an operator needs for that system (fsync latency in seconds, per-peer link
// state, a progress gauge or counter that moved with the round trip).
// A server CLI without the flag is listed in GAPS: its check runs as an expected failure.
import { spawnSync } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { freePorts, waitFor, type Cluster } from '@quorumkit/test-harness';
import { describe, expect, it } from 'vitest';
import { addr, cli, firstStdoutLines, run, SERVERS, startThree, type ServerSpec } from './systemServers.js';

/** One RESP command on 127.0.0.1:port; the simple/bulk/integer answer as text (bounded). */
function resp(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port }, () => s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    let got = '';
    const timer = setTimeout(() => done(new Error(`no answer to ${args[0]} within 10 s`)), 10_000);
    const done = (err: Error | null, v?: string): void => {
      clearTimeout(timer);
      s.destroy();
      if (err) reject(err);
      else resolve(v!);
    };
    s.on('data', (d: Buffer) => {
      got += d.toString();
      const m = /^[+:](.*)\r\n|^\$-1\r\n|^\$\d+\r\n(.*)\r\n|^-(.*)\r\n/.exec(got);
      if (m) done(m[3] !== undefined ? new Error(m[3]) : null, m[1] ?? m[2] ?? '(nil)');
    });
    s.on('error', (e) => done(e));
  });
}

interface SystemSpec extends ServerSpec {
  /** one operation that crosses the peer links */
  roundTrip(ports: number[][], cluster: Cluster): Promise<void>;
  /** families (regexes over the exposition text) every node must have after the round trip */
  families: RegExp[];
}

const SYSTEMS: SystemSpec[] = [
  {
    ...SERVERS['certain'],
    async roundTrip(ports) {
      const x = ['-X', addr(ports[0]![1]!), '-Y', addr(ports[1]![1]!), '-Z', addr(ports[2]![1]!)];
      const ins = run(cli('certain', 'card-tool'), [...x, '-o', 'Insert', '-i', '4242', '-n', 'metrics', '-u', '7', '-b', '100']);
      expect(ins.code, ins.out).toBe(0);
    },
    families: [/_seconds_bucket\{/, /^# TYPE \S*fsync\S*_seconds histogram$/m],
  },
  {
    ...SERVERS['paxoskv'],
    async roundTrip(ports) {
      const set = run(cli('paxoskv', 'paxoskv'), ['set', 'mkey', '5', '--acceptors', ports.map((p) => addr(p[0]!)).join(',')]);
      expect(set.out).toMatch(/^written: 5;/m);
    },
    families: [/^# TYPE \S*fsync\S*_seconds histogram$/m],
  },
  {
    ...SERVERS['rrseq'],
    async roundTrip(ports, cluster) {
      await cluster.waitFor(() => [0, 1, 2].every((i) => /^serving$/m.test(cluster.output(i))), { timeoutMs: 60_000, what: 'every rrseq server to print serving' });
      // rrseq-client streams IDs until stopped: take three, then stop it
      const lines = await firstStdoutLines(cli('rrseq', 'rrseq-client'), ['mseq', '0', '10', ...ports.map((p) => addr(p[0]!))], 4, 60_000);
      expect(lines.filter((l) => /^Got: \d+$/.test(l)), lines.join('|')).toHaveLength(3);
    },
    families: [/^# TYPE \S*fsync\S*_seconds histogram$/m],
  },
  {
    ...SERVERS['constdb'],
    async roundTrip(ports) {
      // MEET makes nodes 2 and 3 replicate with node 1; a SET on node 1 reaches node 3
      for (const i of [1, 2]) expect(await resp(ports[i]![0]!, ['MEET', addr(ports[0]![0]!)])).toMatch(/^(OK|1)$/);
      expect(await resp(ports[0]![0]!, ['SET', 'mkey', 'v1'])).toBe('OK');
      await waitFor(async () => (await resp(ports[2]![0]!, ['GET', 'mkey'])) === 'v1', { timeoutMs: 60_000, intervalMs: 300, what: 'a SET on node 1 to replicate to node 3' });
    },
    families: [/^# TYPE constdb_aof_fsync_duration_seconds histogram$/m, /^constdb_repl_link_up\{/m],
  },
  {
    ...SERVERS['csp-paxos'],
    async roundTrip(ports) {
      const r = run(cli('csp-paxos', 'csp-paxos'), ['propose', 'metrics', '-n', '1', '--ports', String(ports[1]![0]), '--timeout-ms', '20000']);
      expect(r.out).toMatch(/committed in seq \d+/);
    },
    families: [/^# TYPE csp_paxos_acceptor_fsync_seconds histogram$/m, /^csp_paxos_peer_link_up\{peer=/m],
  },
];

/** The metrics address flag a server's --help declares (--metrics-addr, or rrseq's --metrics). */
function metricsFlagOf(spec: SystemSpec): string | undefined {
  const r = spawnSync(process.execPath, [spec.server.script, ...spec.server.help], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${spec.system} ${spec.server.help.join(' ')} exited ${r.status}: ${r.stderr}`);
  return /^\s+(--metrics(?:-addr)?) </m.exec(r.stdout)?.[1];
}

// What each system still lacks; the day a gap is closed its expected failure turns red and the
// entry must go.
const GAPS: Record<string, string> = {
};

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
if (!promtool) console.warn('metrics.e2e: promtool is not installed (Debian package prometheus): the exposition is checked without Prometheus\' linter');

/** Every problem promtool's linter finds in `text` (empty when it passes). */
function promtoolProblems(text: string): string[] {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  const lines = `${r.stdout}${r.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return r.status === 0 && lines.length === 0 ? [] : lines.length ? lines : [`promtool exited ${r.status}`];
}

/** The exposition's own grammar, checked without promtool: every sample belongs to a TYPEd family. */
function grammarProblems(text: string): string[] {
  const problems: string[] = [];
  const typed = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) {
      if (typed.has(t[1]!)) problems.push(`family ${t[1]} declared twice`);
      typed.set(t[1]!, t[2]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const s = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)( \d+)?$/.exec(line);
    if (!s) {
      problems.push(`not a sample line: ${line}`);
      continue;
    }
    const name = s[1]!;
    const family = [name, name.replace(/_(bucket|sum|count)$/, ''), name.replace(/_total$/, '')].find((n) => typed.has(n));
    if (!family) problems.push(`sample ${name} has no # TYPE line`);
  }
  return problems;
}

async function scrape(port: number): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

describe('Prometheus /metrics on every server', () => {
  for (const spec of SYSTEMS) {
    const flag = metricsFlagOf(spec);
    const check = spec.system in GAPS ? it.fails : it;
    check(`${spec.system}: every node serves /metrics that ${promtool ? 'promtool accepts' : 'parses'}, with the operator's families`, async () => {
      expect(flag, `${spec.system}: ${GAPS[spec.system] ?? 'no metrics flag in --help'}`).toBeDefined();
      const metricsPorts = await freePorts(3);
      const nodes = await startThree(spec, 'metrics', (i) => [flag!, addr(metricsPorts[i]!)]);
      try {
        await spec.roundTrip(nodes.ports, nodes.cluster);
        for (let i = 0; i < 3; i++) {
          const m = await scrape(metricsPorts[i]!);
          expect(m.status, `node ${i}`).toBe(200);
          expect(m.type, `node ${i} content type`).toMatch(/^text\/plain; version=0\.0\.4/);
          expect(grammarProblems(m.body), `node ${i}`).toEqual([]);
          if (promtool) expect(promtoolProblems(m.body), `node ${i}: promtool check metrics`).toEqual([]);
          for (const f of spec.families) expect(m.body, `node ${i} lacks ${f}`).toMatch(f);
        }
      } finally {
        await nodes.stop();
      }
    }, 180_000);
  }
});
