// A full sync whose snapshot takes longer than the receiver's repl_timeout to prepare (a big
// keyspace on a loaded machine) still completes: the source sends KEEPALIVE frames meanwhile.
// Without them the receiver dropped the link as silent and every retry was as slow.
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ConstdbNode } from '../src/server/node.js';
import { defaultConfig } from '../src/server/config.js';
import { RawClient, tmp } from './proc.js';

/** the source's snapshot before a full sync takes this long (stands in for a big keyspace) */
const SLOW_SNAPSHOT_MS = 2500;

describe('full sync keepalive', () => {
  const nodes: ConstdbNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.close({ snapshot: false });
  });

  async function node(id: number, replTimeoutSec: number): Promise<ConstdbNode> {
    // anti-entropy off: it would carry the keys over by itself and hide a failed full sync
    const n = new ConstdbNode({ ...defaultConfig, nodeId: id, port: 0, workDir: tmp(), snapshotIntervalSec: 0, replTimeoutSec, antiEntropyIntervalMs: 0 }, pino({ level: 'silent' }));
    nodes.push(n);
    await n.load();
    await n.listen();
    return n;
  }

  it('a snapshot slower than the receiver repl_timeout (1 s) is still streamed', async () => {
    const a = await node(1, 10);
    const b = await node(2, 1);
    const c = await RawClient.open(a.port);
    for (let i = 0; i < 20; i++) expect(await c.call('SET', `k${i}`, `v${i}`)).toBe('OK');
    c.close();
    const fresh = a.snapshotFresh.bind(a);
    a.snapshotFresh = async () => {
      await new Promise((r) => setTimeout(r, SLOW_SNAPSHOT_MS));
      await fresh();
    };
    await a.repl.meet('127.0.0.1', b.port).catch(() => undefined);
    const deadline = Date.now() + 40_000;
    while (b.db.size(Date.now()) < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(b.db.size(Date.now())).toBe(20);
  }, 60_000);
});
