// Issue 17, the recovery gap, on real acceptors and files: a promise acceptor 0 gave before it
// lost its disk, while the same Prepare had reached no other acceptor yet. The recovered
// acceptor's floor cannot cover it (nobody else saw the ballot), so the promise must be fenced:
// the acceptors it re-learned from name its new incarnation in every reply, and a proposer drops
// the old incarnation's promise instead of completing a "majority" with it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callUnary, createGrpcClient } from '@quorumkit/shared-transport';
import {
  type AcceptorServer,
  FencedTally,
  IncarnationView,
  LinkTransport,
  PROTO_PATH,
  PaxosKvClient,
  PhaseTally,
  Proposer,
  SERVICE_NAME,
  ballot,
  i64Value,
  serveAcceptors,
  startAcceptor,
} from '../src/index.js';
import { replyFromWire } from '../src/wire/codec.js';
import { SLOW_OK } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const P = ballot(100, 4); // the writer whose Prepare was in flight
const Q = ballot(50, 3); // a writer below it, after the recovery
const q0 = { Id: { Key: 'q', Ver: '0' }, Bal: { N: P.n.toString(), ProposerId: P.proposerId.toString() } };

describe('a promise in flight across a disk loss is fenced (real acceptors)', () => {
  it('the old incarnation promise does not complete a majority; the vote it hid is found', async () => {
    const root = await mkdtemp(join(tmpdir(), 'paxoskv-fence-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    let servers: AcceptorServer[] = await serveAcceptors(3, { basePort: 0, data: root });
    cleanups.push(async () => void (await Promise.allSettled(servers.map((s) => s.close()))));
    const addrs = servers.map((s) => s.address);
    const client = new PaxosKvClient({ acceptors: addrs, ...SLOW_OK, thrifty: false });
    cleanups.push(() => client.close());
    await client.set('k', 'hello');
    const [l0, l1, l2] = client.links;

    // P's Prepare reaches acceptor 0 only
    const fromOld = await l0!.request('PREPARE', q0);
    expect(fromOld.origin).toMatchObject({ acceptor: 0, incarnation: 0n });

    // acceptor 0 loses its disk and re-learns from 1 and 2, which never saw P's ballot
    await servers[0]!.close();
    await rm(join(root, 'acceptor0'), { recursive: true, force: true });
    const a0 = await startAcceptor({ id: 0, address: addrs[0], data: join(root, 'acceptor0'), peers: addrs });
    servers = [a0, servers[1]!, servers[2]!];
    await a0.recovered;
    expect(a0.mode()).toBe('voting');
    const inc = a0.store.incarnation.incarnation;
    expect(inc).toBeGreaterThanOrEqual(1n);
    for (const s of servers.slice(1)) expect(s.store.knownIncarnations(3)[0]).toBe(inc);

    // Q gets 30 chosen below P's ballot through acceptors 0 and 2
    const q = new Proposer(new LinkTransport([l0!, l1!, l2!]), { key: 'q', ver: 0n }, Q, SLOW_OK);
    expect((await q.phase1([0, 2], 2)).err).toBeNull();
    q.val = i64Value(30);
    expect((await q.phase2([0, 2], 2)).err).toBeNull();

    // P's Prepare finally reaches acceptor 1, which names acceptor 0's new incarnation
    const from1 = await l1!.request('PREPARE', q0);
    expect(from1.origin!.known[0]).toBe(inc);
    const unfenced = new PhaseTally(P, 3, 2);
    unfenced.add(replyFromWire(fromOld.reply));
    unfenced.add(replyFromWire(from1.reply));
    expect(unfenced.state).toBe('ok'); // the gap: a "majority" that knows no vote
    expect(unfenced.phase1().value).toBeNull();

    const fenced = new FencedTally(P, 3, 2, new IncarnationView());
    fenced.add(fromOld.origin!, replyFromWire(fromOld.reply));
    fenced.add(from1.origin!, replyFromWire(from1.reply));
    expect(fenced.state).toBe('pending');
    expect(fenced.stale).toEqual([0]);
    // it needs acceptor 2, which holds the chosen 30: P must propose 30
    const from2 = await l2!.request('PREPARE', q0);
    fenced.add(from2.origin!, replyFromWire(from2.reply));
    expect(fenced.state).toBe('ok');
    expect(fenced.phase1().value?.vi64).toBe(30n);
  }, 120_000);

  it('a recovery claim at or below a known incarnation is answered Stale and hands over nothing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'paxoskv-fence-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const servers = await serveAcceptors(3, { basePort: 0, data: root });
    cleanups.push(async () => void (await Promise.allSettled(servers.map((s) => s.close()))));
    const g = createGrpcClient(PROTO_PATH, SERVICE_NAME, servers[1]!.address);
    cleanups.push(() => g.close());
    const dump = (inc: number, nonce: string) =>
      callUnary<unknown, { Stale?: boolean; Known?: string; Entries?: unknown[] }>(g, 'Dump', { ClusterId: 'paxoskv', Members: 3, From: 0, Incarnation: String(inc), Nonce: nonce, Limit: 10 }, { deadlineMs: 20_000 });
    expect((await dump(2, 'a')).Stale).toBeFalsy();
    expect(servers[1]!.store.knownIncarnations(3)).toEqual([2n, 0n, 0n]);
    expect((await dump(2, 'a')).Stale).toBeFalsy(); // a later page of the same recovery
    const other = await dump(2, 'b'); // another recovery claiming the same number
    expect(other).toMatchObject({ Stale: true, Known: '2' });
    expect(other.Entries ?? []).toEqual([]);
    expect(await dump(1, 'c')).toMatchObject({ Stale: true, Known: '2' });
    await expect(callUnary(g, 'Dump', { ClusterId: 'paxoskv', Members: 3, From: 1, Incarnation: '5', Nonce: 'x' }, { deadlineMs: 20_000 })).rejects.toMatchObject({ code: 'EBADREQUEST' });
  }, 60_000);
});

describe('Proposer drops replies of an incarnation known to be over', () => {
  const ok = { LastBal: { N: '0', ProposerId: '0' }, Val: null, VBal: null };
  const transport = (order: number[]) => ({
    size: 3,
    incarnations: new IncarnationView(),
    describe: (i: number) => `acceptor ${i}`,
    request: (i: number, _kind: string, _req: unknown, signal: AbortSignal) =>
      new Promise<{ reply: typeof ok; origin: { acceptor: number; incarnation: bigint; known: bigint[] } }>((resolve, reject) => {
        if (i === 2) return signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }); // silent
        const origin = i === 0 ? { acceptor: 0, incarnation: 0n, known: [0n, 0n, 0n] } : { acceptor: 1, incarnation: 0n, known: [1n, 0n, 0n] };
        setTimeout(() => resolve({ reply: ok, origin }), 5 * order.indexOf(i));
      }),
  });
  for (const order of [[0, 1], [1, 0]]) {
    it(`old promise first or last (${order.join(' then ')}): no quorum of live incarnations`, async () => {
      const p = new Proposer(transport(order), { key: 'q', ver: 0n }, P, { ...SLOW_OK, phaseTimeoutMs: 300 });
      expect((await p.phase1([0, 1, 2], 2, 300)).err).not.toBeNull();
    });
  }
});
