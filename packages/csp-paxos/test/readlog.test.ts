// Issue 18 item 5: every replica keeps the data of committed client values (also across a
// restart), the log can be read and followed from any slot, and a proposal with a client id and
// sequence number cannot commit twice however often it is retried, on whichever node.
import { waitFor } from '@quorumkit/test-harness';
import { describe, expect, it } from 'vitest';
import { NodeConnection, propose } from '../src/client/client.js';
import { checkDir } from '../src/cli/checkDir.js';
import { type NodeOptions } from '../src/server/node.js';
import { localCommittee, localNodes } from './helpers/localNodes.js';

const local = localNodes();
const startNode = (opts: NodeOptions) => local.start(opts);

describe('a log users can read', () => {
  it('read/tail return the data on every node, a restart keeps it, and an idempotent retry commits once', async () => {
    const { ports, committee, logDir } = await localCommittee(3, 'csp-paxos-read-');
    const opts = (id: number, bootstrap = false): NodeOptions => ({ id, committee, logDir, bootstrap, core: { generate: false, timeoutMs: 800, retryMs: 50, interval: 1_000_000 } });
    const nodes = await Promise.all([0, 1, 2].map((i) => startNode(opts(i, true))));

    const slots: number[] = [];
    for (let k = 0; k < 5; k++) slots.push(await propose(`value-${k}`, { ports: [ports[k % 3]!], timeoutMs: 20_000 }));
    // The same (client, seq) retried on every node: one slot, answered each time.
    const idem = { client: 'writer-1', seq: 7 };
    const first = await propose('once', { ports: [ports[0]!], timeoutMs: 20_000, ...idem });
    const again = await Promise.all(ports.map((p) => propose('once', { ports: [p], timeoutMs: 20_000, ...idem })));
    expect(again).toEqual([first, first, first]);
    const other = await propose('twice?', { ports: [ports[1]!], timeoutMs: 20_000, client: 'writer-1', seq: 8 });
    expect(other).not.toBe(first);
    const top = Math.max(...slots, first, other);
    await waitFor(() => nodes.every((n) => n.statusSnapshot().commitIndex > top), { timeoutMs: 20_000, what: 'every node committed everything' });

    for (const p of ports) {
      const c = await NodeConnection.open(p);
      try {
        const { entries } = await c.read(0, 100);
        expect(entries.map((e) => e.data)).toEqual([...[0, 1, 2, 3, 4].map((k) => `value-${k}`), 'once', 'twice?']);
        expect(entries.map((e) => e.slot)).toEqual(entries.map((_e, i) => i));
        expect((await c.read(first, 1)).entries).toEqual([expect.objectContaining({ slot: first, data: 'once' })]);
        await expect(c.request({ c: 'read', from: -1 })).resolves.toMatchObject({ ok: false, code: 'BAD_REQUEST' });
      } finally {
        c.close();
      }
    }

    // A restarted node still has the data (values log), not only the keys.
    await nodes[2]!.stop();
    const back = await startNode(opts(2));
    const c = await NodeConnection.open(ports[2]!);
    try {
      expect((await c.read(0, 100)).entries.map((e) => e.data)).toContain('once');
      // tail follows new commits from the end of the log.
      const stop = new AbortController();
      const seen: string[] = [];
      const follow = (async () => {
        for await (const e of c.tail(top + 1, { pollMs: 20, signal: stop.signal })) {
          seen.push(e.data ?? '');
          if (seen.length === 2) stop.abort();
        }
      })();
      await propose('later-1', { ports: [ports[0]!], timeoutMs: 20_000 });
      await propose('later-2', { ports: [ports[1]!], timeoutMs: 20_000 });
      await Promise.race([follow, new Promise((_r, rej) => setTimeout(() => rej(new Error('tail did not deliver')), 20_000))]);
      expect(seen).toEqual(['later-1', 'later-2']);
    } finally {
      c.close();
    }
    expect(back.statusSnapshot().voting).toBe(true);
    await local.stopAll();
    const r = checkDir(logDir, 3);
    expect(r.ok, r.report).toBe(true);
  }, 120_000);
});
