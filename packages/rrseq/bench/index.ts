// The original's benchmark matrix: buffer 0/1/2/1024 x (one client, 256 concurrent
// consumers of one client, 32 clients), 5 servers in this process, ns per ID next to
// SimpleBufSeq (each RRSeq cell and its SimpleBufSeq pair in alternating slices, so the
// ratio compares them on the same machine state), with fsync on and off. Prints a table,
// writes bench-results/rrseq.json.
// RRSEQ_BENCH_MS sets the time per cell (default 1500, after a 500 ms warm-up:
// RRSEQ_BENCH_WARM_MS); RRSEQ_BENCH_QUICK=1 runs only the
// cells the issue-19 goals are judged on (buffer 0 and 1024, 32 clients, fsync on, and the
// names row), for profiling.
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { callUnary, createGrpcClient } from '@quorumkit/shared-transport';
import { RRSeq, RRServer, SimpleBufSeq, rrSeqProtoPath } from '../src/index.js';
import { acquireLease } from '../src/client/leaseStream.js';
import { RECONNECT_CHANNEL_OPTIONS } from '../src/server/peerClient.js';
import { encodeSnapshotFile } from '../src/storage/logFormat.js';

const CELL_MS = Number(process.env.RRSEQ_BENCH_MS ?? 1_500);
// Untimed run of the same load before each cell (RRSEQ_BENCH_WARM_MS, default 500).
const WARM_MS = Number(process.env.RRSEQ_BENCH_WARM_MS ?? 500);
const QUICK = process.env.RRSEQ_BENCH_QUICK === '1';
// RRSEQ_BENCH_BUFS=0 (a comma list) narrows the buffer sizes (none: only the names row), RRSEQ_BENCH_NAMES=0 drops the names row.
// RRSEQ_BENCH_RR_ONLY=1 skips the calibration and SimpleBufSeq cells (a profile of RRSeq alone).
const RR_ONLY = process.env.RRSEQ_BENCH_RR_ONLY === '1';
const BUFS_ENV = process.env.RRSEQ_BENCH_BUFS;
const BUFS = BUFS_ENV === 'none' ? [] : BUFS_ENV ? BUFS_ENV.split(',').map(Number) : QUICK ? [0, 1024] : [0, 1, 2, 1024];
const ALL_WORKLOADS = ['single', '256 consumers', '32 clients'] as const;
const WORKLOADS: readonly Workload[] = QUICK ? ['32 clients'] : ALL_WORKLOADS;
// Extra rows: buffer 1024 with the dynamic range size on (ranges grow up to 64x while
// callers wait for them), the Leaf-style option the original does not have.
const DYNAMIC_MAX = 65_536;
// RRSEQ_BENCH_DYNAMIC=0 leaves those rows out (a profile of the fixed-size cell alone).
const DYNAMIC = process.env.RRSEQ_BENCH_DYNAMIC !== '0';
type Workload = (typeof ALL_WORKLOADS)[number];
const SERVERS = 5;
// The issue-19 row: a buffer-0 cell with this many names stored (goal: within 2x of 1 name).
const NAMES_ROW = Number(process.env.RRSEQ_BENCH_NAMES ?? 50_000);
// PERFORMANCE.md: the original (Go, 5 servers in one process, no fsync).
const ORIGINAL = { buf1024Clients32NsPerId: 1_065, buf0Clients32IdsPerS: 1_050 };

interface Seq {
  next(): Promise<bigint>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/**
 * Persist files for a formed cluster whose servers already store `count` names (written
 * directly in the log format: creating them one allocation at a time would take minutes).
 */
async function writeFilledFiles(paths: string[], count: number): Promise<void> {
  const values = new Map<string, bigint>();
  for (let i = 0; i < count; i++) values.set(`filler-${i}`, BigInt(1 + (i % 1000)));
  for (const [i, path] of paths.entries()) {
    const state = { incarnation: `bench-${i}-${Date.now()}`, boot: 0, fence: 0, ready: true, cluster: 'bench-names', blank: false, floor: 1n, values };
    await writeFile(path, encodeSnapshotFile(state));
  }
}

/**
 * One allocation for each of `count` new names, through the servers themselves (lease
 * streams, round robin, waves of SERVE_WAVE requests per server: bigger waves ran past
 * the 4 s request deadline on the loaded machine), so every coordinator holds its names'
 * state as after real traffic, which names written straight into the persist files do
 * not give it. A failed request is asked again, up to 5 times; returns how many names
 * still failed (reported in the row, not thrown: the other rows stand).
 */
const SERVE_WAVE = 128;
async function serveNames(addrs: string[], count: number): Promise<number> {
  const handles = addrs.map((a) => acquireLease(rrSeqProtoPath(), a, RECONNECT_CHANNEL_OPTIONS));
  const signal = new AbortController().signal;
  // One signal for all the requests in flight (each adds a listener): no leak warning.
  setMaxListeners(0, signal);
  let failed = 0;
  const serveOne = async (i: number): Promise<void> => {
    for (let tries = 0; tries < 5; tries++) {
      const r = await handles[i % handles.length]!.lease.request(`served-${i}`, 1n, 60_000, signal).catch(() => ({ fromId: '0' }));
      if (r.fromId !== '0') return;
    }
    failed += 1;
  };
  try {
    const wave = SERVE_WAVE * addrs.length;
    for (let start = 0; start < count; start += wave) {
      await Promise.all(Array.from({ length: Math.min(wave, count - start) }, (_, k) => serveOne(start + k)));
    }
  } finally {
    for (const h of handles) h.release();
  }
  return failed;
}

interface Cell {
  /** Run every consumer loop for `ms`, counting the IDs taken and this process's CPU. */
  run(ms: number): Promise<{ ids: number; ns: number; cpuUs: number }>;
  close(): Promise<void>;
}

async function openCell(make: () => Seq, workload: Workload): Promise<Cell> {
  const seqs = workload === '32 clients' ? Array.from({ length: 32 }, make) : [make()];
  const loops = workload === '256 consumers' ? 256 : workload === '32 clients' ? 32 : 1;
  const consume = async (ms: number): Promise<number> => {
    let ids = 0;
    let stop = false;
    await Promise.all(
      Array.from({ length: loops }, async (_, i) => {
        const s = seqs[i % seqs.length]!;
        let n = 0;
        while (!stop) {
          await s.next();
          ids++;
          // Yield now and then so the timer below can fire when next() never waits.
          if (++n % 4096 === 0) await new Promise((r) => setImmediate(r));
        }
      }).concat([new Promise<void>((r) => setTimeout(() => ((stop = true), r()), ms))]),
    );
    return ids;
  };
  // Warm up (connections, first range, and WARM_MS of the same load so the hot code is
  // compiled: without it the first cell of a process took up to 1.5x the CPU per ID of
  // the same cell run later, 324 vs 219 us in one run).
  await Promise.all(seqs.map((s) => s.next()));
  if (WARM_MS > 0) await consume(WARM_MS);
  return {
    async run(ms) {
      // CPU time of this process (servers and clients) per ID: far less sensitive to the
      // other work on a shared machine than IDs/s, which also counts time spent descheduled.
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const ids = await consume(ms);
      const ns = Number(process.hrtime.bigint() - t0);
      const cpu = process.cpuUsage(cpu0);
      return { ids, ns, cpuUs: cpu.user + cpu.system };
    },
    async close() {
      await Promise.all(seqs.map((s) => s.close()));
    },
  };
}

async function measure(make: () => Seq, workload: Workload): Promise<{ ids: number; ns: number; cpuUs: number }> {
  const cell = await openCell(make, workload);
  const r = await cell.run(CELL_MS);
  await cell.close();
  return r;
}

// The RRSeq cell and its SimpleBufSeq pair run in alternating slices (CELL_MS in all for
// each): measured one after the other, the ratio swung 0.21-0.63x for the same code
// between back-to-back runs at load 7-15, the machine's load changing between the cells.
const PAIR_SLICES = 3;
async function measurePair(
  makeRr: () => Seq,
  makeSimple: () => Seq,
  workload: Workload,
): Promise<{ rr: { ids: number; ns: number; cpuUs: number }; simple: { ids: number; ns: number; cpuUs: number } }> {
  const rrCell = await openCell(makeRr, workload);
  const simpleCell = await openCell(makeSimple, workload);
  const rr = { ids: 0, ns: 0, cpuUs: 0 };
  const simple = { ids: 0, ns: 0, cpuUs: 0 };
  const add = (to: typeof rr, r: typeof rr): void => {
    to.ids += r.ids;
    to.ns += r.ns;
    to.cpuUs += r.cpuUs;
  };
  for (let i = 0; i < PAIR_SLICES; i++) {
    add(rr, await rrCell.run(CELL_MS / PAIR_SLICES));
    add(simple, await simpleCell.run(CELL_MS / PAIR_SLICES));
  }
  await Promise.all([rrCell.close(), simpleCell.close()]);
  return { rr, simple };
}

/** Microseconds of this process's CPU per ID (1 decimal; 3 below 10 us, the buffered cells' ~0.1-0.3). */
function cpuPerId(r: { ids: number; cpuUs: number }): number {
  const us = r.cpuUs / Math.max(1, r.ids);
  return Number(us.toFixed(us < 10 ? 3 : 1));
}

/** Calibration: plain unary calls (GRPCCurID, no disk, no quorum) with 32 outstanding, per s. */
async function unaryCallsPerS(addr: string): Promise<number> {
  const clients = Array.from({ length: 32 }, () => createGrpcClient(rrSeqProtoPath(), 'pb.RRAPI', addr));
  const call = (c: (typeof clients)[number]) => callUnary(c, 'GRPCCurID', { name: 'calibration' }, { deadlineMs: 10_000 });
  await Promise.all(clients.map(call));
  let calls = 0;
  let stop = false;
  const t0 = process.hrtime.bigint();
  const timer = setTimeout(() => (stop = true), CELL_MS);
  await Promise.all(
    clients.map(async (c) => {
      while (!stop) {
        await call(c);
        calls++;
      }
    }),
  );
  clearTimeout(timer);
  const ns = Number(process.hrtime.bigint() - t0);
  for (const c of clients) c.close();
  return Math.round((calls * 1e9) / ns);
}

function repoRoot(): string {
  let dir = process.cwd();
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

async function main(): Promise<void> {
  const rows: Array<Record<string, string | number>> = [];
  const dynamicRows: Array<Record<string, string | number>> = [];
  let unaryPerS = 0;
  let manyNames: Record<string, string | number> | undefined;
  let pairedRef: Record<string, string | number> | undefined;
  let servedNames: Record<string, string | number> | undefined;
  let seqNo = 0;
  for (const fsync of QUICK ? [true] : [true, false]) {
    const dir = await mkdtemp(join(tmpdir(), 'rrseq-bench-'));
    const ports = await Promise.all(Array.from({ length: SERVERS }, freePort));
    const addrs = ports.map((p) => `127.0.0.1:${p}`);
    const servers = await Promise.all(
      addrs.map((addr, i) => RRServer.start({ addr, path: join(dir, `serv${i}_persist`), peers: addrs.filter((_, j) => j !== i), fsync })),
    );
    const until = Date.now() + 20_000;
    // A new cluster starts by explicit init (retried while the others are still starting).
    while (!servers.every((s) => s.ready) && Date.now() < until) {
      const r = await servers[0]!.init();
      if (!r.ok) await new Promise((res) => setTimeout(res, 50));
    }
    if (fsync && !RR_ONLY) {
      unaryPerS = await unaryCallsPerS(addrs[0]!);
      process.stderr.write(`  calibration: ${unaryPerS} plain unary calls/s with 32 outstanding\n`);
    }
    for (const buf of BUFS) {
      for (const w of WORKLOADS) {
        const name = `bench${++seqNo}`;
        const pair = fsync && !RR_ONLY ? await measurePair(() => new RRSeq(name, buf, addrs), () => new SimpleBufSeq(buf), w) : undefined;
        const rr = pair?.rr ?? (await measure(() => new RRSeq(name, buf, addrs), w));
        const simple = pair?.simple;
        if (buf === 1024 && DYNAMIC) {
          const dyn = await measure(() => new RRSeq(`${name}d`, buf, addrs, { rangeSizeMax: DYNAMIC_MAX }), w);
          dynamicRows.push({ buffer: `${buf} (dynamic to ${DYNAMIC_MAX})`, workload: w, fsync: fsync ? 'on' : 'off', rrseqNsPerId: Math.round(dyn.ns / Math.max(1, dyn.ids)), rrseqIdsPerS: Math.round((dyn.ids * 1e9) / dyn.ns), cpuUsPerId: cpuPerId(dyn) });
          process.stderr.write(`  ${JSON.stringify(dynamicRows[dynamicRows.length - 1])}\n`);
        }
        const nsPerId = rr.ns / Math.max(1, rr.ids);
        const row: Record<string, string | number> = {
          buffer: buf,
          workload: w,
          fsync: fsync ? 'on' : 'off',
          rrseqNsPerId: Math.round(nsPerId),
          rrseqIdsPerS: Math.round((rr.ids * 1e9) / rr.ns),
          cpuUsPerId: cpuPerId(rr),
        };
        if (simple) {
          const sNs = simple.ns / Math.max(1, simple.ids);
          row.simpleNsPerId = Math.round(sNs);
          row.ratioVsSimple = Number((sNs / nsPerId).toFixed(3));
        }
        rows.push(row);
        process.stderr.write(`  ${JSON.stringify(row)}\n`);
      }
    }
    await Promise.all(servers.map((s) => s.close()));
    if (fsync && NAMES_ROW > 0) {
      // The same buffer-0 x 32 clients cell on a cluster whose servers store NAMES_ROW names,
      // right after its paired reference: the same cell on a cluster started the same way
      // (from written persist files) storing no other name. The 1-name cell above ran first,
      // on a fresh process; this pair runs side by side, late in the run (PERFORMANCE.md:
      // compare side by side), so its ratio isolates what the stored names cost.
      const cell = async (prefix: string, count: number, served = 0): Promise<Record<string, string | number>> => {
        const paths = addrs.map((_, i) => join(dir, `${prefix}${i}_persist`));
        await writeFilledFiles(paths, count);
        const filled = await Promise.all(addrs.map((addr, i) => RRServer.start({ addr, path: paths[i]!, peers: addrs.filter((_, j) => j !== i), fsync })));
        const end = Date.now() + 60_000;
        while (!filled.every((s) => s.ready) && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
        const t0 = Date.now();
        const notServed = served > 0 ? await serveNames(addrs, served) : 0;
        const serveS = (Date.now() - t0) / 1000;
        // One name for the 32 clients, as in the 1-name cell (measure() calls the factory
        // once per client: a name made inside it gave each client its own name, so this row
        // measured 32 names of one client each, ~1 ID per round, on every server at once).
        const name = `bench${++seqNo}`;
        const rr = await measure(() => new RRSeq(name, 0, addrs), '32 clients');
        await Promise.all(filled.map((s) => s.close()));
        const what = served > 0 ? `32 clients, after serving ${served} names` : count > 0 ? `32 clients, ${count} names stored` : '32 clients, restarted from files (paired reference)';
        const row: Record<string, string | number> = { buffer: 0, workload: what, fsync: 'on', rrseqNsPerId: Math.round(rr.ns / Math.max(1, rr.ids)), rrseqIdsPerS: Math.round((rr.ids * 1e9) / rr.ns), cpuUsPerId: cpuPerId(rr) };
        if (served > 0) {
          row.namesServedPerS = Math.round(served / Math.max(0.001, serveS));
          row.namesNotServed = notServed;
        }
        process.stderr.write(`  ${JSON.stringify(row)}\n`);
        return row;
      };
      pairedRef = await cell('ref', 0);
      manyNames = await cell('names', NAMES_ROW);
      // The same cell once the servers have allocated NAMES_ROW names themselves: each
      // coordinator then caches its share (up to namesCachedMax), which the stored row
      // above does not exercise.
      servedNames = await cell('served', 0, NAMES_ROW);
    }
    await rm(dir, { recursive: true, force: true });
  }
  rows.push(...dynamicRows);
  if (pairedRef) rows.push(pairedRef);
  if (manyNames) rows.push(manyNames);
  if (servedNames) rows.push(servedNames);
  const simpleFor = (b: number, w: string): number | undefined =>
    rows.find((r) => r.buffer === b && r.workload === w && r.fsync === 'on')?.simpleNsPerId as number | undefined;
  for (const r of rows) if (r.simpleNsPerId === undefined) {
    const s = simpleFor(typeof r.buffer === 'number' ? r.buffer : 1024, r.workload as string);
    if (s !== undefined) {
      r.simpleNsPerId = s;
      r.ratioVsSimple = Number((s / (r.rrseqNsPerId as number)).toFixed(3));
    }
  }
  console.log(`rrseq bench: ${SERVERS} servers in one process, ${CELL_MS} ms per cell, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  console.log('| buffer | workload | fsync | RRSeq ns/ID | RRSeq IDs/s | SimpleBufSeq ns/ID | IDs/s ratio RRSeq/Simple |');
  console.log('| ---: | --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.buffer} | ${r.workload} | ${r.fsync} | ${r.rrseqNsPerId} | ${r.rrseqIdsPerS} | ${r.simpleNsPerId ?? ''} | ${r.ratioVsSimple ?? ''} |`);
  }
  const b1024 = rows.find((r) => r.buffer === 1024 && r.workload === '32 clients' && r.fsync === 'on') ?? {};
  const b0 = rows.find((r) => r.buffer === 0 && r.workload === '32 clients' && r.fsync === 'on') ?? {};
  const bDyn = dynamicRows.find((r) => r.workload === '32 clients' && r.fsync === 'on');
  const goals = {
    buffer1024_32clients_fsync_ratioVsSimple: b1024.ratioVsSimple,
    buffer1024_goal: '>= 0.5x SimpleBufSeq',
    buffer1024_original_nsPerId: ORIGINAL.buf1024Clients32NsPerId,
    buffer0_32clients_fsync_idsPerS: b0.rrseqIdsPerS,
    buffer0_goal_idsPerS: ORIGINAL.buf0Clients32IdsPerS,
    buffer1024dynamic_32clients_fsync_ratioVsSimple: bDyn?.ratioVsSimple,
    buffer0_ratioVsOriginal: Number(((b0.rrseqIdsPerS as number) / ORIGINAL.buf0Clients32IdsPerS).toFixed(2)),
    buffer0_goal_ratioVsOriginal: 5,
    manyNames_idsPerS: manyNames?.rrseqIdsPerS,
    manyNames_ratioVsOneName: manyNames ? Number(((manyNames.rrseqIdsPerS as number) / (b0.rrseqIdsPerS as number)).toFixed(2)) : undefined,
    manyNames_ratioVsPairedReference: manyNames && pairedRef ? Number(((manyNames.rrseqIdsPerS as number) / (pairedRef.rrseqIdsPerS as number)).toFixed(2)) : undefined,
    manyNames_goal: '>= 0.5x the 1-name figure (within 2x)',
    servedNames_idsPerS: servedNames?.rrseqIdsPerS,
    servedNames_ratioVsOneName: servedNames ? Number(((servedNames.rrseqIdsPerS as number) / (b0.rrseqIdsPerS as number)).toFixed(2)) : undefined,
    servedNames_ratioVsPairedReference: servedNames && pairedRef ? Number(((servedNames.rrseqIdsPerS as number) / (pairedRef.rrseqIdsPerS as number)).toFixed(2)) : undefined,
  };
  console.log(
    `anchor (the original, Go, no fsync): buffer 1024 x 32 clients ${ORIGINAL.buf1024Clients32NsPerId} ns/ID; buffer 0 x 32 clients ${ORIGINAL.buf0Clients32IdsPerS} IDs/s`,
  );
  console.log(
    `goals: buffer 1024 x 32 clients, fsync on: ${b1024.ratioVsSimple}x SimpleBufSeq, ${bDyn?.ratioVsSimple}x with the dynamic range size (goal >= 0.5x); buffer 0 x 32 clients, fsync on: ${b0.rrseqIdsPerS} IDs/s = ${goals.buffer0_ratioVsOriginal}x the original (goal >= 5x); with ${NAMES_ROW} names stored: ${goals.manyNames_idsPerS} IDs/s = ${goals.manyNames_ratioVsOneName}x the 1-name figure of the first cell, ${goals.manyNames_ratioVsPairedReference}x its paired reference measured just before it (goal >= 0.5x); after serving ${NAMES_ROW} names: ${goals.servedNames_idsPerS} IDs/s = ${goals.servedNames_ratioVsOneName}x the first cell, ${goals.servedNames_ratioVsPairedReference}x the paired reference`,
  );
  console.log(
    `calibration, same process: ${unaryPerS} plain gRPC unary calls/s with 32 outstanding (PERFORMANCE.md: ~2,000-3,500 on an idle machine); buffer 0 x 32 clients needs one such call per ID plus the quorum round`,
  );
  const out = resolve(repoRoot(), 'bench-results', QUICK ? 'rrseq-quick.json' : 'rrseq.json');
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ system: 'rrseq', servers: SERVERS, cellMs: CELL_MS, node: process.version, date: new Date().toISOString(), loadAverage: loadavg(), unaryCallsPerS32: unaryPerS, rows, goals }, null, 2));
  console.log(`wrote ${out}`);
}

await main();
