// Issue 19 item 1: a peer typed twice (or self, or an alias) must not count twice. Refused
// at start; in recovery and allocation, replicas are counted by identity, not by slot; and
// every peer op carries a hash of the member set, answered ERROR on a mismatch.
import { freePorts } from '@quorumkit/test-harness';
import { describe, expect, it } from 'vitest';
import {
  Coordinator,
  DEFAULT_COORDINATOR_CONFIG,
  DEFAULT_RECOVERY_CONFIG,
  Recovery,
  Replica,
  canonicalAddr,
  emptyState,
  membershipHash,
  type PeerOp,
  type PeerResult,
} from '../src/core/index.js';
import { RRServer } from '../src/index.js';

async function startRefused(addr: string, peers: string[]): Promise<unknown> {
  try {
    const s = await RRServer.start({ addr, path: '', peers });
    await s.close();
    return undefined;
  } catch (e) {
    return e;
  }
}

describe('membership checks at start', () => {
  it('refuses self as a peer, a peer twice, 127.0.0.1:P next to localhost:P, and 2 servers', async () => {
    const [a, b, c] = await freePorts(3);
    const cases: Array<[string, string[], RegExp]> = [
      [`127.0.0.1:${a}`, [`127.0.0.1:${a}`, `127.0.0.1:${b}`], /itself/],
      [`:${a}`, [`:${b}`, `:${b}`], /twice/],
      [`:${a}`, [`127.0.0.1:${b}`, `localhost:${b}`], /same server/],
      [`:${a}`, [`:${c}`, `:${b}`, `:${b}`], /twice/],
      [`:${a}`, [`:${b}`], /2 servers/],
    ];
    for (const [addr, peers, why] of cases) {
      const e = await startRefused(addr, peers);
      expect(e, `${addr} ${peers.join(' ')}`).toBeInstanceOf(Error);
      expect((e as { code?: string }).code).toBe('EMEMBERSHIP');
      expect((e as Error).message).toMatch(why);
    }
  }, 60_000);

  it('canonical addresses and the member-set hash do not depend on spelling or order', () => {
    expect(canonicalAddr(':19001')).toBe('127.0.0.1:19001');
    expect(canonicalAddr('LocalHost:019001')).toBe('127.0.0.1:19001');
    expect(membershipHash([':1', 'localhost:2', '127.0.0.1:3'])).toBe(membershipHash(['127.0.0.1:3', ':2', ':1']));
    expect(membershipHash([':1', ':2', ':3'])).not.toBe(membershipHash([':1', ':2', ':4']));
  });
});

const res = (id: string, replica: string, over: Partial<PeerResult> = {}): PeerResult => ({
  id,
  status: 'OK',
  cluster: 'k',
  value: 0n,
  token: `${replica}.0.0`,
  replica,
  entries: [['seq', 100n]],
  empty: false,
  ...over,
});

describe('replicas are counted by identity, not by peer slot', () => {
  it('recovery does not finish on one replica fenced through two slots', () => {
    // 3 slots, but slots 1 and 2 reach the same replica "B": one ready replica, 2 needed.
    const r = new Recovery(3, 0, DEFAULT_RECOVERY_CONFIG, () => 0.5, 'rs');
    r.tick(0);
    let d = r.drain();
    expect(d.sends.map((s) => s.op.kind)).toEqual(['PROBE', 'PROBE']);
    const probe = d.sends[0]!.op.id;
    r.onResult(1, res(probe, 'B'), 1);
    r.onResult(2, res(probe, 'B'), 1);
    d = r.drain();
    // Nothing fenced, or if it went on to fence, it must not complete.
    for (const s of d.sends) {
      r.onResult(s.to, res(s.op.id, 'B'), 2);
    }
    expect(r.done).toBe(false);
    expect(r.drain().outcome).toBeUndefined();
  });

  it('recovery finishes once two distinct replicas are fenced', () => {
    const r = new Recovery(3, 0, DEFAULT_RECOVERY_CONFIG, () => 0.5, 'rs');
    r.tick(0);
    const probe = r.drain().sends[0]!.op.id;
    r.onResult(1, res(probe, 'B'), 1);
    r.onResult(2, res(probe, 'C'), 1);
    const fence = r.drain().sends;
    expect(fence.map((s) => s.op.kind)).toEqual(['FENCE', 'FENCE']);
    r.onResult(1, res(fence[0]!.op.id, 'B'), 2);
    r.onResult(2, res(fence[1]!.op.id, 'C', { entries: [['seq', 7n]] }), 2);
    expect(r.drain().outcome?.values).toEqual(new Map([['seq', 100n]]));
  });

  it('an allocation is not granted by one replica reached through two slots', () => {
    const c = new Coordinator(3, DEFAULT_COORDINATOR_CONFIG, () => 0.5, 'c');
    c.request(1, 'seq', 10n, 0);
    const reads = c.drain().sends;
    expect(reads.map((s) => s.op.kind)).toEqual(['READ', 'READ', 'READ']);
    // Slot 0 (self) is down; slots 1 and 2 are the same replica B.
    for (const s of reads.slice(1)) c.onResult(s.to, res(s.op.id, 'B', { value: 1n }), 1);
    const next = c.drain();
    expect(next.sends.filter((s) => s.op.kind === 'ADVANCE')).toEqual([]);
    expect(next.completions).toEqual([]);
  });
});

describe('membership hash on peer ops', () => {
  const op = (kind: PeerOp['kind'], membership: string): PeerOp => ({ id: '1', kind, name: 'seq', from: 1n, to: 2n, token: '', membership });

  it('a replica answers ERROR (naming the reason) to PROBE/FENCE/READ/ADVANCE/RAISE from another member set', () => {
    const mine = membershipHash([':1', ':2', ':3']);
    const theirs = membershipHash([':1', ':2', ':4']);
    const r = new Replica(emptyState('x', true), mine);
    for (const k of ['PROBE', 'FENCE', 'READ', 'ADVANCE', 'RAISE'] as const) {
      const o = r.apply(op(k, theirs));
      expect(o.dirty).toBe(false);
      expect(o.result.status).toBe('ERROR');
      expect(o.result.error).toMatch(/EMEMBERSHIP/);
    }
    expect(r.value('seq')).toBe(1n);
    expect(r.apply(op('READ', mine)).result.status).toBe('OK');
  });

  it('coordinator and recovery stamp their ops with the member-set hash', () => {
    const h = membershipHash([':1', ':2', ':3']);
    const c = new Coordinator(3, DEFAULT_COORDINATOR_CONFIG, () => 0.5, 'c', h);
    c.request(1, 'seq', 1n, 0);
    expect(c.drain().sends.every((s) => s.op.membership === h)).toBe(true);
    const r = new Recovery(3, 0, DEFAULT_RECOVERY_CONFIG, () => 0.5, 'rs', h);
    r.tick(0);
    expect(r.drain().sends.every((s) => s.op.membership === h)).toBe(true);
  });
});

describe('servers started with different member sets', () => {
  it('do not count each other: the odd one out gets ERROR (logged with the reason) and allocates nothing', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { pino } = await import('pino');
    const { startLocalCluster } = await import('./helpers/cluster.js');
    const { callUnary, createGrpcClient } = await import('@quorumkit/shared-transport');
    const { rrSeqProtoPath } = await import('../src/index.js');
    const dir = await mkdtemp(join(tmpdir(), 'rrseq-members-'));
    const paths = [0, 1, 2].map((i) => join(dir, `s${i}`));
    const c = await startLocalCluster(3, { paths });
    let odd: RRServer | undefined;
    const lines: string[] = [];
    const client = createGrpcClient(rrSeqProtoPath(), 'pb.RRAPI', c.addrs[2]!);
    try {
      await c.servers[2]!.close();
      const [stray] = await freePorts(1);
      // Server 2 comes back believing the cluster is {0, 2, stray}.
      const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
      odd = await RRServer.start({ addr: c.addrs[2]!, path: paths[2]!, peers: [c.addrs[0]!, `127.0.0.1:${stray}`], logger, deadlineMs: 600, attemptTimeoutMs: 200 });
      const r = await callUnary<unknown, { fromId: string; toId: string }>(client, 'GRPCNextID', { name: 'x', rangeSize: '5' }, { deadlineMs: 5_000 });
      expect([r.fromId, r.toId]).toEqual(['0', '0']);
      expect(lines.join('\n')).toMatch(/refused our ops: EMEMBERSHIP/);
    } finally {
      client.close();
      await odd?.close();
      await c.servers[0]!.close();
      await c.servers[1]!.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
