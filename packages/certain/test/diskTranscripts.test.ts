// Regression transcripts for issue 16, scripted step by step on the pure core with real disk
// semantics (test/diskNet.ts): a persist is durable only after the replica's flush, a crash
// loses what was not flushed, a wipe loses the disk. Invariants: at most one value is
// chosen per (entity, entry), and every acknowledged write is in the chosen log.
import { describe, expect, it } from 'vitest';
import { DiskNet, between, to } from './diskNet.js';

const E = 5n;
const P = 0;
const A = 1;
const B = 2;

function expectAckedInLog(net: DiskNet): void {
  for (const w of net.acked) expect(net.chosen.get(`${w.entityId}:${w.entry}`)).toBe(w.value);
}

describe('bug 1: a PreAuth accept counted before the proposer made it durable', () => {
  // LocalAcceptFirst=false (the default): P's PreAuth accept for entry 2 leaves while P is
  // still writing it. B is unreachable, the accept reaches A, P crashes before its fsync. If
  // A counts P's slot it declares V1 chosen; P restarts without the record, B returns, and
  // P + B choose V2 for the same entry.
  it('never two values for entry 2', () => {
    const net = new DiskNet(3);
    net.write(P, E, 'V0'); // P wins entry 1 in this incarnation: it holds PreAuth for entry 2
    net.settle();
    expect(net.chosen.get(`${E}:1`)).toBe('V0');
    net.tick(1);

    net.write(P, E, 'V1'); // PreAuth accept, sent together with the persist
    expect(net.pending[P]![0]!.persist[0]!.record.acceptedNum).toBe(1n);
    net.drop(to(B));
    expect(net.deliver(between(P, A))).toBe(true);
    net.flush(A);
    net.crash(P); // before P's fsync: its accept of V1 is gone
    net.drop((d) => d.to === P || d.from === A); // A is cut off from now on

    net.write(P, E, 'V2'); // restarted P holds no record for entry 2: phase 1 without PreAuth
    net.settle((d) => d.to === A || d.from === A);
    expect(net.chosen.get(`${E}:2`)).toBe('V2');

    // heal; the next write reaches A, which catches up on the one value of entry 2
    net.settle();
    net.write(P, E, 'V3');
    for (let k = 0; k < 20 && net.entity(A, E).maxChosen < 3n; k++) {
      net.settle();
      net.tick(500);
    }
    expect(net.entity(A, E).maxChosen).toBe(3n);
    expect(net.chosen.get(`${E}:3`)).toBe('V3');
    expectAckedInLog(net);
  });

  it('a normal-ballot accept sent before the proposer persisted it is not a vote either', () => {
    // Same hole on phase 2: P's own accept of V1 at its normal ballot leaves with the persist.
    const net = new DiskNet(3, { enablePreAuth: false });
    net.write(P, E, 'V1');
    net.flush(P); // the promise of P's ballot is durable; prepares leave
    net.drop(to(B));
    net.deliver(between(P, A)); // A promises
    net.flush(A);
    net.deliver(between(A, P)); // P has a majority of promises: accepts V1 (not yet durable)
    net.drop(to(B));
    expect(net.deliver(between(P, A))).toBe(true); // the accept reaches A
    net.flush(A);
    net.crash(P);
    net.drop((d) => d.to === P || d.from === A);

    net.write(P, E, 'V2');
    net.settle((d) => d.to === A || d.from === A);
    expect(net.chosen.get(`${E}:1`)).toBe('V2');
    net.settle();
    expectAckedInLog(net);
  });
});

describe('bug 2: a wiped replica votes at once', () => {
  // B is down; P and A choose V1 (acknowledged); A is killed and its disk deleted; A
  // restarts empty, B returns, and (P slow) B + A choose V2 for the same entry — unless A
  // is a non-voting learner until it has learnt the horizon from every other replica.
  function schedule(net: DiskNet): void {
    net.write(P, E, 'V1');
    net.settle((d) => d.to === B || d.from === B);
    expect(net.chosen.get(`${E}:1`)).toBe('V1');
    expect(net.acked.length).toBe(1);

    net.wipe(A);
    net.write(B, E, 'V2'); // B was down: its next entry is 1
    net.settle((d) => d.to === P || d.from === P);
    expect(net.chosen.get(`${E}:1`)).toBe('V1');
    expectAckedInLog(net);
  }

  it.fails('without recovery mode (the original behaviour) two values are chosen', () => {
    schedule(new DiskNet(3));
  });

  it('with recovery mode: never two values, and the wiped replica votes again once recovered', () => {
    const net = new DiskNet(3, {}, { recovery: true });
    schedule(net);
    expect(net.isRecovering(A)).toBe(true);
    expect(net.write(A, E, 'refused')).toBe(false); // a learner takes no client writes
    for (let k = 0; k < 40 && (net.isRecovering(A) || net.entity(B, E).busy); k++) {
      net.tick(100);
      net.settle();
    }
    expect(net.isRecovering(A)).toBe(false);
    for (let i = 0; i < 3; i++) expect(net.entity(i, E).maxChosen).toBe(1n);
    // A votes again: a write there is chosen, with A in the quorum (P is cut off)
    expect(net.write(A, E, 'V3')).toBe(true);
    net.settle((d) => d.to === P || d.from === P);
    expect(net.chosen.get(`${E}:2`)).toBe('V3');
    expectAckedInLog(net);
  });

  it('a wiped replica waits while another replica is down (the horizon needs every other replica)', () => {
    const net = new DiskNet(3, {}, { recovery: true });
    net.write(P, E, 'V1');
    net.settle();
    net.wipe(A);
    for (let k = 0; k < 10; k++) {
      net.tick(100);
      net.settle((d) => d.to === B || d.from === B);
    }
    expect(net.isRecovering(A)).toBe(true);
    expect(net.entity(A, E).learner).toBe(true);
    for (let k = 0; k < 10 && net.isRecovering(A); k++) {
      net.tick(100);
      net.settle();
    }
    expect(net.isRecovering(A)).toBe(false);
    expect(net.entity(A, E).maxChosen).toBe(1n);
  });

  it('messages from the pre-wipe incarnation are fenced', () => {
    const net = new DiskNet(3, {}, { recovery: true });
    net.write(P, E, 'V1');
    net.flushAll();
    const stale = net.queue.filter((d) => d.from === P).map((d) => ({ ...d, from: A, to: d.to === A ? B : d.to }));
    expect(stale.length).toBeGreaterThan(0);
    net.settle();
    net.wipe(A);
    for (let k = 0; k < 10 && net.isRecovering(A); k++) {
      net.tick(100);
      net.settle();
    }
    expect(net.isRecovering(A)).toBe(false);
    const before = net.fenced;
    for (const d of stale) net.receive({ ...d, inc: 1 });
    expect(net.fenced - before).toBe(stale.length);
  });
});
