// Issue 18 item 5 (the window left open): a client retry racing a leader change. The same
// (client, seq) key is proposed by the old leader (accepted only by its own acceptor, the
// proposal outlives the leader) and retried on the new leader, which commits it at an earlier
// slot; a third leader's read then finds the old proposal and must impose it (it may have been
// chosen), so the key is chosen at two slots. Exactly once in the log means: the value's data
// appears once in what users read (the learner treats the later slot as a duplicate, the same
// way on every replica), and both clients are answered with the first slot.
import { describe, expect, it } from 'vitest';
import { CoreNode } from '../src/core/node.js';
import { CORE_DEFAULTS, type CoreConfig, type LogLine, type Msg } from '../src/core/types.js';

interface Wire {
  nodes: CoreNode[];
  lines: LogLine[][];
  replies: Array<Map<number, number>>;
  cut: Set<number>;
  now: number;
  queue: Msg[];
}

function cluster(n: number, core: Partial<CoreConfig>): Wire {
  const w: Wire = { nodes: [], lines: [], replies: [], cut: new Set(), now: 1000, queue: [] };
  for (let id = 0; id < n; id++) {
    const cfg: CoreConfig = { ...CORE_DEFAULTS, id, n, generate: false, interval: 1_000_000, timeoutMs: 100, retryMs: 20, catchupMs: 20, ...core };
    w.lines.push([]);
    w.replies.push(new Map());
    let c = 0;
    w.nodes.push(
      new CoreNode(cfg, { acceptor: { promised: -1, accepted: [] }, committed: [] }, () => `g${id}.${c++}`, {
        persist: () => undefined,
        send: (m) => w.queue.push(m),
        line: (l) => w.lines[id]!.push(l),
        reply: (ref, slot) => w.replies[id]!.set(ref, slot),
      }, w.now),
    );
  }
  for (const node of w.nodes) node.start(w.now);
  return w;
}

/** Delivers what is queued (dropping anything to or from a cut node), then ticks, until `done`. */
function runUntil(w: Wire, done: () => boolean, what: string): void {
  for (let step = 0; step < 2000; step++) {
    if (done()) return;
    while (w.queue.length > 0) {
      const m = w.queue.shift()!;
      if (w.cut.has(m.from) || w.cut.has(m.to)) continue;
      w.nodes[m.to]!.deliver(m, w.now);
    }
    if (done()) return;
    w.now += 10;
    for (let i = 0; i < w.nodes.length; i++) if (!w.cut.has(i)) w.nodes[i]!.tick(w.now);
  }
  throw new Error(`never happened: ${what}`);
}

const K = 'retried-key';

describe('a client retry racing a leader change', () => {
  it('the value is in the readable log once, on every replica, and every client is answered with its slot', () => {
    const w = cluster(3, {});
    runUntil(w, () => w.nodes[0]!.proposer.phase === 'streaming', 'node 0 leads round 0');
    w.nodes[0]!.clientPropose('a-key', 'A', 1, w.now);
    runUntil(w, () => w.nodes.every((x) => x.learner.commitIndex >= 1), 'slot 0 committed everywhere');

    // The old leader proposes X (slot 1) and the client's value K (slot 2); only its own
    // acceptor hears of them before it is cut off.
    w.cut.add(0);
    w.nodes[0]!.clientPropose('x-key', 'X', 2, w.now);
    w.nodes[0]!.clientPropose(K, 'K', 3, w.now);
    expect([...w.nodes[0]!.acceptor.snapshot()].some((r) => r.t === 'a' && r.e.key === K && r.e.slot === 2)).toBe(true);

    // Nodes 1 and 2 move on; node 1 leads round 1 and the client retries K there (same key).
    runUntil(w, () => w.nodes[1]!.proposer.phase === 'streaming' && w.nodes[1]!.proposer.round >= 1, 'node 1 leads');
    w.nodes[1]!.clientPropose(K, 'K', 4, w.now);
    runUntil(w, () => [1, 2].every((i) => w.nodes[i]!.learner.commitIndex >= 2), 'the retry committed at slot 1');
    expect(w.nodes[1]!.learner.committed[1]).toMatchObject({ key: K, data: 'K' });

    // Node 1 goes away, node 0 comes back: node 2 leads and its read finds K at slot 2 (round 0).
    w.cut.clear();
    w.cut.add(1);
    runUntil(w, () => [0, 2].every((i) => w.nodes[i]!.learner.commitIndex >= 3), 'slot 2 committed on nodes 0 and 2');
    w.cut.clear();
    // A quiet cluster tells nobody of slot 2 again: one more value makes node 1 catch up.
    w.nodes[2]!.clientPropose('z-key', 'Z', 5, w.now);
    runUntil(w, () => w.nodes.every((x) => x.learner.commitIndex >= 4), 'every node committed slots 2 and 3');

    // Slot 2 holds K again (Paxos must impose what it read), but K's data is there once.
    for (let i = 0; i < 3; i++) {
      const l = w.nodes[i]!.learner;
      expect(l.committed[2]!.key).toBe(K);
      expect(l.committed.filter((e) => e.key === K && e.data !== undefined).map((e) => e.slot)).toEqual([1]);
      expect(w.lines[i]!.filter((x) => x.kind === 'commit' && x.key === K && x.data !== undefined).map((x) => x.slot)).toEqual([1]);
    }
    expect(w.replies[1]!.get(4)).toBe(1);
    expect(w.replies[0]!.get(3)).toBe(1);
  });
});
