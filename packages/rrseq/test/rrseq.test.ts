// The seed's tests, ported with their assertions, against real gRPC servers in-process.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGrpcClient, callUnary } from '@quorumkit/shared-transport';
import { protoPath as healthProto } from 'grpc-health-check';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RRSeq, RRServer, SimpleBufSeq, rrSeqProtoPath } from '../src/index.js';
import { startLocalCluster, waitUntil, type LocalCluster } from './helpers/cluster.js';

const BUF_SIZES = [0, 1, 2, 1024];

describe('RRSeq against a 3-server cluster', () => {
  let c: LocalCluster;
  const seqs: RRSeq[] = [];
  let n = 0;
  const seq = (bufSize: number, name = `seq${++n}`): RRSeq => {
    const s = new RRSeq(name, bufSize, c.addrs);
    seqs.push(s);
    return s;
  };

  beforeAll(async () => {
    c = await startLocalCluster(3);
  });
  afterEach(async () => {
    await Promise.all(seqs.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await c?.stop();
  });

  it.each(BUF_SIZES)('the first ID is 1 (bufSize %i)', async (b) => {
    expect(await seq(b).next()).toBe(1n);
  });

  it.each(BUF_SIZES)('one client gets contiguous IDs from 1 (bufSize %i)', async (b) => {
    const s = seq(b);
    const count = b === 1024 ? 5_000 : 100;
    for (let i = 1; i <= count; i++) expect(await s.next()).toBe(BigInt(i));
  });

  it.each(BUF_SIZES)('256 concurrent consumers of one client see a gap-free union (bufSize %i)', async (b) => {
    const s = seq(b);
    const per = b === 1024 ? 40 : 2;
    const got = await Promise.all(
      Array.from({ length: 256 }, async () => {
        const mine: bigint[] = [];
        for (let i = 0; i < per; i++) mine.push(await s.next());
        return mine;
      }),
    );
    for (const mine of got) for (let i = 1; i < mine.length; i++) expect(mine[i]! > mine[i - 1]!).toBe(true);
    const all = got.flat().sort((a, b2) => (a < b2 ? -1 : a > b2 ? 1 : 0));
    expect(all.length).toBe(256 * per);
    all.forEach((id, i) => expect(id).toBe(BigInt(i + 1)));
  });

  it.each(BUF_SIZES)('32 clients on one name: no duplicates, each strictly increasing (bufSize %i)', async (b) => {
    const name = `shared${b}`;
    const clients = Array.from({ length: 32 }, () => seq(b, name));
    const per = b === 1024 ? 300 : 15;
    const got = await Promise.all(
      clients.map(async (s) => {
        const mine: bigint[] = [];
        for (let i = 0; i < per; i++) mine.push(await s.next());
        return mine;
      }),
    );
    for (const mine of got) for (let i = 1; i < mine.length; i++) expect(mine[i]! > mine[i - 1]!).toBe(true);
    const all = got.flat();
    expect(new Set(all).size).toBe(all.length);
  });

  it('clamps buffer sizes: -42 -> 0, 0, 1, 1e6', () => {
    expect([-42, 0, 1, 1e6].map((b) => seq(b).bufSize)).toEqual([0, 0, 1, 1e6]);
    expect(new SimpleBufSeq(-42).bufSize).toBe(0);
    expect(() => new RRSeq('', 1, c.addrs)).toThrow(/name/);
    expect(() => new RRSeq('x'.repeat(257), 1, c.addrs)).toThrow(/name/);
    // A buffer the servers could never serve is refused up front (not "no majority").
    expect(() => new RRSeq('x', 2 ** 41, c.addrs)).toThrow(/largest range/);
    expect(() => new RRSeq('ok', 1, [])).toThrow(/address/);
  });

  it('stream() is the same iterable on every call, and everything returns 0n / ends after close()', async () => {
    const s = seq(16);
    expect(s.stream()).toBe(s.stream());
    const it = s.stream()[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: 1n });
    const pending = seq(0, 'never-served-after-close');
    await s.close();
    await s.close();
    expect(await s.next()).toBe(0n);
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(await pending.next()).toBe(1n);
  });

  it('speaks the original wire protocol: GRPCCurID (unknown = 1), GRPCSetID raises only (false when it did not), range_size < 1 means 1, [0,0) on a bad name', async () => {
    const client = createGrpcClient(rrSeqProtoPath(), 'pb.RRAPI', c.addrs[0]!);
    try {
      const cur = (name: string) => callUnary<unknown, { curId: string }>(client, 'GRPCCurID', { name }, { deadlineMs: 5_000 });
      expect((await cur('wire-unknown')).curId).toBe('1');
      const r = await callUnary<unknown, { fromId: string; toId: string }>(client, 'GRPCNextID', { name: 'wire', rangeSize: '10' }, { deadlineMs: 5_000 });
      expect(r).toEqual({ fromId: '1', toId: '11' });
      expect((await cur('wire')).curId).toBe('11');
      expect(await callUnary(client, 'GRPCSetID', { name: 'wire', newId: '100' }, { deadlineMs: 5_000 })).toEqual({ success: true });
      // The original answers false when the value was not raised.
      expect(await callUnary(client, 'GRPCSetID', { name: 'wire', newId: '5' }, { deadlineMs: 5_000 })).toEqual({ success: false });
      expect((await cur('wire')).curId).toBe('100');
      expect(await callUnary(client, 'GRPCNextID', { name: '', rangeSize: '1' }, { deadlineMs: 5_000 })).toEqual({ fromId: '0', toId: '0' });
      // GRPCSetID is the original's replica write: it raises this replica only. A majority
      // (the two others, still at 11) decides the next ranges; the raised replica refuses them.
      // A range_size below 1 means 1 (the original's rule: its buffer-0 client sends 0).
      for (const [rangeSize, from] of [['0', '11'], ['-3', '12'], ['1', '13']] as const) {
        const r2 = await callUnary<unknown, { fromId: string; toId: string }>(client, 'GRPCNextID', { name: 'wire', rangeSize }, { deadlineMs: 5_000 });
        expect(r2).toEqual({ fromId: from, toId: String(BigInt(from) + 1n) });
      }
      expect((await cur('wire')).curId).toBe('100');
    } finally {
      client.close();
    }
  });

  it('serves gRPC health (pb.RRAPI SERVING once the replica is ready) and reflection', async () => {
    const health = createGrpcClient(healthProto, 'grpc.health.v1.Health', c.addrs[1]!);
    try {
      expect(await callUnary(health, 'Check', { service: 'pb.RRAPI' }, { deadlineMs: 5_000 })).toEqual({ status: 'SERVING' });
      expect(await callUnary(health, 'Check', { service: '' }, { deadlineMs: 5_000 })).toEqual({ status: 'SERVING' });
    } finally {
      health.close();
    }
  });

  it('exposes metrics', async () => {
    const text = await c.servers[0]!.metrics.metrics();
    expect(text).toMatch(/rrseq_ranges_served_total \d+/);
    expect(text).toMatch(/rrseq_ready 1/);
    const registry = new Registry();
    const s = new RRSeq('metered', 8, c.addrs, { registry });
    seqs.push(s);
    for (let i = 0; i < 20; i++) await s.next();
    expect(await registry.metrics()).toMatch(/rrseq_client_ids_total\{sequence="metered"\} 20/);
  });

  it('dynamic range size grows while callers wait, and IDs stay contiguous for one client', async () => {
    const s = new RRSeq(`dyn${++n}`, 4, c.addrs, { rangeSizeMax: 256 });
    seqs.push(s);
    let max = 0n;
    for (let i = 1; i <= 400; i++) {
      expect(await s.next()).toBe(BigInt(i));
      if (s.buffered() > max) max = s.buffered();
    }
    expect(max).toBeGreaterThan(4n);
  });
});

describe('persistence and failures', () => {
  let dir: string;
  const stops: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rrseq-test-'));
  });
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((f) => f()));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('continues above everything handed out after a full restart from the persist files', async () => {
    const paths = [0, 1, 2].map((i) => join(dir, `restart/serv${i}_persist`));
    const c1 = await startLocalCluster(3, { paths });
    stops.push(() => c1.stop());
    const s = new RRSeq('p', 10, c1.addrs);
    let last = 0n;
    for (let i = 0; i < 25; i++) last = await s.next();
    await s.close();
    await c1.stop();
    const c2 = await startLocalCluster(3, { paths });
    stops.push(() => c2.stop());
    const s2 = new RRSeq('p', 10, c2.addrs);
    stops.push(() => s2.close());
    expect(await s2.next()).toBeGreaterThan(last);
  });

  it('with a majority down (and then wiped) a client hands out nothing and reports why', async () => {
    const c = await startLocalCluster(3, { deadlineMs: 500, attemptTimeoutMs: 200 });
    stops.push(() => c.stop());
    const errors: string[] = [];
    const s = new RRSeq('m', 0, c.addrs, { callDeadlineMs: 1_000, backoffMaxMs: 100, onError: (e) => errors.push(e.message) });
    stops.push(() => s.close());
    expect(await s.next()).toBe(1n);
    const addrs = c.addrs;
    await c.servers[1]!.close();
    await c.servers[2]!.close();
    let got: bigint | undefined;
    void s.next().then((id) => (got = id));
    await waitUntil(() => errors.length >= 3, 20_000, 'fetch errors');
    expect(got).toBeUndefined();
    expect(s.lastError?.code).toBe('ENORANGE');
    // Bring the two back on the same addresses with their state lost (in-memory servers).
    const back = await Promise.all(
      [1, 2].map((i) => RRServer.start({ addr: addrs[i]!, path: '', peers: addrs.filter((_, j) => j !== i), deadlineMs: 500 })),
    );
    stops.push(() => Promise.all(back.map((b) => b.close())).then(() => undefined));
    // Two wiped servers of three is a majority lost: they must never serve on their own.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(back.some((b) => b.ready)).toBe(false);
    expect(got).toBeUndefined();
  });

  it('a failed write fails only the ops waiting on it: nothing is handed out, nothing stays locked', async () => {
    const base = join(dir, 'broken');
    // statIntervalMs 0: the very next commit notices the file is gone (and fails).
    const c = await startLocalCluster(1, { paths: [join(base, 'state', 'serv_persist')], deadlineMs: 1_000, attemptTimeoutMs: 300, statIntervalMs: 0 });
    stops.push(() => c.stop());
    const s = new RRSeq('f', 0, c.addrs, { callDeadlineMs: 3_000 });
    stops.push(() => s.close());
    expect(await s.next()).toBe(1n);
    // Replace the state directory by a file: every write now fails (ENOTDIR), even as root.
    await rm(join(base, 'state'), { recursive: true, force: true });
    await writeFile(join(base, 'state'), 'not a directory');
    const client = createGrpcClient(rrSeqProtoPath(), 'pb.RRAPI', c.addrs[0]!);
    try {
      const next = () => callUnary<unknown, { fromId: string; toId: string }>(client, 'GRPCNextID', { name: 'f', rangeSize: '1' }, { deadlineMs: 5_000 });
      expect(await next()).toEqual({ fromId: '0', toId: '0' });
      await rm(join(base, 'state'), { force: true });
      await mkdir(join(base, 'state'));
      const after = await next();
      expect(BigInt(after.fromId)).toBeGreaterThan(1n);
      expect(BigInt(after.toId) - BigInt(after.fromId)).toBe(1n);
    } finally {
      client.close();
    }
  });

  it('a server restarted with its file deleted rejoins without handing out a duplicate', async () => {
    const paths = [0, 1, 2].map((i) => join(dir, `wipe/serv${i}_persist`));
    const c = await startLocalCluster(3, { paths });
    stops.push(() => c.stop());
    const s = new RRSeq('w', 5, c.addrs);
    stops.push(() => s.close());
    const seen: bigint[] = [];
    for (let i = 0; i < 20; i++) seen.push(await s.next());
    await c.servers[0]!.close();
    await rm(paths[0]!, { force: true });
    const again = await RRServer.start({ addr: c.addrs[0]!, path: paths[0]!, peers: c.addrs.slice(1) });
    c.servers[0] = again;
    const health = createGrpcClient(healthProto, 'grpc.health.v1.Health', c.addrs[0]!);
    try {
      await waitUntil(() => again.ready, 20_000, 'wiped server recovered');
      // The channel may still be backing off from the previous incarnation: poll.
      let status = '';
      const end = Date.now() + 20_000;
      while (status !== 'SERVING' && Date.now() < end) {
        status = await callUnary<unknown, { status: string }>(health, 'Check', { service: 'pb.RRAPI' }, { deadlineMs: 2_000 }).then(
          (r) => r.status,
          () => '',
        );
        if (status !== 'SERVING') await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe('SERVING');
    } finally {
      health.close();
    }
    // Only the restarted server can be reached by this client: it must allocate above.
    const only = new RRSeq('w', 0, [c.addrs[0]!]);
    stops.push(() => only.close());
    const id = await only.next();
    expect(id).toBeGreaterThan(seen[seen.length - 1]!);
  });
});
