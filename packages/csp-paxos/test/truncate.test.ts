// Issue 18 item 3 (the rest of it): the instance log, the values log and the learner's memory
// are truncated with the acceptor log, so none of them grows with the length of the run, a
// restart replays only the retained tail, and a follower that fell behind every peer's base
// catches up from a peer's snapshot (it jumps to the base) instead of slot 0.
import { readFileSync } from 'node:fs';
import { waitFor } from '@quorumkit/test-harness';
import { describe, expect, it } from 'vitest';
import { NodeConnection } from '../src/client/client.js';
import { checkDir } from '../src/cli/checkDir.js';
import { type NodeOptions } from '../src/server/node.js';
import { instanceLogPath } from '../src/storage/instanceLog.js';
import { localCommittee, localNodes } from './helpers/localNodes.js';

const local = localNodes();
const startNode = (opts: NodeOptions) => local.start(opts);

const EVERY = 300;
const KEEP = 50;

const lineCount = (path: string): number => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').length;

describe('instance log truncation and bounded learner memory', () => {
  it('logs and memory stay bounded, a restart keeps its commit index, a far-behind follower catches up from a snapshot', async () => {
    const { ports, committee, logDir } = await localCommittee(3, 'csp-paxos-trunc-');
    const opts = (id: number, bootstrap = false): NodeOptions => ({
      id, committee, logDir, bootstrap,
      core: { generate: true, interval: 100, timeoutMs: 800, retryMs: 50, compactEverySlots: EVERY, lagSlotsMax: KEEP },
    });
    const nodes = await Promise.all([0, 1, 2].map((i) => startNode(opts(i, true))));
    // Node 2 goes down early and stays down while the others run far past several truncations.
    await waitFor(() => nodes[2]!.statusSnapshot().commitIndex >= 50, { timeoutMs: 60_000, what: 'node 2 commits' });
    await nodes[2]!.stop();
    const behind = nodes[2]!.statusSnapshot().commitIndex;
    const target = behind + EVERY * 6;
    await waitFor(() => [nodes[0]!, nodes[1]!].every((n) => n.statusSnapshot().commitIndex >= target), { timeoutMs: 90_000, what: `nodes 0 and 1 commit ${target} slots` });

    // Bounded: memory and both logs hold at most one compaction period plus the kept tail.
    const bound = EVERY + KEEP + 2 * 512 + 200;
    for (const n of [nodes[0]!, nodes[1]!]) {
      const learner = n.cores!.consensus;
      expect(learner.base).toBeGreaterThan(behind);
      expect(learner.committed.length).toBeLessThan(bound);
      expect(learner.commitIndex - learner.base).toBe(learner.committed.length);
    }
    await nodes[1]!.stop();
    const before = nodes[1]!.statusSnapshot().commitIndex;
    const lines1 = lineCount(instanceLogPath(logDir, 1));
    expect(lines1).toBeLessThan(2 * bound);

    // A restart replays the retained tail only and keeps its commit index.
    const back1 = await startNode(opts(1));
    expect(back1.statusSnapshot().voting).toBe(true);
    expect(back1.statusSnapshot().commitIndex).toBe(before);
    expect(back1.cores!.consensus.base).toBeGreaterThan(0);

    // Node 2 is behind every peer's base: it jumps to a base and follows from there.
    const back2 = await startNode(opts(2));
    const again = before + EVERY;
    await waitFor(() => [nodes[0]!, back1, back2].every((n) => n.statusSnapshot().commitIndex >= again), { timeoutMs: 90_000, what: 'the cluster goes on and node 2 caught up' });
    expect(back2.cores!.consensus.base).toBeGreaterThan(behind);

    // Reading below a node's base is refused with a named error; from the base it answers.
    // Node 0 alone (no majority) commits and truncates no more, so its base stays put.
    for (const n of [back1, back2]) await n.stop();
    const c = await NodeConnection.open(ports[0]!);
    try {
      const base0 = nodes[0]!.cores!.consensus.base;
      await expect(c.request({ c: 'read', from: 0, max: 10 })).resolves.toMatchObject({ ok: false, code: 'COMPACTED', base: base0 });
      const { entries } = await c.read(base0, 5);
      expect(entries[0]?.slot).toBe(base0);
    } finally {
      c.close();
    }
    await nodes[0]!.stop();
    const r = checkDir(logDir, 3);
    expect(r.ok, r.report).toBe(true);
  }, 240_000);
});
