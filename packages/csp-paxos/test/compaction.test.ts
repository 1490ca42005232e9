// Issue 18 item 3: the acceptor log is compacted (a snapshot of the state above the chosen
// prefix replaces it), so a node that ran longer than the compaction threshold restarts from
// a small log and keeps every committed slot; the cluster goes on with the rules intact.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@quorumkit/test-harness';
import { describe, expect, it } from 'vitest';
import { checkDir } from '../src/cli/checkDir.js';
import { type NodeOptions } from '../src/server/node.js';
import { localCommittee, localNodes } from './helpers/localNodes.js';
import { parseAcceptorLog } from '../src/storage/acceptorLog.js';

const local = localNodes();
const startNode = (opts: NodeOptions) => local.start(opts);

const EVERY = 300;
const KEEP = 50;

describe('acceptor log compaction', () => {
  it('a log past the threshold is replaced by a snapshot; the node restarts from it with every committed slot', async () => {
    const { committee, logDir } = await localCommittee(3, 'csp-paxos-compact-');
    const opts = (id: number, bootstrap = false): NodeOptions => ({
      id, committee, logDir, bootstrap,
      core: { generate: true, interval: 100, timeoutMs: 800, retryMs: 50, compactEverySlots: EVERY, lagSlotsMax: KEEP },
    });
    const nodes = await Promise.all([0, 1, 2].map((i) => startNode(opts(i, true))));
    const target = EVERY * 4;
    await waitFor(() => nodes.every((n) => n.statusSnapshot().commitIndex >= target), { timeoutMs: 60_000, what: `every node commits ${target} slots` });
    const n1 = nodes[1]!;
    expect(n1.statusSnapshot().compactions).toBeGreaterThan(0);
    await n1.stop();
    const before = n1.statusSnapshot().commitIndex;
    const { records } = parseAcceptorLog(readFileSync(join(logDir, 'data1', 'acceptor.log'), 'utf8'));
    // A snapshot (base, promise, the entries above the base) plus what came after it: far fewer
    // records than the slots this node accepted.
    expect(records[0]).toMatchObject({ t: 'c' });
    expect((records[0] as { base: number }).base).toBeGreaterThan(0);
    expect(records.length).toBeLessThan(EVERY * 2 + KEEP + 200);
    expect(before).toBeGreaterThanOrEqual(target);

    const back = await startNode(opts(1));
    expect(back.statusSnapshot().voting).toBe(true);
    expect(back.statusSnapshot().commitIndex).toBeGreaterThanOrEqual(before);
    expect(back.cores!.follower.base).toBeGreaterThan(0);
    const again = before + EVERY;
    await waitFor(() => [nodes[0]!, back, nodes[2]!].every((n) => n.statusSnapshot().commitIndex >= again), { timeoutMs: 60_000, what: 'the cluster goes on after the restart' });
    for (const n of [nodes[0]!, back, nodes[2]!]) await n.stop();
    const r = checkDir(logDir, 3);
    expect(r.ok, r.report).toBe(true);
  }, 180_000);
});
