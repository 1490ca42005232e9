// Issue 19 item 2: a cluster refuses rather than restarts at 1. Total loss, or a majority
// wiped next to an empty survivor, must leave the wiped servers refusing (with a reason
// that names the way out), never serving from 1 again; a cluster starts by explicit init
// only; force-recover --floor N is the operator's way out of a majority loss.
import { describe, expect, it } from 'vitest';
import { LocalNet } from './helpers/localNet.js';

const quick = { recoveryRoundTimeoutMs: 50, recoveryIntervalMs: 20, deadlineMs: 300, attemptTimeoutMs: 50 };

/** Run the network (deliver everything, advance time) for `ms` of simulated time. */
function run(net: LocalNet, ms: number, cut: (from: number, to: number) => boolean = () => false): void {
  const end = net.now + ms;
  while (net.now < end) {
    for (const m of net.queue.splice(0)) if (!cut(m.from, m.to)) net.deliver(m);
    net.now += 5;
    for (const e of net.engines) e.tick();
  }
}

function allocate(net: LocalNet, node: number, req: number, size: bigint, ms = 400): { from: bigint; to: bigint; error?: string } | undefined {
  net.engines[node]!.nextId(req, 'seq', size);
  run(net, ms);
  return net.done.get(req);
}

describe('a cluster that lost too much refuses instead of restarting at 1', () => {
  it('total loss: every server wiped, none serves, no range is granted', () => {
    const net = new LocalNet(3, quick);
    net.bootstrap();
    expect(allocate(net, 0, 1, 100n)).toEqual({ from: 1n, to: 101n });
    for (let i = 0; i < 3; i++) net.restart(i, true);
    run(net, 2_000);
    expect(net.engines.map((e) => e.ready)).toEqual([false, false, false]);
    const r = allocate(net, 1, 2, 1n);
    expect(r?.from).toBe(0n);
    expect(net.engines[1]!.recoveryStatus).toMatch(/force-recover/);
  });

  it('a majority wiped next to an empty survivor: the wiped ones stay recovering', () => {
    const net = new LocalNet(3, quick);
    net.bootstrap();
    // Node 2 is cut off while 0 and 1 hand out [1,101): it stays ready and empty.
    net.engines[0]!.nextId(1, 'seq', 100n);
    run(net, 400, (f, t) => f === 2 || t === 2);
    expect(net.done.get(1)).toEqual({ from: 1n, to: 101n });
    expect(net.engines[2]!.curId('seq')).toBe(1n);
    net.restart(0, true);
    net.restart(1, true);
    run(net, 2_000);
    expect(net.engines[0]!.ready).toBe(false);
    expect(net.engines[1]!.ready).toBe(false);
    const r = allocate(net, 2, 2, 1n);
    expect(r?.from).toBe(0n);
  });

  it('blank servers never bootstrap by themselves; init forms the cluster', () => {
    const net = new LocalNet(3, quick, { bootstrapped: false });
    net.startAll();
    run(net, 1_000);
    expect(net.engines.map((e) => e.ready)).toEqual([false, false, false]);
    expect(net.engines[0]!.recoveryStatus).toMatch(/init/);
    const msgs: string[] = [];
    net.engines[1]!.admin({ kind: 'init' }, (r) => msgs.push(`${r.ok} ${r.message}`));
    run(net, 500);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatch(/^true /);
    expect(net.engines.map((e) => e.ready)).toEqual([true, true, true]);
    expect(allocate(net, 2, 1, 5n)).toEqual({ from: 1n, to: 6n });
    // A second init is refused: the cluster exists and has handed out IDs.
    net.engines[0]!.admin({ kind: 'init' }, (r) => msgs.push(`${r.ok} ${r.message}`));
    run(net, 500);
    expect(msgs[1]).toMatch(/^false .*already/);
    expect(allocate(net, 0, 2, 1n)).toEqual({ from: 6n, to: 7n });
  });

  it('init needs every server up; a partial init is completed by running it again', () => {
    const net = new LocalNet(3, quick, { bootstrapped: false });
    net.startAll();
    const msgs: string[] = [];
    net.engines[0]!.admin({ kind: 'init' }, (r) => msgs.push(`${r.ok} ${r.message}`));
    run(net, 500, (f, t) => f === 2 || t === 2);
    expect(msgs[0]).toMatch(/^false .*every server/);
    expect(net.engines.map((e) => e.ready)).toEqual([false, false, false]);
    net.engines[0]!.admin({ kind: 'init' }, (r) => msgs.push(`${r.ok} ${r.message}`));
    run(net, 500);
    expect(msgs[1]).toMatch(/^true /);
    expect(net.engines.map((e) => e.ready)).toEqual([true, true, true]);
  });

  it('force-recover --floor N after a majority loss: serves from above N, keeps what the survivor knew', () => {
    const net = new LocalNet(3, quick);
    net.bootstrap();
    expect(allocate(net, 0, 1, 100n)).toEqual({ from: 1n, to: 101n });
    net.engines[0]!.nextId(2, 'other', 10n);
    run(net, 400);
    net.restart(0, true);
    net.restart(1, true);
    run(net, 1_000);
    expect(net.engines[0]!.ready).toBe(false);
    const msgs: string[] = [];
    net.engines[0]!.admin({ kind: 'force', floor: 1_000n }, (r) => msgs.push(`${r.ok} ${r.message}`));
    run(net, 1_000);
    expect(msgs[0]).toMatch(/^true /);
    expect(net.engines.map((e) => e.ready)).toEqual([true, true, true]);
    // Node 2 survived with seq at 101; 'other' was on every node; unknown names start at N.
    expect(allocate(net, 1, 3, 1n)).toEqual({ from: 1_000n, to: 1_001n });
    net.engines[2]!.nextId(4, 'new-name', 1n);
    run(net, 400);
    expect(net.done.get(4)).toEqual({ from: 1_000n, to: 1_001n });
  });

  it('force-recover is refused without a majority of servers answering', () => {
    const net = new LocalNet(3, quick);
    net.bootstrap();
    for (let i = 0; i < 3; i++) net.restart(i, true);
    const msgs: string[] = [];
    net.engines[0]!.admin({ kind: 'force', floor: 10n }, (r) => msgs.push(`${r.ok} ${r.message}`));
    run(net, 1_000, (f, t) => f !== t && (f === 0 || t === 0));
    expect(msgs[0]).toMatch(/^false .*majority/);
    expect(net.engines[0]!.ready).toBe(false);
  });
});

describe('real servers: total loss refuses clearly; force-recover is the way out', () => {
  it('every persist file deleted: the restarted servers refuse (naming force-recover); GRPCAdmin force-recover --floor resumes above N', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { callUnary, createGrpcClient } = await import('@quorumkit/shared-transport');
    const { RRSeq, RRServer, rrSeqProtoPath } = await import('../src/index.js');
    const { startLocalCluster, waitUntil } = await import('./helpers/cluster.js');
    const dir = await mkdtemp(join(tmpdir(), 'rrseq-boot-'));
    const paths = [0, 1, 2].map((i) => join(dir, `serv${i}_persist`));
    const timing = { deadlineMs: 800, attemptTimeoutMs: 200, recoveryIntervalMs: 50, recoveryRoundTimeoutMs: 300 };
    const c = await startLocalCluster(3, { paths, ...timing });
    const servers: Array<{ close(): Promise<void> }> = [...c.servers.map((s) => s!)];
    const seqs: Array<{ close(): Promise<void> }> = [];
    const admin = createGrpcClient(rrSeqProtoPath(), 'pb.RRAPI', c.addrs[1]!);
    try {
      const s1 = new RRSeq('t', 0, c.addrs);
      seqs.push(s1);
      let last = 0n;
      for (let i = 0; i < 30; i++) last = await s1.next();
      // At least 30: with attemptTimeoutMs 200 on a loaded machine an attempt can time out and
      // leave a gap (allowed); exactly 30 failed now and then, also before the peer stream.
      expect(last >= 30n, `last ${last}`).toBe(true);
      await c.stop();
      for (const p of paths) await rm(p, { force: true });
      const back = await Promise.all(c.addrs.map((addr, i) => RRServer.start({ addr, path: paths[i]!, peers: c.addrs.filter((_, j) => j !== i), ...timing })));
      servers.push(...back);
      const errors: string[] = [];
      const s2 = new RRSeq('t', 0, c.addrs, { callDeadlineMs: 2_000, backoffMaxMs: 100, onError: (e) => errors.push(e.message) });
      seqs.push(s2);
      let got: bigint | undefined;
      void s2.next().then((id) => (got = id));
      await waitUntil(() => errors.some((m) => /force-recover/.test(m)), 20_000, 'a client error naming force-recover');
      expect(got).toBeUndefined();
      expect(back.some((b) => b.ready)).toBe(false);
      // The identity record next to each persist file survived: every server knows it lost
      // the state of a formed cluster, so init (which would restart at 1) is refused.
      const status = await callUnary<unknown, { ok: boolean; message: string }>(admin, 'GRPCAdmin', { command: 'status', floor: '0' }, { deadlineMs: 5_000 });
      expect(status.ok).toBe(false);
      expect(status.message, status.message).toMatch(/2 recovering/);
      const init = await callUnary<unknown, { ok: boolean; message: string }>(admin, 'GRPCAdmin', { command: 'init', floor: '0' }, { deadlineMs: 10_000 });
      expect(init.ok).toBe(false);
      expect(init.message).toMatch(/lost the state/);
      // On a loaded machine a round can time out ('incomplete ... run it again'): the operator
      // runs it again, and so does the test (bounded).
      let fr = { ok: false, message: '' };
      for (let attempt = 0; attempt < 5; attempt++) {
        fr = await callUnary<unknown, { ok: boolean; message: string }>(admin, 'GRPCAdmin', { command: 'force-recover', floor: '1000' }, { deadlineMs: 10_000 });
        if (!/incomplete/.test(fr.message)) break;
      }
      expect(fr.message).toMatch(/force-recover done/);
      expect(fr.ok).toBe(true);
      await waitUntil(() => got !== undefined, 20_000, 'the waiting client to get an ID');
      // At or just above the floor (gaps are allowed, duplicates are not): with buffer 0 the
      // client keeps one more request on the way, which may be the one the cluster answers
      // first. The stream stays strictly increasing.
      expect(got! >= 1_000n && got! < 1_100n, `got ${got}`).toBe(true);
      const after = await s2.next();
      expect(after > got!, `${after} after ${got}`).toBe(true);
    } finally {
      admin.close();
      for (const s of seqs) await s.close();
      for (const s of servers) await s.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
