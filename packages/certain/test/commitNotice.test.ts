// Acceptors answer the proposer only; the proposer tells them what was chosen by a commit
// notice (entry + value id, no value) or the same fact piggybacked on its next PaxosCmd.
// An acceptor marks its own accepted record chosen when the value id matches. Two schedules
// the simulation found while this was built are kept here as transcripts.
import { describe, expect, it } from 'vitest';
import { EntityCore, defaultReplicaConfig, type EntityMsg } from '../src/core/index.js';
import { CoreNet } from './coreNet.js';

const E = 7n;
const enc = new TextEncoder();

/**
 * Three replicas; entry 1 ('v1') chosen through phase 1 (a fresh core never starts with
 * PreAuth), then acceptor 0's PreAuth accepts of entry 2 ('v2') queued, not yet delivered.
 */
function secondWriteQueued(): CoreNet {
  const net = new CoreNet(3, { localAcceptFirst: false });
  net.write(0, E, 'v1');
  net.run();
  net.write(0, E, 'v2');
  return net;
}

/** Take the queued deliveries to replica `to` out of the queue. */
function takeQueuedTo(net: CoreNet, to: number): CoreNet['queue'] {
  const taken = net.queue.filter((d) => d.to === to);
  net.queue = net.queue.filter((d) => d.to !== to);
  return taken;
}

describe('commit notices', () => {
  it('two messages per entry on the critical path, and the acceptors learn the value from the notice', () => {
    const net = secondWriteQueued(); // PreAuth on entry 2: accept, reply, notice
    const kinds: string[] = [];
    while (net.queue.length > 0) {
      const d = net.queue[0]!;
      kinds.push(d.msg.kind === 'paxos' ? `${d.from}->${d.to} paxos${d.msg.cmd.srcRecord.chosen ? ' chosen' : ''}` : `${d.from}->${d.to} ${d.msg.kind}`);
      net.deliver(0);
    }
    expect(kinds.sort()).toEqual(['0->1 commit', '0->1 paxos', '0->2 commit', '0->2 paxos', '1->0 paxos', '2->0 paxos']);
    for (let i = 0; i < 3; i++) expect(net.chosenValue(i, E, 2n)).toBe('v2');
  });

  it('a lost commit notice: an acceptor holding an undecided accept asks the proposer and learns the entry (found by the certain-burst e2e)', () => {
    // Under a burst a PeerLink batch can fail after its retries, losing a notice. With nothing
    // more written to the entity, replica 2 would keep entry 2 accepted-but-undecided forever
    // and its data store would never hold an acknowledged write.
    const net = secondWriteQueued();
    net.drop = (d) => d.to === 2 && d.msg.kind === 'commit';
    net.run();
    net.drop = () => false;
    expect(net.chosenValue(0, E, 2n)).toBe('v2');
    expect(net.entity(2, E).maxChosen).toBe(1n);
    expect(net.entity(2, E).machine.own.acceptedNum).toBeGreaterThan(0n);
    const cfg = net.cfg(2);
    for (let t = 0; t < 4 * cfg.catchUpTimeoutMs && net.chosenValue(2, E, 2n) === undefined; t += 50) {
      net.tick(50);
      net.run();
    }
    expect(net.chosenValue(2, E, 2n)).toBe('v2');
    expect(net.entity(2, E).maxChosen).toBe(2n);
  });

  it('an undecided accept whose proposer never finishes is asked about with backoff, not every tick', () => {
    const net = secondWriteQueued();
    // only the accept to replica 2 arrives; the proposer then goes silent (crashed)
    const toTwo = takeQueuedTo(net, 2);
    net.queue = [];
    for (const d of toTwo) net.apply(2, net.entity(2, E).onMessage(d.msg, net.now, 0.5));
    net.queue = [];
    expect(net.entity(2, E).machine.own.acceptedNum).toBeGreaterThan(0n);
    net.drop = (d) => d.from === 0 || d.to === 0;
    let asks = 0;
    const horizon = 60 * net.cfg(2).catchUpTimeoutMs;
    for (let t = 0; t < horizon; t += 50) {
      net.tick(50);
      asks += net.queue.filter((d) => d.from === 2 && d.msg.kind === 'catchUpReq').length;
      net.queue = net.queue.filter((d) => d.from === 2); // only replica 2 acts here
      net.run();
    }
    expect(asks).toBeGreaterThan(0);
    expect(asks).toBeLessThan(15); // ~every catchUpTimeoutMs would be ~60
  });

  it('a piggybacked commit on a message about that same entry never reaches the next entry (found by the simulation)', () => {
    // Replica 1 holds acceptor 0's accept of entry 1 and has not heard it is chosen; then the
    // proposer's own chosen record of entry 1 arrives, which says "chosen up to 1" with the
    // value id. Replica 1 marks entry 1 chosen; the message itself must not be fed to the
    // machine of entry 2 (it would accept entry 1's value as entry 2's).
    const net = secondWriteQueued();
    const toOne = takeQueuedTo(net, 1);
    net.drop = (d) => d.to === 1; // replica 1 hears nothing of entry 2 yet (nor the notice)
    while (net.queue.length > 0) net.deliver(0);
    net.drop = () => false;
    expect(net.chosenValue(0, E, 2n)).toBe('v2');
    expect(net.entity(1, E).maxChosen).toBe(1n);
    const accept = toOne.find((d) => d.msg.kind === 'paxos')!;
    net.apply(1, net.entity(1, E).onMessage(accept.msg, 0, 0.5));
    net.queue = net.queue.filter((d) => d.to !== 0); // its reply is lost
    const own = net.entity(0, E).lastChosen!.record;
    const chosenRecord: EntityMsg = {
      kind: 'paxos',
      cmd: {
        header: { uuid: 1n, entityId: E, entry: 2n, result: 0 }, srcAcceptorId: 0, destAcceptorId: 1,
        srcRecord: own, srcDurable: true, destRecord: own, maxChosenEntry: 2n, maxChosenValueId: own.valueId, checkEmpty: false, quickRsp: false,
      },
    };
    net.apply(1, net.entity(1, E).onMessage(chosenRecord, 0, 0.5));
    expect(net.chosenValue(1, E, 2n)).toBe('v2');
    expect(net.entity(1, E).maxChosen).toBe(2n);
    expect(net.entity(1, E).machine.own.acceptedNum).toBe(0n); // entry 3 untouched
  });

  it('a restarted winner does not reuse its PreAuth ballot (same ballot, same value id, another value; found by the simulation)', () => {
    // Acceptor 0 won entry 1 and sent its PreAuth accept of v2 for entry 2 (not durable yet);
    // only replica 1 got it. 0 crashes losing both its accept and its chosen record of entry 1,
    // restarts, learns entry 1 again from replica 2 and writes v3 for entry 2. With the
    // PreAuth ballot again, 0 and 2 would choose v3 under the ballot and value id replica 1
    // holds v2 with, and 0's commit notice would make replica 1 take v2 as chosen.
    const net = secondWriteQueued();
    const toOne = net.queue.filter((d) => d.from === 0 && d.to === 1);
    net.queue = [];
    for (const d of toOne) net.apply(1, net.entity(1, E).onMessage(d.msg, 0, 0.5));
    net.queue = net.queue.filter((d) => d.to !== 0); // 0 is down
    // restart of 0 with nothing durable of entries 1 and 2
    net.replicas[0]!.set(E, new EntityCore({ ...defaultReplicaConfig, localAcceptFirst: false, acceptorId: 0, acceptorNum: 3 }, E, 0n, undefined, 0));
    net.plog[0]!.clear();
    net.chosen[0]!.clear();
    net.drop = (d) => d.to === 1 && d.msg.kind !== 'commit'; // replica 1 is cut off but for notices
    net.write(0, E, 'v-entry1-retry'); // learns entry 1 is v1 (catch-up), its write conflicts
    net.run();
    net.tick(2000);
    net.run();
    expect(net.chosenValue(0, E, 1n)).toBe('v1');
    net.write(0, E, 'v3');
    net.run();
    net.tick(2000);
    net.run();
    const values = new Set([0, 1, 2].map((i) => net.chosenValue(i, E, 2n)).filter((v) => v !== undefined));
    expect(values.size).toBe(1);
    expect(net.chosenValue(0, E, 2n)).toBeDefined();
  });
});

describe('the piggybacked commit', () => {
  it('an acceptor that missed the notice learns the entry from the next accept', () => {
    const net = new CoreNet(3, { localAcceptFirst: false });
    net.write(0, E, 'v1');
    net.run();
    net.drop = (d) => d.msg.kind === 'commit';
    net.write(0, E, 'v2');
    net.run();
    expect(net.chosenValue(1, E, 2n)).toBeUndefined();
    net.drop = () => false;
    const core = net.entity(0, E);
    net.apply(0, core.write(3n, { value: enc.encode('v3'), uuids: [] }, 0, 0.5));
    net.run();
    for (let i = 0; i < 3; i++) expect(net.chosenValue(i, E, 2n)).toBe('v2');
    for (let i = 0; i < 3; i++) expect(net.chosenValue(i, E, 3n)).toBe('v3');
    expect(net.queue.length).toBe(0);
  });
});
