// The headline figures of each system from its bench JSON: per workload, quorumkit's
// figure next to its anchor's (measured in the same run where the bench does that), the
// goal from shared/spec/PERFORMANCE.md and a verdict. One function feeds the HTML report,
// the root README table and each package README table, so they can only show the same
// numbers. A figure the JSON lacks is shown as "not measured", never dropped or guessed.

/** A headline row. better: 'higher' | 'lower' for the ratio/goal direction. */
function row(system, workload, f) {
  const r = { system, workload, unit: f.unit ?? '', ours: f.ours ?? null, oursText: f.oursText, anchorName: f.anchorName ?? '', anchor: f.anchor ?? null, anchorText: f.anchorText,
    ratio: f.ratio ?? null, ratioText: f.ratioText, range: Boolean(f.range), better: f.better ?? 'higher', goal: f.goal ?? null, goalText: f.goalText ?? '', pass: null, note: f.note ?? '' };
  if (r.ratio === null && typeof r.ours === 'number' && typeof r.anchor === 'number' && r.anchor > 0 && !f.noRatio) r.ratio = r.ours / r.anchor;
  r.oursText ??= r.ours === null ? 'not measured' : `${num(r.ours)}${r.unit ? ` ${r.unit}` : ''}`;
  r.anchorText ??= r.anchor === null ? (r.anchorName ? `${r.anchorName}: not measured` : '') : `${r.anchorName} ${num(r.anchor)}${r.unit ? ` ${r.unit}` : ''}`.trim();
  r.ratioText ??= r.ratio === null ? '' : `${num(r.ratio, 2)}x`;
  if (f.pass !== undefined) r.pass = f.pass;
  else if (r.goal) {
    const v = r.goal.on === 'ratio' ? r.ratio : r.ours;
    if (typeof v === 'number' && Number.isFinite(v)) r.pass = r.goal.op === '>=' ? v >= r.goal.value : r.goal.op === '<=' ? v <= r.goal.value : v < r.goal.value;
  }
  return r;
}

/** 1234567 -> "1,234,567"; 0.4212 -> "0.42"; 12.5 -> "12.5". */
export function num(v, digits) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return v === null || v === undefined ? '' : String(v);
  if (digits !== undefined) return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  const abs = Math.abs(v);
  const d = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { maximumFractionDigits: d });
}

const range = (vals, fmt = num) => {
  const xs = vals.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (!xs.length) return undefined;
  const lo = Math.min(...xs); const hi = Math.max(...xs);
  return lo === hi ? fmt(lo) : `${fmt(lo)}-${fmt(hi)}`;
};

function etcdFromAnchorFile(anchorFile, clients) {
  return anchorFile?.puts?.find((p) => p.clients === clients);
}

function paxoskv(d, anchorFile) {
  const rows = Array.isArray(d.rows) ? d.rows : [];
  const find = (sys, wl, n) => rows.find((r) => String(r.system).startsWith(sys) && String(r.workload).startsWith(wl) && r.clients === n);
  const set64 = find('paxoskv', 'set', 64);
  const put64 = find('etcd', 'put', 64) ?? (() => { const a = etcdFromAnchorFile(anchorFile, 64); return a && { ops_per_s: a.puts_per_s }; })();
  const get64 = find('paxoskv', 'get', 64);
  const lget64 = find('etcd', 'linearizable get', 64);
  return [
    row('paxoskv', 'set, 64 clients, distinct keys, 3 acceptor processes, fsync', {
      unit: 'writes/s', ours: set64?.ops_per_s, oursText: set64 ? `${num(set64.ops_per_s)} writes/s (p50 ${num(set64.p50_ms)} ms)` : undefined,
      anchorName: 'etcd', anchor: put64?.ops_per_s, anchorText: put64 ? `etcd ${num(put64.ops_per_s)} puts/s` : undefined,
      goal: { on: 'ratio', op: '>=', value: 2 }, goalText: '>= 2x etcd',
    }),
    row('paxoskv', 'get of a chosen version, 64 clients', {
      unit: 'reads/s', ours: get64?.ops_per_s, anchorName: 'etcd', anchor: lget64?.ops_per_s,
      anchorText: lget64 ? `etcd ${num(lget64.ops_per_s)} linearizable gets/s` : undefined, goalText: 'one round (no figure goal)',
    }),
  ];
}

function certain(d, anchorFile) {
  const card = d.card ?? {};
  const etcd = d.etcd ?? {};
  const e64 = etcd.clients_64 ?? (() => { const a = etcdFromAnchorFile(anchorFile, 64); return a && { opsPerSec: a.puts_per_s, p50Ms: a.p50_ms }; })();
  const e1 = etcd.clients_1 ?? (() => { const a = etcdFromAnchorFile(anchorFile, 1); return a && { opsPerSec: a.puts_per_s, p50Ms: a.p50_ms }; })();
  const c64 = card.clients_64_cards_1000;
  const c1 = card.clients_1_cards_1000;
  return [
    row('certain', 'card update, 64 clients over 1000 cards, 3 card-srv processes, fsync', {
      unit: 'ops/s', ours: c64?.opsPerSec, anchorName: 'etcd', anchor: e64?.opsPerSec, anchorText: e64 ? `etcd ${num(e64.opsPerSec)} puts/s` : undefined,
      goal: { on: 'ratio', op: '>=', value: 2 }, goalText: '>= 2x etcd',
    }),
    row('certain', 'card update, 1 client, p50 latency', {
      unit: 'ms', ours: c1?.p50Ms, anchorName: 'etcd', anchor: e1?.p50Ms, better: 'lower',
      goal: { on: 'ratio', op: '<=', value: 1 }, goalText: "<= etcd's p50",
    }),
  ];
}

function rrseq(d) {
  const rows = Array.isArray(d.rows) ? d.rows : [];
  const g = d.goals ?? {};
  const at = (buf, dynamic) => rows.find((r) => r.workload === '32 clients' && r.fsync === 'on' && (dynamic ? String(r.buffer).includes('dynamic') : r.buffer === buf));
  const b0 = at(0); const b1024 = at(1024); const dyn = at(1024, true);
  const simple = (r) => (r?.simpleNsPerId ? 1e9 / r.simpleNsPerId : undefined);
  return [
    row('rrseq', 'buffer 0, 32 clients, 5 servers, fsync', {
      unit: 'IDs/s', ours: b0?.rrseqIdsPerS, anchorName: 'the original (Go, no fsync)', anchor: g.buffer0_goal_idsPerS,
      goal: { on: 'ratio', op: '>=', value: 5 }, goalText: '>= 5x the original',
    }),
    row('rrseq', 'buffer 1024, 32 clients, fsync', {
      unit: 'IDs/s', ours: b1024?.rrseqIdsPerS, anchorName: 'SimpleBufSeq', anchor: simple(b1024), ratio: b1024?.ratioVsSimple,
      goal: { on: 'ratio', op: '>=', value: 0.5 }, goalText: '>= 0.5x SimpleBufSeq',
    }),
    row('rrseq', `buffer ${dyn?.buffer ?? '1024 (dynamic range size)'}, 32 clients, fsync`, {
      unit: 'IDs/s', ours: dyn?.rrseqIdsPerS, anchorName: 'SimpleBufSeq', anchor: simple(dyn), ratio: dyn?.ratioVsSimple,
      goal: { on: 'ratio', op: '>=', value: 0.5 }, goalText: '>= 0.5x SimpleBufSeq',
    }),
    // the names goal ("within 2x of 1 name"): each names row against the paired reference, the
    // same cell on a cluster restarted from its files with no other name, measured beside them
    ...[['50000 names stored', 'one name, 50,000 other names stored'], ['after serving 50000 names', 'one name, after serving 50,000 names']].flatMap(([tag, label]) => {
      const r = rows.find((x) => x.fsync === 'on' && String(x.workload).endsWith(tag));
      const ref = rows.find((x) => x.fsync === 'on' && String(x.workload).includes('paired reference'));
      return r ? [row('rrseq', `buffer 0, 32 clients, ${label}`, {
        unit: 'IDs/s', ours: r.rrseqIdsPerS, anchorName: 'the same cell without them', anchor: ref?.rrseqIdsPerS,
        goal: { on: 'ratio', op: '>=', value: 0.5 }, goalText: 'within 2x of 1 name (>= 0.5x)',
      })] : [];
    }),
  ];
}

function constdb(d) {
  if (d.skipped) return [row('constdb', 'redis-benchmark', { note: String(d.skipped), goalText: '>= 0.75x redis-server at -P 1' })];
  const single = Array.isArray(d.singleNode) ? d.singleNode : [];
  const out = [];
  for (const [P, goal] of [[1, 0.75], [16, 0.5]]) {
    const rs = single.filter((r) => r.pipeline === P);
    const tests = rs.map((r) => r.test).join('/');
    const measured = rs.length > 0 && rs.every((r) => r.redis > 0);
    out.push(row('constdb', `redis-benchmark -P ${P} (${tests || 'no tests'}), one node`, {
      range: true, unit: 'ops/s', ours: rs.length ? Math.min(...rs.map((r) => r.constdb)) : undefined, oursText: range(rs.map((r) => r.constdb)) && `${range(rs.map((r) => r.constdb))} ops/s`,
      anchorName: 'redis-server', anchor: measured ? Math.min(...rs.map((r) => r.redis)) : undefined, anchorText: measured ? `redis-server ${range(rs.map((r) => r.redis))}` : undefined,
      ratio: measured ? Math.min(...rs.map((r) => r.ratio)) : undefined, ratioText: measured ? `${range(rs.map((r) => r.ratio), (v) => num(v, 2))}x` : undefined,
      goal: { on: 'ratio', op: '>=', value: goal }, goalText: `>= ${goal}x redis-server (each test)`,
    }));
  }
  const p1 = d.threeNodes?.p1 ?? {};
  const redisP1 = Object.fromEntries(single.filter((r) => r.pipeline === 1).map((r) => [r.test, r.redis]));
  const ratios = Object.entries(p1).filter(([t]) => redisP1[t] > 0).map(([t, v]) => v / redisP1[t]);
  out.push(row('constdb', '3 replicating nodes, -P 1 on one node', {
    range: true, unit: 'ops/s', ours: Object.keys(p1).length ? Math.min(...Object.values(p1)) : undefined, oursText: range(Object.values(p1)) && `${range(Object.values(p1))} ops/s`,
    anchorName: 'redis-server (1 node)', anchor: ratios.length ? Math.min(...Object.values(redisP1)) : undefined,
    anchorText: ratios.length ? `redis-server (1 node) ${range(Object.values(redisP1))}` : undefined,
    ratio: ratios.length ? Math.min(...ratios) : undefined, ratioText: ratios.length ? `${range(ratios, (v) => num(v, 2))}x` : undefined,
    goal: { on: 'ratio', op: '>=', value: 0.5 }, goalText: '>= 0.5x redis-server (each test)',
  }));
  const lag = d.threeNodes?.lagMs;
  out.push(row('constdb', 'replication lag, write on A until visible on B (p99)', {
    unit: 'ms', ours: lag?.p99, oursText: lag ? `p50 ${num(lag.p50)} ms, p99 ${num(lag.p99)} ms` : undefined, better: 'lower',
    goal: { on: 'ours', op: '<', value: 50 }, goalText: 'p99 < 50 ms',
  }));
  return out;
}

function cspPaxos(d) {
  const out = [];
  for (const t of Array.isArray(d.throughput) ? d.throughput : []) {
    const r = row('csp-paxos', `commits agreed by 5 nodes, ${t.workload}, fsync`, {
      unit: 'commits/s', ours: t.commitsPerS, anchorName: 'the original', anchor: t.seedCommitsPerS, ratio: t.ratioVsSeed,
      goal: { on: 'ratio', op: '>=', value: 10 }, goalText: '>= 10x the original, rules pass',
    });
    if (t.rulesPass === false) { r.pass = false; r.note = "the checker's rules failed"; }
    out.push(r);
  }
  for (const f of Array.isArray(d.failover) ? d.failover : []) {
    const r = row('csp-paxos', `leader fail-over, ${f.settings ?? ''}`.trim(), {
      unit: 'ms', ours: f.failoverMs >= 0 ? f.failoverMs : undefined, oursText: f.failoverMs < 0 ? 'no new leader seen' : undefined,
      anchorName: 'election timeout', anchor: typeof f.goalMs === 'number' ? f.goalMs / 2 : undefined, noRatio: true, better: 'lower',
      goal: { on: 'ours', op: '<', value: f.goalMs }, goalText: `< 2x timeout (${num(f.goalMs)} ms)`,
    });
    if (f.failoverMs < 0) r.pass = false;
    if (f.rulesPass === false) { r.pass = false; r.note = "the checker's rules failed"; }
    out.push(r);
  }
  return out;
}

const ADAPTERS = { paxoskv, certain, rrseq, constdb, 'csp-paxos': cspPaxos };
export const HEADLINE_SYSTEMS = Object.keys(ADAPTERS);

/** Headline rows of every system present in results ([{ project, data }]), in system order. */
export function headlineRows(results) {
  const byProject = new Map(results.map((r) => [r.project, r.data]));
  const anchorFile = byProject.get('etcd-anchor');
  return HEADLINE_SYSTEMS.filter((s) => byProject.has(s)).flatMap((s) => ADAPTERS[s](byProject.get(s) ?? {}, anchorFile));
}

/** 'pass', 'FAIL', 'not measured' (a goal, but a figure is missing) or 'no figure goal'. */
export const verdictText = (r) => (r.pass === true ? 'pass' : r.pass === false ? 'FAIL' : r.goal ? 'not measured' : 'no figure goal');
