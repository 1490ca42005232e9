// The handler-entry load shedder: caps per server and per peer refuse at once with a named
// error and a retry hint, release frees exactly one slot, and idle peers are forgotten.
import { describe, expect, it } from 'vitest';
import { InflightGate, InflightLimitError } from '../src/server/inflightGate.js';

describe('InflightGate', () => {
  it('refuses over the per-peer cap, admits other peers, and frees a slot on release', () => {
    const g = new InflightGate({ inflightMax: 10, peerInflightMax: 2 });
    const r1 = g.enter('a', 0);
    g.enter('a', 0);
    expect(() => g.enter('a', 0)).toThrow(InflightLimitError);
    expect(() => g.enter('a', 0)).toThrow(/PeerInflightMax/);
    g.enter('b', 0);
    expect(g.inFlight).toBe(3);
    r1(5);
    r1(6); // a second release changes nothing
    expect(g.inFlight).toBe(2);
    g.enter('a', 7);
    expect(g.stats).toEqual({ admitted: 4, refusedServer: 0, refusedPeer: 2 });
  });

  it('refuses over the server cap whatever the peer', () => {
    const g = new InflightGate({ inflightMax: 3, peerInflightMax: 3 });
    for (const p of ['a', 'b', 'c']) g.enter(p, 0);
    const err = (() => {
      try {
        g.enter('d', 0);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InflightLimitError);
    expect((err as InflightLimitError).limit).toBe('InflightMax');
    expect((err as InflightLimitError).code).toBe('EINFLIGHT');
    expect(g.stats.refusedServer).toBe(1);
  });

  it('forgets a peer with nothing in flight (the peer map is bounded by the in-flight count)', () => {
    const g = new InflightGate({ inflightMax: 100, peerInflightMax: 100 });
    const rs = Array.from({ length: 50 }, (_, i) => g.enter(`p${i}`, 0));
    expect(g.peers).toBe(50);
    for (const r of rs) r(1);
    expect(g.peers).toBe(0);
    expect(g.inFlight).toBe(0);
  });

  it('the retry hint is the backlog at the recent completion rate, within its bounds', () => {
    const g = new InflightGate({ inflightMax: 10, peerInflightMax: 10, retryAfterMinMs: 20, retryAfterMaxMs: 5000 });
    const rs = Array.from({ length: 10 }, () => g.enter('a', 1000));
    // nothing completed yet: one second
    expect(() => g.enter('a', 1000)).toThrow(/retry after 1000 ms/);
    // 5 completions within the last second, 5 still in flight
    for (const r of rs.slice(0, 5)) r(1500);
    for (let i = 0; i < 5; i++) g.enter('a', 1500);
    let hint = 0;
    try {
      g.enter('a', 1900);
    } catch (e) {
      hint = (e as InflightLimitError).retryAfterMs;
    }
    // backlog = 10 in flight + 2 refusals; rate = 5 per 1.9 s -> ~4.6 s
    expect(hint).toBeGreaterThan(1000);
    expect(hint).toBeLessThanOrEqual(5000);
  });

  it('rejects bad caps with a clear error', () => {
    expect(() => new InflightGate({ inflightMax: 0 })).toThrow(/inflightMax must be a positive integer/);
    expect(() => new InflightGate({ peerInflightMax: 1.5 })).toThrow(/peerInflightMax/);
  });
});
