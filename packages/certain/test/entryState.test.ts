// Ported case by case from the original's entry-state tests: the state walk of one entry for
// 1, 3 and 5 acceptors, PreAuth, and the proposal-number rule.
import { describe, expect, it } from 'vitest';
import {
  EntryMachine, EntryState, emptyRecord, nextBallot, preAuthBallot, ballotOwner, isPreAuthBallot, type PaxosCmd,
} from '../src/core/index.js';

const v = (s: string) => ({ value: new TextEncoder().encode(s), uuids: [1n] });

function machines(n: number, entry = 1n) {
  return Array.from({ length: n }, (_, i) => new EntryMachine({ acceptorId: i, acceptorNum: n }, 7n, entry));
}

describe('proposal numbers', () => {
  it('k*N+id+1 with 1..N reserved for PreAuth', () => {
    expect(preAuthBallot(0)).toBe(1n);
    expect(preAuthBallot(2)).toBe(3n);
    expect(nextBallot(0, 3, 0n)).toBe(4n);
    expect(nextBallot(2, 3, 0n)).toBe(6n);
    expect(nextBallot(1, 3, 6n)).toBe(8n);
    expect(nextBallot(1, 3, 8n)).toBe(11n);
    expect(nextBallot(4, 5, 100n)).toBe(105n);
    for (let above = 0n; above < 40n; above++) {
      const b = nextBallot(1, 5, above);
      expect(b > above).toBe(true);
      expect(ballotOwner(b, 5)).toBe(1);
      expect(isPreAuthBallot(b, 5)).toBe(false);
    }
    expect(isPreAuthBallot(3n, 3)).toBe(true);
  });
});

describe('entry states', () => {
  it('1 acceptor: Normal -> MajorityPromise -> Chosen through persists alone', () => {
    const [m] = machines(1);
    expect(m!.state()).toBe(EntryState.Normal);
    let s = m!.propose(v('a'));
    expect(m!.state()).toBe(EntryState.MajorityPromise); // one promise is a majority of one
    expect(s.persist?.promisedNum).toBe(4n - 3n + 1n - 1n + 1n); // k=1: 1*1+0+1 = 2
    expect(s.send).toHaveLength(0);
    s = m!.persisted();
    // it accepts its own value; the accept counts once it is durable
    expect(s.persist?.acceptedNum).toBe(2n);
    expect(s.chosen).toBe(false);
    s = m!.persisted();
    expect(s.chosen).toBe(true);
    expect(s.persist?.chosen).toBe(true);
    expect(m!.persisted().persist).toBeNull();
    expect(m!.state()).toBe(EntryState.Chosen);
  });

  it('1 acceptor with PreAuth: chosen after one persist', () => {
    const [m] = machines(1);
    m!.propose(v('a'), { preAuth: true });
    expect(m!.state()).toBe(EntryState.AcceptLocal);
    const s = m!.persisted();
    expect(s.chosen).toBe(true);
    expect(m!.own.acceptedNum).toBe(1n);
  });

  for (const n of [3, 5]) {
    it(`${n} acceptors: full walk with states on proposer and acceptors`, () => {
      const ms = machines(n);
      const p = ms[0]!;
      const s = p.propose(v('x'));
      expect(p.state()).toBe(EntryState.PromiseLocal);
      expect(s.send).toHaveLength(n - 1);
      expect(p.handle(s.send[0]!).persist).toBeNull(); // parked while persisting
      expect(p.parkedCount).toBe(1);
      const prepares = s.send;
      p.persisted();
      const promises: PaxosCmd[] = [];
      for (const cmd of prepares) {
        const a = ms[cmd.destAcceptorId]!;
        const r = a.handle(cmd);
        expect(a.state()).toBe(EntryState.PromiseRemote);
        expect(r.persist?.promisedNum).toBe(p.own.preparedNum);
        expect(r.send).toHaveLength(1); // promise goes back to the proposer only
        a.persisted();
        promises.push(...r.send);
      }
      const accepts: PaxosCmd[] = [];
      let i = 0;
      for (const cmd of promises) {
        const r = p.handle(cmd);
        i++;
        if (i < Math.floor(n / 2)) {
          expect(p.state()).toBe(EntryState.PromiseLocal);
          expect(r.persist).toBeNull();
        } else if (r.persist) {
          expect(p.state()).toBe(EntryState.AcceptLocal);
          accepts.push(...r.send);
          p.persisted();
        }
      }
      expect(accepts).toHaveLength(n - 1);
      let chosenAt = -1;
      const acceptReplies: PaxosCmd[] = [];
      for (const cmd of accepts) {
        const a = ms[cmd.destAcceptorId]!;
        const r = a.handle(cmd);
        // its own accept counts only once durable
        expect(a.state()).toBe(EntryState.AcceptRemote);
        const after = a.persisted();
        // with 3 acceptors, its durable accept plus the proposer's is a majority
        expect(after.chosen).toBe(n === 3);
        expect(a.state()).toBe(n === 3 ? EntryState.Chosen : EntryState.AcceptRemote);
        acceptReplies.push(...r.send.filter((c) => c.destAcceptorId === 0));
      }
      for (const [k, cmd] of acceptReplies.entries()) {
        const r = p.handle(cmd);
        if (r.chosen) chosenAt = k;
        p.persisted();
      }
      expect(chosenAt).toBe(Math.floor(n / 2) - 1);
      expect(p.state()).toBe(EntryState.Chosen);
      expect(new TextDecoder().decode(p.own.value!)).toBe('x');
      expect(p.own.valueId).toBe(p.own.preparedNum);
    });
  }

  it('replies only when useful: an up-to-date sender gets nothing back', () => {
    const [a, b] = machines(5);
    const s = a!.propose(v('q'));
    a!.persisted();
    const r1 = b!.handle(s.send[0]!);
    b!.persisted();
    expect(r1.send).toHaveLength(1);
    a!.handle(r1.send[0]!); // a learns b's promise
    // a sends b a message whose view of b is current and that changes nothing: no reply
    const again = a!.cmdTo(1, {});
    const r2 = b!.handle(again);
    expect(r2.persist).toBeNull();
    expect(r2.send).toHaveLength(0);
    // a stale view of b, or quickRsp, earns a reply
    const stale = { ...a!.cmdTo(1, {}), destRecord: emptyRecord() };
    expect(b!.handle(stale).send).toHaveLength(1);
    expect(b!.handle(a!.cmdTo(1, { quickRsp: true })).send).toHaveLength(1);
  });

  it('an acceptor never accepts below its promise', () => {
    const ms = machines(3);
    const low = ms[0]!.propose(v('low'));
    ms[0]!.persisted();
    const high = ms[1]!.propose(v('high'));
    ms[1]!.persisted();
    ms[2]!.handle(high.send.find((c) => c.destAcceptorId === 2)!);
    ms[2]!.persisted();
    const r = ms[2]!.handle(low.send.find((c) => c.destAcceptorId === 2)!);
    expect(r.persist).toBeNull();
    expect(ms[2]!.own.promisedNum).toBe(ms[1]!.own.preparedNum);
    expect(r.send).toHaveLength(1); // tells the low proposer about the higher promise
  });
});
