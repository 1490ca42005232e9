// The seed's tests (example/test/paxos_slides_case_test.go and example_set_get_test.go),
// ported with their exact assertions, over real gRPC acceptors.
import { afterEach, describe, expect, it } from 'vitest';
import { NotEnoughQuorum, Proposer, ballot, i64Value } from '../src/index.js';
import { SLOW_OK, acceptors } from './helpers.js';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

describe('seed slides', () => {
  it('slide 32: single proposer', async () => {
    const c = await acceptors(3);
    stop = c.stop;
    const quorum = 2;
    const paxosId = { key: 'i', ver: 0n };
    const px = new Proposer(c.transport, paxosId, ballot(0, 10), SLOW_OK);

    const p1 = await px.phase1([0, 1], quorum);
    expect(p1.err, 'constitued a quorum').toBeNull();
    expect(p1.higherBal, 'no other proposer is seen').toBeNull();
    expect(p1.value, 'no voted value').toBeNull();

    px.val = i64Value(10);
    const p2 = await px.phase2([0, 1], quorum);
    expect(p2.err, 'constitued a quorum').toBeNull();
    expect(p2.higherBal, 'no other proposer is seen').toBeNull();
  });

  it('slide 33/34: two proposers', async () => {
    const c = await acceptors(3);
    stop = c.stop;
    const quorum = 2;
    const paxosId = { key: 'i', ver: 0n };
    const px = new Proposer(c.transport, paxosId, ballot(1, 10), SLOW_OK);
    const py = new Proposer(c.transport, paxosId, ballot(2, 11), SLOW_OK);

    // X phase1 on {0, 1}
    let p1 = await px.phase1([0, 1], quorum);
    expect(p1.err).toBeNull();
    expect(p1.higherBal).toBeNull();
    expect(p1.value).toBeNull();

    // Y phase1 on {1, 2}: acceptor 1 now promises Y
    p1 = await py.phase1([1, 2], quorum);
    expect(p1.err).toBeNull();
    expect(p1.higherBal).toBeNull();
    expect(p1.value).toBeNull();

    // X phase2 on {0, 1} fails: acceptor 1 saw a higher ballot, Y's
    px.val = i64Value(100);
    let p2 = await px.phase2([0, 1], quorum);
    expect(p2.err).toBe(NotEnoughQuorum);
    expect(p2.higherBal).toEqual(py.bal);

    // Y phase2 on {1, 2} succeeds
    py.val = i64Value(200);
    p2 = await py.phase2([1, 2], quorum);
    expect(p2.err).toBeNull();
    expect(p2.higherBal).toBeNull();

    // X retries with a higher ballot and must see Y's value
    px.bal = ballot(3, 10);
    p1 = await px.phase1([0, 1], quorum);
    expect(p1.err).toBeNull();
    expect(p1.higherBal).toBeNull();
    expect(p1.value, 'X should read the voted value by Y (the whole value, not only Vi64)').toEqual(i64Value(200));

    // X phase2 with the value it read
    px.val = p1.value;
    p2 = await px.phase2([0, 1], quorum);
    expect(p2.err).toBeNull();
    expect(p2.higherBal).toBeNull();
  });

  it('example: set and get by key and version prints the seed output', async () => {
    const c = await acceptors(3);
    stop = c.stop;
    const acceptorIds = [0, 1, 2];
    const out: string[] = [];
    // set foo0 = 5
    {
      const prop = new Proposer(c.transport, { key: 'foo', ver: 0n }, ballot(0, 2), SLOW_OK);
      const v = await prop.runPaxos(acceptorIds, i64Value(5));
      out.push(`written: ${v!.vi64};`);
    }
    // get foo0
    {
      const prop = new Proposer(c.transport, { key: 'foo', ver: 0n }, ballot(0, 2), SLOW_OK);
      const v = await prop.runPaxos(acceptorIds, null);
      out.push(`read:    ${v!.vi64};`);
    }
    // set foo1 = 6
    {
      const prop = new Proposer(c.transport, { key: 'foo', ver: 1n }, ballot(0, 2), SLOW_OK);
      const v = await prop.runPaxos(acceptorIds, i64Value(6));
      out.push(`written: ${v!.vi64};`);
    }
    // get foo1
    {
      const prop = new Proposer(c.transport, { key: 'foo', ver: 1n }, ballot(0, 2), SLOW_OK);
      const v = await prop.runPaxos(acceptorIds, null);
      out.push(`read:    ${v!.vi64};`);
    }
    expect(out.join('\n') + '\n').toBe('written: 5;\nread:    5;\nwritten: 6;\nread:    6;\n');
  });

  it('reads take one round when nothing was voted and two when a value was', async () => {
    const c = await acceptors(3);
    stop = c.stop;
    const empty = new Proposer(c.transport, { key: 'r', ver: 0n }, ballot(1, 1), SLOW_OK);
    expect(await empty.runPaxos([0, 1, 2], null)).toBeNull();
    expect(empty.rounds).toBe(1);
    await new Proposer(c.transport, { key: 'r', ver: 1n }, ballot(1, 2), SLOW_OK).runPaxos([0, 1, 2], i64Value(7));
    const voted = new Proposer(c.transport, { key: 'r', ver: 1n }, ballot(2, 3), SLOW_OK);
    expect((await voted.runPaxos([0, 1, 2], null))!.vi64).toBe(7n);
    expect(voted.rounds).toBe(2);
  });
});
