// Unit tests of three replication rules that had none (found by breaking each on purpose after
// the replication.ts split, e68a2e5: the whole unit suite stayed green):
// - tombstone GC (tombstoneGc.ts): a dot is collectable only when we made it durable and every
//   known replica claims it applied, never inside a range its origin lost in a crash;
// - admission (candidateVerifier.ts): a node that announced itself becomes a replica only when
//   the node found at the address it gave has that id;
// - WAIT (ackWaiters.ts): a replica counts once its ack reaches the seq (at it, not only past it).
import { afterEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { stabilityOf, type StabilityView } from '../src/server/tombstoneGc.js';
import { CandidateVerifier, type VerifierHost } from '../src/server/candidateVerifier.js';
import { AckWaiters } from '../src/server/ackWaiters.js';
import { newPeer, type Peer } from '../src/server/replPeer.js';

function peer(id: number, applied: [number, bigint][], lost: [bigint, bigint][] = []): Peer {
  const p = newPeer(id, '127.0.0.1', 7000 + id, `n${id}`);
  for (const [n, u] of applied) p.appliedU.set(n, u);
  p.lostUuids = lost;
  return p;
}

function view(o: Partial<Omit<StabilityView, 'peers'>> & { peers: Peer[] }): StabilityView {
  return {
    self: 1,
    isOut: () => false,
    ownLost: [],
    durableU: new Map(),
    ...o,
    peers: new Map(o.peers.map((p) => [p.id, p])),
  };
}

describe('tombstone GC: when a dot is stable', () => {
  it('needs our durable claim and every replica applied up to the dot', () => {
    const stable = stabilityOf(view({ durableU: new Map([[2, 10n]]), peers: [peer(2, [[2, 10n]]), peer(3, [[2, 12n]])] }));
    expect(stable(2, 10n)).toBe(true);
    expect(stable(2, 9n)).toBe(true);
    expect(stable(2, 11n)).toBe(false); // our durable claim is 10
  });

  it('a replica that claims nothing for the origin, or less, keeps the dot', () => {
    const noClaim = stabilityOf(view({ durableU: new Map([[2, 10n]]), peers: [peer(2, [[2, 10n]]), peer(3, [])] }));
    expect(noClaim(2, 5n)).toBe(false);
    const behind = stabilityOf(view({ durableU: new Map([[2, 10n]]), peers: [peer(2, [[2, 10n]]), peer(3, [[2, 4n]])] }));
    expect(behind(2, 5n)).toBe(false);
    expect(behind(2, 4n)).toBe(true);
  });

  it('not while only applied and not yet durable here', () => {
    const stable = stabilityOf(view({ durableU: new Map(), peers: [peer(2, [[2, 10n]])] }));
    expect(stable(2, 1n)).toBe(false);
  });

  it('never inside a range its origin lost in a crash, ours or a peer\'s', () => {
    const peerLost = stabilityOf(view({ durableU: new Map([[2, 100n]]), peers: [peer(2, [[2, 100n]], [[20n, 30n]])] }));
    expect(peerLost(2, 25n)).toBe(false);
    expect(peerLost(2, 31n)).toBe(true);
    const ownLost = stabilityOf(view({ self: 1, ownLost: [[5n, 6n]], durableU: new Map([[1, 100n]]), peers: [peer(2, [[1, 100n]])] }));
    expect(ownLost(1, 6n)).toBe(false); // ranges are (lo, hi]
    expect(ownLost(1, 5n)).toBe(true);
    expect(ownLost(1, 7n)).toBe(true);
  });

  it("a forgotten node's dots are settled; our own never count as forgotten", () => {
    const stable = stabilityOf(view({ self: 1, isOut: (id) => id === 9 || id === 1, peers: [peer(2, [])] }));
    expect(stable(9, 1_000n)).toBe(true);
    expect(stable(1, 1n)).toBe(false);
  });
});

describe('candidate verifier: a node that announced itself is dialled before it is added', () => {
  const quiet = pino({ level: 'silent' });
  function host(): VerifierHost & { added: number[] } {
    const added: number[] = [];
    return {
      added,
      stopped: false,
      selfOut: false,
      node: { cfg: { nodeId: 1 } },
      members: { isOut: () => false },
      stats: { candidatesVerified: 0, candidatesRefused: 0 },
      log: quiet,
      addPeer: (id: number) => added.push(id),
    };
  }
  const settle = () => new Promise((r) => setTimeout(r, 5));

  it('adds the node when the id found there is the one announced', async () => {
    const h = host();
    new CandidateVerifier(h, async () => ({ id: 4, alias: 'four' }), () => undefined).verify(4, '127.0.0.1', 7004, '');
    await settle();
    expect(h.added).toEqual([4]);
    expect(h.stats.candidatesVerified).toBe(1);
  });

  it('refuses when another node answers at that address, and cools down before dialling again', async () => {
    const h = host();
    const probe = vi.fn(async () => ({ id: 5, alias: 'five' }));
    const v = new CandidateVerifier(h, probe, () => undefined);
    v.verify(4, '127.0.0.1', 7005, '');
    await settle();
    expect(h.added).toEqual([]);
    expect(h.stats.candidatesRefused).toBe(1);
    v.verify(4, '127.0.0.1', 7005, '');
    await settle();
    expect(probe).toHaveBeenCalledTimes(1);
  });

  it('refuses when nothing answers, and never dials itself', async () => {
    const h = host();
    const probe = vi.fn(async () => Promise.reject(new Error('ECONNREFUSED')));
    const v = new CandidateVerifier(h, probe, () => undefined);
    v.verify(4, '127.0.0.1', 7004, '');
    v.verify(1, '127.0.0.1', 7001, '');
    await settle();
    expect(h.added).toEqual([]);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(h.stats.candidatesRefused).toBe(1);
  });
});

describe('WAIT: replicas that acknowledged a seq', () => {
  afterEach(() => vi.useRealTimers());

  it('counts a replica whose ack is at the seq or past it', async () => {
    const a = peer(2, []);
    const b = peer(3, []);
    a.ackedSeq = 10n;
    b.ackedSeq = 9n;
    const w = new AckWaiters(new Map([[2, a], [3, b]]));
    expect(w.countAcked(10n)).toBe(1);
    expect(await w.wait(10n, 1, 0)).toBe(1);
  });

  it('answers a waiter when the acks arrive, or with what it has at the timeout', async () => {
    vi.useFakeTimers();
    const a = peer(2, []);
    const b = peer(3, []);
    const w = new AckWaiters(new Map([[2, a], [3, b]]));
    const both = w.wait(5n, 2, 1000);
    const timed = w.wait(7n, 2, 1000);
    a.ackedSeq = 5n;
    b.ackedSeq = 5n;
    w.settle();
    expect(await both).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(await timed).toBe(0);
  });
});
