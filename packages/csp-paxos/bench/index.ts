// csp-paxos bench: commits/s agreed by all 5 nodes with fsync on (the seed's high-pressure
// mode and a no-rotation mode), and leader fail-over time (SIGKILL of the leader -> the next
// commit of a value another node generated after the kill). Prints a table and writes
// <repo>/bench-results/csp-paxos.json. Real processes on 127.0.0.1, free ports.
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { etcdInstalled, startEtcd } from '@quorumkit/test-harness';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLogs, type ParsedLog } from '../src/core/check.js';
import { readLogs } from '../src/cli/checkDir.js';
import { parseFaults } from '../src/server/faults.js';
import { runCluster } from '../src/server/runner.js';

const CLI = fileURLToPath(new URL('../cli/csp-paxos.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SEED_COMMITS_PER_S = 500; // the original, 5 nodes, no fsync (PERFORMANCE.md)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** The slot after a node's last commit (its logs may be truncated below a base). */
function endSlot(l: ParsedLog): number {
  let end = l.base ?? 0;
  for (const c of l.committed) if (c.slot + 1 > end) end = c.slot + 1;
  return end;
}

/**
 * Slots every node committed, per second from the moment all nodes were up (the first commit
 * lines are truncated away in runs that compact) to the moment the slowest node committed them.
 */
function agreedRate(logs: ParsedLog[], upAtMs: number): { agreed: number; seconds: number; perS: number } {
  const agreed = Math.min(...logs.map(endSlot));
  if (agreed === 0) return { agreed: 0, seconds: 0, perS: 0 };
  const first = upAtMs;
  let reached = first;
  for (const l of logs) for (const c of l.committed) if (c.slot === agreed - 1 && c.atMs > reached) reached = c.atMs;
  const seconds = Math.max(0.001, (reached - first) / 1000);
  return { agreed, seconds: Number(seconds.toFixed(2)), perS: Math.round(agreed / seconds) };
}

/** Nodes whose acceptor log starts with a compaction snapshot (it was compacted at least once). */
function compactedNodes(dir: string): number {
  let c = 0;
  for (let i = 0; i < 5; i++) {
    const p = join(dir, `data${i}`, 'acceptor.log');
    if (!existsSync(p)) continue;
    const fd = openSync(p, 'r');
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf, 0, 64, 0);
    closeSync(fd);
    if (buf.toString('utf8', 0, n).includes('"t":"c"')) c++;
  }
  return c;
}

/** Small enough that every run compacts (the default, 262144, is reached after ~20 s at these rates). */
const COMPACT_EVERY = 16_384;

/** Lagging-follower runs: node 4 is killed and restarted under load; it must end within this many slots. */
const LAG_MAX = 50_000;

async function throughput(name: string, interval: number, lagging = false): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'csp-paxos-bench-'));
  const ports = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
  const peerPorts = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
  const faults = lagging ? parseFaults({ kill: '4@2000:4000' }, 5) : undefined;
  const run = await runCluster({ nodes: 5, ports, peerPorts, logDir: dir, timeoutArg: '1', interval, seconds: SECONDS, cliPath: CLI, faults, extraNodeArgs: ['--compact-every', String(COMPACT_EVERY)] });
  const logs = readLogs(dir, 5);
  const check = checkLogs(logs, lagging ? { lagMax: LAG_MAX } : {});
  const r = agreedRate(logs, run.startedAtMs);
  const most = Math.max(...logs.map(endSlot));
  const lag = most - endSlot(logs[4]!);
  const compacted = compactedNodes(dir);
  keepOnFailure(dir, check);
  return {
    workload: name, settings: `-o 1 -l ${interval} -t ${SECONDS}, fsync on, compaction every ${COMPACT_EVERY} slots${lagging ? ', node 4 SIGKILLed at 2 s, restarted at 4 s' : ''}`,
    agreedCommits: r.agreed, seconds: r.seconds, commitsPerS: r.perS, seedCommitsPerS: SEED_COMMITS_PER_S, ratioVsSeed: Number((r.perS / SEED_COMMITS_PER_S).toFixed(1)),
    node4FinalLagSlots: lag, compactedNodes: compacted, rulesPass: check.ok,
  };
}

/** `workers` clients each running `op` back to back for `ms`: ops/s and errors. */
async function closedLoop(workers: number, ms: number, op: () => Promise<void>): Promise<{ opsPerSec: number; errors: number }> {
  const end = Date.now() + ms;
  const started = Date.now();
  let ok = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < end) {
        try {
          await op();
          ok++;
        } catch (_e) {
          errors++;
        }
      }
    }),
  );
  return { opsPerSec: Math.round(ok / ((Date.now() - started) / 1000)), errors };
}

/** etcd (5 members like the 5 nodes here, fsync on) puts/s with 64 closed-loop clients: the anchor, in this same run. */
async function etcdAnchor(): Promise<Record<string, unknown> | undefined> {
  if (!etcdInstalled()) {
    console.log('etcd not installed: no anchor figure');
    return undefined;
  }
  const etcd = await startEtcd({ members: 5 });
  try {
    let n = 0;
    const f = await closedLoop(64, SECONDS * 1000, () => etcd.put(`k${n++ % 1000}`, 'x'.repeat(32)));
    return { workload: 'etcd put (5 members, 64 clients, fsync on)', putsPerS: f.opsPerSec, errors: f.errors };
  } finally {
    etcd.stop();
  }
}

async function failover(timeoutS: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'csp-paxos-bench-fo-'));
  const ports = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
  const peerPorts = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
  let killAtMs = 0;
  let killed = -1;
  const killAfterMs = 3000;
  await runCluster({
    nodes: 5,
    ports,
    peerPorts,
    logDir: dir,
    timeoutArg: String(timeoutS),
    interval: 1_000_000_000,
    // Room after the kill: under load the status calls that find the leader delay it by seconds.
    seconds: Math.max(10, killAfterMs / 1000 + timeoutS * 6),
    cliPath: CLI,
    faults: parseFaults({ kill: `leader@${killAfterMs}` }, 5),
    // No compaction: the measure reads the generate and commit lines around the kill, and at
    // ~60k slots/s the default period (262,144) cut them away before the run ended (the first
    // surviving line, seconds later, was measured instead).
    extraNodeArgs: ['--compact-every', '0'],
    log: (line) => {
      const m = / kill (\d+)$/.exec(line);
      if (m) {
        killAtMs = Date.now();
        killed = Number(m[1]);
      }
    },
  });
  const logs = readLogs(dir, 5);
  const check = checkLogs(logs, { nodesThatMustCommit: [0, 1, 2, 3, 4].filter((i) => i !== killed) });
  // Generated after the kill: a value another node generated before it (a round that ended
  // while the cluster settled, a tail) can commit right after the kill and would measure ~0 ms.
  const byOthers = new Set(logs.filter((l) => l.node !== killed).flatMap((l) => l.generated.filter((g) => g.atMs >= killAtMs).map((g) => g.key)));
  const next = logs
    .filter((l) => l.node !== killed)
    .flatMap((l) => l.committed)
    .filter((c) => c.atMs >= killAtMs && byOthers.has(c.key))
    .reduce((m, c) => Math.min(m, c.atMs), Infinity);
  keepOnFailure(dir, check);
  const ms = Number.isFinite(next) ? next - killAtMs : -1;
  return { workload: 'leader fail-over', settings: `-o ${timeoutS} (election timeout ${timeoutS * 1000} ms)`, killedNode: killed, failoverMs: ms, goalMs: 2 * timeoutS * 1000, meetsGoal: ms >= 0 && ms < 2 * timeoutS * 1000, rulesPass: check.ok };
}

// One fail-over sample swings 1.5-4.8 s at -o 0.5 on this kind of machine (a lucky 490 ms
// once stood in the README): each setting is measured FAILOVER_SAMPLES times (default 3) and
// the median is the figure, with every sample kept in the JSON.
const FAILOVER_SAMPLES = Math.max(1, Number(process.env.FAILOVER_SAMPLES ?? 3) || 3);

async function failoverMedian(timeoutS: number): Promise<Record<string, unknown>> {
  const samples: Record<string, unknown>[] = [];
  for (let i = 0; i < FAILOVER_SAMPLES; i++) samples.push(await failover(timeoutS));
  const ms = (r: Record<string, unknown>): number => (typeof r.failoverMs === 'number' && r.failoverMs >= 0 ? r.failoverMs : Infinity);
  const sorted = [...samples].sort((a, b) => ms(a) - ms(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const medianMs = Number.isFinite(ms(median)) ? ms(median) : -1;
  const goalMs = 2 * timeoutS * 1000;
  return {
    ...median,
    failoverMs: medianMs,
    samplesMs: samples.map((r) => r.failoverMs),
    meetsGoal: medianMs >= 0 && medianMs < goalMs,
    rulesPass: samples.every((r) => r.rulesPass === true),
  };
}

/** A failed check keeps its logs and says why (never silently). */
function keepOnFailure(dir: string, check: { ok: boolean; validity: string[]; safety: string[] }): void {
  if (check.ok) {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  console.error(`rules violated, logs kept in ${dir}:\n${[...check.validity, ...check.safety].slice(0, 10).join('\n')}`);
}

const started = Date.now();
console.log(`csp-paxos bench: 5 processes on 127.0.0.1, fsync on, ${SECONDS} s per run, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
// BENCH_ONLY=low,high,... runs a subset (for A/B runs of one workload); the JSON of a
// partial run says which runs it holds. Unset: every run (what the README tables come from).
const ONLY = new Set((process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean));
const wanted = (name: string): boolean => ONLY.size === 0 || ONLY.has(name);
const rows: Array<Record<string, unknown>> = [];
if (wanted('high')) rows.push(await throughput('seed high pressure (leader rotates every 10000 slots)', 10_000));
if (wanted('lagging')) rows.push(await throughput('seed high pressure, a follower killed and lagging, catching up', 10_000, true));
if (wanted('single')) rows.push(await throughput('one leader (no rotation)', 1_000_000_000));
if (wanted('low')) rows.push(await throughput('seed low pressure (rotates every 100 slots)', 100));
const failovers = wanted('failover') ? [await failoverMedian(1), await failoverMedian(0.5)] : [];
const etcd = !wanted('etcd')
  ? undefined
  : await etcdAnchor().catch((e: unknown) => {
      console.log(`etcd anchor failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    });
console.log('\nthroughput (slots committed by all 5 nodes)');
console.table(rows);
console.log('\nleader fail-over (SIGKILL of the leader -> first commit of a value another node generated after it)');
console.table(failovers);
const lagRow = rows.find((r) => String(r.workload).includes('lagging'));
const ratioVsEtcd = etcd && lagRow ? Number(((lagRow.commitsPerS as number) / (etcd.putsPerS as number)).toFixed(2)) : null;
if (etcd) {
  console.log('\netcd anchor (same run)');
  console.table([etcd]);
  console.log(`csp-paxos with a lagging follower vs etcd puts/s: ${ratioVsEtcd}x (goal >= 1)`);
}
const out = { system: 'csp-paxos', ...(ONLY.size > 0 ? { only: [...ONLY] } : {}), nodes: 5, fsync: 'on', node: process.version, date: new Date().toISOString(), loadAverage: loadavg().map((x) => Number(x.toFixed(2))), benchSeconds: Math.round((Date.now() - started) / 1000), throughput: rows, failover: failovers, etcd: etcd ?? null, lagMax: LAG_MAX, ratioLaggingVsEtcd: ratioVsEtcd };
// A partial run never replaces the whole run's JSON the README tables are generated from.
const outFile = ONLY.size > 0 ? join(tmpdir(), 'csp-paxos-bench-partial.json') : join(ROOT, 'bench-results', 'csp-paxos.json');
mkdirSync(join(outFile, '..'), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nwrote ${outFile}`);
