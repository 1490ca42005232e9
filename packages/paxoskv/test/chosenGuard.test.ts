// Issue 17 item 3: an acceptor that knows the chosen value never votes for another one.
// A client built from the seed's proto drops Vbytes/IsBytes/Tag and re-proposes the value
// it decoded (Vi64: 0); that Accept must be refused, whatever its ballot.
import { describe, expect, it } from 'vitest';
import { EMPTY_STATE, accept, ballot, ballotGE, bytesValue, commit, i64Value, prepare, valueEq } from '../src/core/index.js';

describe('an acceptor that knows the chosen value (issue 17 item 3)', () => {
  const hello = bytesValue('hello', new Uint8Array([1, 2, 3]));
  const voted = accept(prepare(EMPTY_STATE, ballot(1, 7)).next, ballot(1, 7), hello).next;
  const known = commit(voted, hello).next;

  it('refuses an Accept of a different value at a higher ballot and says so', () => {
    const bal = ballot(9, 11);
    const step = accept(known, bal, i64Value(0));
    expect(step.changed).toBe(false);
    expect(step.next).toBe(known);
    expect(valueEq(step.next.val, hello)).toBe(true);
    // a seed client sees a rejection: the reply's LastBal is above its ballot
    expect(ballotGE(bal, step.reply.lastBal)).toBe(false);
    expect(valueEq(step.reply.chosen, hello)).toBe(true);
  });

  it('accepts the chosen value again, keeping its writer tag when the request dropped it', () => {
    const untagged = bytesValue('hello');
    const step = accept(known, ballot(9, 11), untagged);
    expect(step.changed).toBe(true);
    expect(step.next.lastBal).toEqual(ballot(9, 11));
    expect(valueEq(step.next.val, hello)).toBe(true);
    expect(ballotGE(ballot(9, 11), step.reply.lastBal)).toBe(true);
  });

  it('still follows the seed rule when nothing is known to be chosen', () => {
    const step = accept(voted, ballot(9, 11), i64Value(0));
    expect(step.changed).toBe(true);
    expect(valueEq(step.next.val, i64Value(0))).toBe(true);
  });

  it('refuses at the very top of the ballot range too', () => {
    const max = 2n ** 63n - 1n;
    const step = accept(known, ballot(max, max), i64Value(0));
    expect(step.changed).toBe(false);
    expect(ballotGE(ballot(max, max), step.reply.lastBal) && step.reply.chosen === null).toBe(false);
  });
});
