import { describe, expect, it } from 'vitest';
import {
  type AcceptorState,
  EMPTY_STATE,
  PaxosRun,
  type RunAction,
  PhaseTally,
  accept,
  ballot,
  ballotGE,
  bytesValue,
  commit,
  decideLatest,
  i64Value,
  isOwnValue,
  learn,
  nextBallot,
  prepare,
  tallyPhase1,
  tallyPhase2,
  valueEq,
} from '../src/core/index.js';

describe('ballots', () => {
  it('compare lexicographically by (N, ProposerId) with >= on equal', () => {
    expect(ballotGE(ballot(1, 0), ballot(0, 99))).toBe(true);
    expect(ballotGE(ballot(0, 99), ballot(1, 0))).toBe(false);
    expect(ballotGE(ballot(2, 5), ballot(2, 4))).toBe(true);
    expect(ballotGE(ballot(2, 4), ballot(2, 5))).toBe(false);
    expect(ballotGE(ballot(2, 4), ballot(2, 4))).toBe(true);
  });
  it('keep 64-bit values exact', () => {
    const big = 9_223_372_036_854_775_807n;
    expect(ballotGE(ballot(big, 1), ballot(big - 1n, 2))).toBe(true);
    expect(nextBallot(ballot(1, 7), ballot(big - 1n, 3))).toEqual(ballot(big, 7));
  });
});

describe('acceptor rules (seed)', () => {
  it('an untouched instance has zero ballots and no value', () => {
    const r = prepare(EMPTY_STATE, ballot(0, 10)).reply;
    expect(r.lastBal).toEqual(ballot(0, 0));
    expect(r.vBal).toEqual(ballot(0, 0));
    expect(r.val).toBeNull();
  });
  it('Prepare replies with the state before the update and promises on >=', () => {
    const s1 = prepare(EMPTY_STATE, ballot(1, 1));
    expect(s1.changed).toBe(true);
    expect(s1.next.lastBal).toEqual(ballot(1, 1));
    const same = prepare(s1.next, ballot(1, 1));
    expect(same.changed).toBe(false);
    expect(same.reply.lastBal).toEqual(ballot(1, 1));
    const lower = prepare(s1.next, ballot(0, 5));
    expect(lower.next).toBe(s1.next);
    expect(lower.reply.lastBal).toEqual(ballot(1, 1));
  });
  it('Accept sets LastBal = VBal = bal and Val on >=, reply carries only the old LastBal', () => {
    const p = prepare(EMPTY_STATE, ballot(3, 1)).next;
    const ok = accept(p, ballot(3, 1), i64Value(7));
    expect(ok.reply).toEqual({ lastBal: ballot(3, 1), val: null, vBal: null, chosen: null });
    expect(accept(commit(p, i64Value(1)).next, ballot(3, 1), i64Value(7)).reply.chosen).toEqual(i64Value(1));
    expect(ok.next.vBal).toEqual(ballot(3, 1));
    expect(ok.next.val).toEqual(i64Value(7));
    const higher = accept(ok.next, ballot(4, 2), i64Value(8));
    expect(higher.reply.lastBal).toEqual(ballot(3, 1));
    expect(higher.next.lastBal).toEqual(ballot(4, 2));
    const rejected = accept(higher.next, ballot(3, 9), i64Value(9));
    expect(rejected.changed).toBe(false);
    expect(rejected.reply.lastBal).toEqual(ballot(4, 2));
    expect(rejected.next.val).toEqual(i64Value(8));
  });
  it('the reply of Accept is a copy: changing the state afterwards does not change it', () => {
    // The reply is taken from the state BEFORE the update; mutate exactly that object (and,
    // for a rejected Accept, the state it leaves in place): a reply sharing it would change.
    const s0: AcceptorState = prepare(EMPTY_STATE, ballot(1, 1)).next;
    const step = accept(s0, ballot(1, 1), i64Value(5));
    (s0.lastBal as { n: bigint }).n = 99n;
    expect(step.reply.lastBal).toEqual(ballot(1, 1));
    const high: AcceptorState = prepare(EMPTY_STATE, ballot(7, 2)).next;
    const rejected = accept(high, ballot(1, 1), i64Value(6));
    expect(rejected.next).toBe(high);
    (rejected.next.lastBal as { n: bigint }).n = 1000n;
    expect(rejected.reply.lastBal).toEqual(ballot(7, 2));
  });
  it('the reply of Prepare is a copy too', () => {
    const s = accept(EMPTY_STATE, ballot(1, 1), bytesValue('abc')).next;
    const r = prepare(s, ballot(2, 2));
    (s.val!.bytes as Uint8Array)[0] = 0x7a;
    expect(new TextDecoder().decode(r.reply.val!.bytes)).toBe('abc');
  });
  it('Commit is kept apart from the vote and the first learned value wins', () => {
    const s = accept(EMPTY_STATE, ballot(1, 1), i64Value(5)).next;
    const c = commit(s, i64Value(5));
    expect(c.next.chosen).toEqual(i64Value(5));
    const again = commit(c.next, i64Value(6));
    expect(again.conflict).toBe(true);
    expect(again.next.chosen).toEqual(i64Value(5));
    // a later Accept with another value is refused (issue 17 item 3), the chosen one is voted again
    const refused = accept(c.next, ballot(2, 2), i64Value(6));
    expect(refused.changed).toBe(false);
    expect(refused.next.val).toEqual(i64Value(5));
    const a = accept(c.next, ballot(2, 2), i64Value(5)).next;
    expect(a.vBal).toEqual(ballot(2, 2));
    expect(learn(a).chosen).toEqual(i64Value(5));
  });
});

describe('proposer tallies (seed Phase1/Phase2)', () => {
  const ok = (v: number | null, vb: [number, number]) => ({ lastBal: ballot(0, 0), val: v === null ? null : i64Value(v), vBal: ballot(...vb), chosen: null });
  const rej = (n: number, id: number) => ({ lastBal: ballot(n, id), val: null, vBal: ballot(0, 0), chosen: null });

  it('keeps the largest rejecting ballot, not the last one (seed issue #1)', () => {
    const r = tallyPhase1(ballot(1, 1), [rej(5, 2), rej(3, 9), ok(null, [0, 0])], 3);
    expect(r.ok).toBe(false);
    expect(r.higherBal).toEqual(ballot(5, 2));
    const r2 = tallyPhase2(ballot(1, 1), [rej(3, 9), rej(5, 2)], 2);
    expect(r2.higherBal).toEqual(ballot(5, 2));
  });
  it('picks the voted value with the largest VBal among OK replies', () => {
    const r = tallyPhase1(ballot(9, 1), [ok(10, [2, 1]), ok(20, [4, 3]), ok(null, [0, 0])], 3);
    expect(r).toEqual({ ok: true, higherBal: null, value: i64Value(20) });
  });
  it('returns at quorum and ignores later replies (early quorum)', () => {
    const t = new PhaseTally(ballot(1, 1), 3, 2);
    t.add(ok(null, [0, 0]));
    expect(t.state).toBe('pending');
    t.add(ok(null, [0, 0]));
    expect(t.state).toBe('ok');
    t.add(rej(7, 7));
    expect(t.phase1()).toEqual({ ok: true, higherBal: null, value: null });
  });
  it('gives up as soon as a quorum is out of reach', () => {
    const t = new PhaseTally(ballot(1, 1), 3, 2);
    t.fail();
    expect(t.state).toBe('pending');
    t.add(rej(2, 2));
    expect(t.state).toBe('rejected');
    expect(t.phase2()).toEqual({ ok: false, higherBal: ballot(2, 2) });
  });
  it('with no rejection the next ballot is N+1 of our own', () => {
    const t = new PhaseTally(ballot(4, 1), 3, 2);
    t.fail();
    t.fail();
    const r = t.phase1();
    expect(r.higherBal).toEqual(ballot(4, 1));
    expect(nextBallot(ballot(4, 1), r.higherBal)).toEqual(ballot(5, 1));
  });
});

/** Three in-memory acceptors driven the seed's way: one after another. */
function memCluster(n = 3) {
  const states: AcceptorState[] = Array.from({ length: n }, () => EMPTY_STATE);
  function drive(run: PaxosRun): { value: unknown; rounds: number } {
    let action: RunAction = run.begin();
    for (let guard = 0; guard < 100; guard++) {
      if (action.type === 'done') return { value: action.value, rounds: action.rounds };
      if (action.type === 'retry') {
        action = run.begin();
        continue;
      }
      if (action.type === 'wait') throw new Error('stuck');
      const a = action;
      let next: RunAction = { type: 'wait' };
      for (let i = 0; i < n && next.type === 'wait'; i++) {
        const step = a.type === 'prepare' ? prepare(states[i]!, a.bal) : accept(states[i]!, a.bal, a.val);
        states[i] = step.next;
        next = run.reply(a.round, step.reply);
      }
      action = next;
    }
    throw new Error('too many rounds');
  }
  return { states, drive };
}

describe('PaxosRun', () => {
  it('a write takes 2 rounds; a read of an unvoted instance 1 round; a read of a voted one 2', () => {
    const c = memCluster();
    expect(c.drive(new PaxosRun(null, 3, ballot(0, 1)))).toEqual({ value: null, rounds: 1 });
    expect(c.drive(new PaxosRun(i64Value(5), 3, ballot(1, 2)))).toEqual({ value: i64Value(5), rounds: 2 });
    expect(c.drive(new PaxosRun(null, 3, ballot(0, 3)))).toEqual({ value: i64Value(5), rounds: 3 }); // one rejected round, then 2
    expect(c.drive(new PaxosRun(null, 3, ballot(9, 4)))).toEqual({ value: i64Value(5), rounds: 2 });
  });
  it('a later writer with another value gets the chosen one', () => {
    const c = memCluster();
    c.drive(new PaxosRun(i64Value(5), 3, ballot(1, 2)));
    const r = c.drive(new PaxosRun(i64Value(6), 3, ballot(7, 3)));
    expect(r.value).toEqual(i64Value(5));
  });
  it('ignores replies of an old round', () => {
    const run = new PaxosRun(i64Value(1), 3, ballot(1, 1));
    const a = run.begin();
    expect(a.type).toBe('prepare');
    run.noReply(1);
    expect(run.noReply(1).type).toBe('retry');
    run.begin();
    expect(run.reply(1, { lastBal: ballot(0, 0), val: null, vBal: ballot(0, 0), chosen: null }).type).toBe('wait');
  });
});

describe('KV decisions', () => {
  const st = (chosen: number | null) => ({ lastBal: ballot(0, 0), val: null, vBal: ballot(0, 0), chosen: chosen === null ? null : i64Value(chosen) });
  it('latest is the highest voted version; its chosen value when any acceptor learned it', () => {
    expect(decideLatest([{ ver: -1n, state: st(null) }, { ver: -1n, state: st(null) }])).toEqual({ ver: -1n, chosen: null });
    expect(decideLatest([{ ver: 3n, state: st(null) }, { ver: 4n, state: st(null) }, { ver: 4n, state: st(9) }])).toEqual({ ver: 4n, chosen: i64Value(9) });
    expect(decideLatest([{ ver: 4n, state: st(null) }, { ver: 3n, state: st(2) }])).toEqual({ ver: 4n, chosen: null });
  });
  it('a writer recognises its own value by tag', () => {
    const mine = i64Value(5, new Uint8Array([1, 2]));
    expect(isOwnValue(i64Value(5, new Uint8Array([1, 2])), mine)).toBe(true);
    expect(isOwnValue(i64Value(5, new Uint8Array([1, 3])), mine)).toBe(false);
    expect(isOwnValue(i64Value(5), i64Value(5))).toBe(false);
    expect(valueEq(bytesValue(''), i64Value(0))).toBe(false);
  });
});
