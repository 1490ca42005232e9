// Ported from the original's five-replica and entity-helper tests, run on the pure core with
// a hand-driven network: PreAuth, concurrent proposers, drops in each phase, check-empty
// reads, write-for-read, catch-up on entry mismatch.
import { describe, expect, it } from 'vitest';
import { CoreNet } from './coreNet.js';

const E = 42n;

describe('five replicas', () => {
  it('acceptor 0 holds PreAuth for entry 1: one round, everyone learns the value', () => {
    const net = new CoreNet(5);
    net.write(0, E, 'v1');
    expect(net.plog[0]!.get(`${E}:1`)!.acceptedNum).toBe(1n); // reserved number, no phase 1
    net.run();
    for (let i = 0; i < 5; i++) expect(net.chosenValue(i, E, 1n)).toBe('v1');
    expect(net.chosen[0]!.get(`${E}:1`)!.mine).toBe(true);
    // the winner of entry 1 holds PreAuth for entry 2
    net.write(0, E, 'v2');
    expect(net.plog[0]!.get(`${E}:2`)!.acceptedNum).toBe(1n);
    net.run();
    for (let i = 0; i < 5; i++) expect(net.chosenValue(i, E, 2n)).toBe('v2');
  });

  it('without localAcceptFirst the PreAuth accept leaves before it is durable, and a restarted winner gives PreAuth up until it wins through phase 1', () => {
    const net = new CoreNet(3, { localAcceptFirst: false });
    // a fresh core built for acceptor 0 (the winner of entry 0) may have sent a PreAuth accept
    // before a crash, at an entry it does not know of any more
    expect(net.entity(0, E).lastWinner).toBe(0);
    net.write(0, E, 'v1'); // so it runs phase 1
    expect(net.plog[0]!.get(`${E}:1`)!.acceptedNum).toBe(0n);
    net.run();
    expect(net.chosenValue(1, E, 1n)).toBe('v1');
    // now it won entry 1 in this incarnation: PreAuth for entry 2, sent together with the persist
    const e0 = net.entity(0, E);
    const eff = e0.write(2n, { value: new TextEncoder().encode('v2'), uuids: [] }, 0, 0.5);
    expect(eff.persist[0]!.record.acceptedNum).toBe(1n);
    expect(eff.sendNow.length).toBe(2);
    expect(eff.send.length).toBe(0);
    net.apply(0, eff);
    net.run();
    expect(net.chosenValue(2, E, 2n)).toBe('v2');
  });

  it('without PreAuth the proposer runs both phases', () => {
    const net = new CoreNet(5, { enablePreAuth: false });
    net.write(0, E, 'v1');
    expect(net.plog[0]!.get(`${E}:1`)!.acceptedNum).toBe(0n);
    net.run();
    for (let i = 0; i < 5; i++) expect(net.chosenValue(i, E, 1n)).toBe('v1');
  });

  it('a non-winner proposes with phase 1; the last winner then holds PreAuth', () => {
    const net = new CoreNet(5);
    net.write(3, E, 'from3');
    expect(net.plog[3]!.get(`${E}:1`)!.acceptedNum).toBe(0n);
    net.run();
    expect(net.chosenValue(1, E, 1n)).toBe('from3');
    net.write(3, E, 'again3');
    expect(net.plog[3]!.get(`${E}:2`)!.acceptedNum).toBe(4n); // reserved number of acceptor 3
    net.run();
    expect(net.chosenValue(4, E, 2n)).toBe('again3');
  });

  it('two concurrent proposers: one value is chosen everywhere, and the higher ballot wins the race of phase 1', () => {
    const net = new CoreNet(5, { enablePreAuth: false });
    net.write(1, E, 'low');
    net.write(4, E, 'high'); // ballot 5 > 2
    net.run();
    const vals = new Set<string | null | undefined>();
    for (let i = 0; i < 5; i++) vals.add(net.chosenValue(i, E, 1n));
    expect(vals.size).toBe(1);
    expect([...vals][0]).toBe('high');
    expect(net.chosen[4]!.get(`${E}:1`)!.mine).toBe(true);
    expect(net.chosen[1]!.get(`${E}:1`)!.mine).toBe(false);
  });

  it('succeeds with 2 of 4 messages dropped in each phase', () => {
    const net = new CoreNet(5, { enablePreAuth: false });
    // proposer 0's messages to 3 and 4 are lost in both phases
    net.drop = (d) => d.from === 0 && (d.to === 3 || d.to === 4);
    net.write(0, E, 'lossy');
    net.run();
    for (const i of [0, 1, 2]) expect(net.chosenValue(i, E, 1n)).toBe('lossy');
    // acceptors answer the proposer only and its commit notices to 3 and 4 were lost too:
    // they know nothing yet, and learn the entry from the next message that says it is chosen
    for (const i of [3, 4]) expect(net.chosenValue(i, E, 1n)).toBeUndefined();
    net.drop = () => false;
    net.write(0, E, 'next');
    net.run();
    for (const i of [3, 4]) expect(net.chosenValue(i, E, 1n)).toBe('lossy');
    for (let i = 0; i < 5; i++) expect(net.chosenValue(i, E, 2n)).toBe('next');
  });

  it('re-sends its record while a majority is unreachable, and succeeds once healed', () => {
    const net = new CoreNet(5, { enablePreAuth: false });
    let cut = true;
    net.drop = (d) => cut && (d.to >= 2 || d.from >= 2);
    net.write(0, E, 'slow');
    net.run();
    expect(net.chosenValue(0, E, 1n)).toBeUndefined();
    const first = net.plog[0]!.get(`${E}:1`)!.preparedNum;
    net.tick(1000);
    net.run();
    net.tick(1000);
    net.run();
    // nobody promised higher: the round is re-sent, not restarted (no self-livelock)
    expect(net.plog[0]!.get(`${E}:1`)!.preparedNum).toBe(first);
    cut = false;
    net.tick(5000);
    net.run();
    for (let i = 0; i < 5; i++) expect(net.chosenValue(i, E, 1n)).toBe('slow');
  });

  it('retries with a higher ballot once a rival promised above it', () => {
    const net = new CoreNet(3, { enablePreAuth: false });
    // replica 2's prepare reaches everyone; its accept phase never happens (it goes silent)
    net.write(0, E, 'mine');
    const b0 = net.plog[0]!.get(`${E}:1`)!.preparedNum;
    net.queue = []; // replica 0's prepare is lost
    net.write(2, E, 'rival');
    net.drop = (d) => d.from === 2 && d.msg.kind === 'paxos' && d.msg.cmd.srcRecord.acceptedNum > 0n;
    net.run();
    net.drop = (d) => d.from === 2 || d.to === 2;
    net.tick(1000); // re-send: replica 1 answers with its higher promise
    net.run();
    net.tick(2000); // now a rival is visible: higher ballot
    net.run();
    expect(net.plog[0]!.get(`${E}:1`)!.preparedNum > b0).toBe(true);
    net.tick(5000);
    net.run();
    expect(net.chosenValue(0, E, 1n)).toBeDefined();
    expect(net.chosenValue(1, E, 1n)).toBe(net.chosenValue(0, E, 1n));
  });
});

describe('reads', () => {
  it('check-empty: an empty majority makes the read safe in one round trip', () => {
    const net = new CoreNet(3);
    net.write(0, E, 'a');
    net.run();
    net.read(1, E, 7);
    expect(net.reads).toHaveLength(0);
    net.run();
    expect(net.reads).toEqual([{ replica: 1, entityId: E, readId: 7, upTo: 1n }]);
    expect(net.chosenValue(1, E, 2n)).toBeUndefined(); // no Paxos round for the read
  });

  it('write-for-read when a peer holds a record for the next entry', () => {
    const net = new CoreNet(3, { enablePreAuth: false });
    net.write(0, E, 'a');
    net.run();
    // replica 2 starts entry 2 but its accept never leaves
    net.drop = (d) => d.from === 2 && d.msg.kind === 'paxos' && d.msg.cmd.srcRecord.acceptedNum > 0n;
    net.write(2, E, 'b');
    net.run();
    net.drop = () => false;
    net.read(1, E, 9);
    net.run();
    const r = net.reads.find((x) => x.readId === 9)!;
    expect(r.upTo).toBe(2n);
    expect(net.chosen[1]!.get(`${E}:2`)).toBeDefined();
  });

  it('a read on a replica that missed entries catches up first', () => {
    const net = new CoreNet(3);
    net.drop = (d) => d.to === 2;
    for (const v of ['a', 'b', 'c']) {
      net.write(0, E, v);
      net.run();
    }
    net.drop = () => false;
    expect(net.entity(2, E).maxChosen).toBe(0n);
    net.read(2, E, 1);
    net.run();
    expect(net.entity(2, E).maxChosen).toBe(3n);
    expect(net.chosenValue(2, E, 3n)).toBe('c');
    // the first probe saw a newer chosen entry; the read is served once caught up
    net.tick(1000);
    net.run();
    expect(net.reads.find((r) => r.readId === 1)!.upTo).toBe(3n);
  });
});

describe('entity helper: catch-up', () => {
  it('a message for a later entry makes the receiver catch up in bounded groups', () => {
    const net = new CoreNet(3, { maxCatchUpNum: 2 });
    net.drop = (d) => d.to === 2 || d.from === 2;
    for (let k = 0; k < 5; k++) {
      net.write(0, E, `v${k}`);
      net.run();
    }
    net.drop = () => false;
    const reqs: number[] = [];
    const orig = net.drop;
    net.drop = (d) => {
      if (d.msg.kind === 'catchUpReq' && d.from === 2) reqs.push(Number(d.msg.fromEntry));
      return orig(d);
    };
    net.write(0, E, 'v5'); // entry 6 reaches replica 2, which is at 0
    net.run();
    expect(net.entity(2, E).maxChosen).toBe(6n);
    expect(reqs.slice(0, 3)).toEqual([1, 3, 5]);
    for (let k = 1n; k <= 6n; k++) expect(net.chosenValue(2, E, k)).toBe(net.chosenValue(0, E, k));
  });

  it('an expired plog at the peer leads to GetAll', () => {
    const net = new CoreNet(3);
    net.drop = (d) => d.to === 2 || d.from === 2;
    net.write(0, E, 'a');
    net.run();
    net.drop = () => false;
    for (const p of [0, 1]) net.plog[p]!.delete(`${E}:1`); // expired and applied
    net.write(0, E, 'b');
    net.run();
    expect(net.getAlls.map((g) => g.replica)).toContain(2);
    expect(net.entity(2, E).getAllInProgress).toBe(true);
    net.entity(2, E).getAllDone(2n, true, net.now);
    expect(net.entity(2, E).maxChosen).toBe(2n);
  });

  it('write-turn: the next entry is maxChosen + 1 and the winner id is tracked', () => {
    const net = new CoreNet(3);
    net.write(1, E, 'x');
    net.run();
    expect(net.entity(2, E).maxChosen).toBe(1n);
    expect(net.entity(2, E).lastWinner).toBe(1);
  });
});
